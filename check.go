package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/mmdbot/mmdbot/kbfile"
	"github.com/mmdbot/mmdbot/knowledge"
)

// printProblems writes each problem of a joined error on a line of its own.
func printProblems(e env, err error) {
	for _, line := range strings.Split(err.Error(), "\n") {
		fmt.Fprintln(e.stderr, "mmdbot serve:", line)
	}
}

// checkConfig is --check: it prints the configuration with secrets masked,
// what is on and off, whether the knowledge file loads, and every problem.
// It opens nothing and listens on nothing.
func checkConfig(e env, cfg config, cfgErr error) error {
	fmt.Fprintln(e.stdout, "Configuration (secrets masked):")
	printConfig(e.stdout, cfg)
	fmt.Fprintln(e.stdout)
	fmt.Fprintln(e.stdout, "web: on (the page at /, the JSON API at /api/)")
	for _, s := range adapterStates(cfg) {
		fmt.Fprintln(e.stdout, s)
	}
	fmt.Fprintln(e.stdout, cfg.Admin.state())
	var problems []string
	if cfgErr != nil {
		problems = strings.Split(cfgErr.Error(), "\n")
	}
	if cfg.KB == "" {
		fmt.Fprintf(e.stdout, "knowledge: embedded (%d entries)\n", len(knowledge.Default().Entries()))
	} else if kb, _, err := kbfile.Open(cfg.KB, kbfile.Options{MaxBytes: cfg.KBMaxBytes}); err != nil {
		fmt.Fprintf(e.stdout, "knowledge: %s: not valid\n", cfg.KB)
		problems = append(problems, strings.Split(err.Error(), "\n")...)
	} else {
		fmt.Fprintf(e.stdout, "knowledge: %s (%d entries)\n", cfg.KB, len(kb.Entries()))
	}
	switch {
	case cfg.DatabaseURL != "":
		// Not connected to: --check does no I/O beyond local files.
		fmt.Fprintf(e.stdout, "data: PostgreSQL at %s (shared by every replica; --data is not used)\n", showURL(cfg.DatabaseURL))
	case cfg.Data == "":
		fmt.Fprintln(e.stdout, "data: off (unanswered questions and feedback are not recorded; replies owed are kept in memory only)")
	default:
		fmt.Fprintf(e.stdout, "data: %s\n", cfg.Data)
		if fi, err := os.Stat(filepath.Dir(cfg.Data)); err != nil || !fi.IsDir() {
			problems = append(problems, fmt.Sprintf("--data %s: the directory %s does not exist", cfg.Data, filepath.Dir(cfg.Data)))
		}
	}
	if len(problems) > 0 {
		fmt.Fprintln(e.stdout)
		for _, p := range problems {
			fmt.Fprintln(e.stdout, "problem:", p)
		}
		fmt.Fprintln(e.stdout, "The configuration is not valid.")
		return exitCode(1)
	}
	fmt.Fprintln(e.stdout, "\nThe configuration is valid.")
	return nil
}

// printConfig writes the configuration as --check shows it, secrets masked.
func printConfig(w io.Writer, c config) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SETTING\tVARIABLE\tVALUE\tFROM")
	for _, s := range c.shown {
		fl := "--" + s.flag
		if s.flag == "" {
			fl = "-"
		}
		ev := s.env
		if ev == "" {
			ev = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", fl, ev, s.value, s.source)
	}
	tw.Flush()
}
