package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// command is one line of the command table, which drives dispatch and the
// help.
type command struct {
	name string
	// usage is how to call the command, without "mmdbot "; a command with
	// subcommands of its own has a line for each.
	usage   string
	summary string
	// run runs the command with its arguments; usage is the line above,
	// for its -h.
	run func(ctx context.Context, e env, usage string, args []string) error
}

// commands is the command table: every command of mmdbot, in the order
// the help lists them.
func commands() []command {
	return []command{
		{"ask", "ask [--json] [--explain] [--kb FILE] [--data FILE] QUESTION...", "answer one question", cmdAsk},
		{"eval", "eval [--json] [--cross-validate] [--kb FILE] FILE...", "measure the answers on question sets (cross-validated: each set by a model that never saw it)", cmdEval},
		{"examples", examplesUsage, "write the examples admins decided on the review page as a knowledge file (to keep under version control), or load such a file into the data store", cmdExamples},
		{"healthcheck", "healthcheck [--url URL] [--timeout DURATION]", "probe a running server's /healthz and exit 0 when it is alive (for Docker's HEALTHCHECK: no shell, no curl)", cmdHealthcheck},
		{"kb", "kb validate FILE\n" +
			"kb diff [--json] OLD NEW\n" +
			"kb fetch [--url URL] [--out FILE] [--kb FILE] [--json]",
			"check a knowledge file; compare two (a file, or \"default\" for the embedded one) entry by entry; download the published page and show how it differs", cmdKB},
		{"report", "report unanswered [--since DURATION] [--format text|csv|json] [--data FILE]\n" +
			"report feedback [--since DURATION] [--format text|csv|json] [--data FILE]",
			"list what the bot could not answer (with the feedback), or only the 👍/👎 per entry", cmdReport},
		{"serve", "serve [--addr ADDR] [--kb FILE] [--data FILE] [--log-format text|json] [--log-level LEVEL] [--check] [more flags: -h]",
			"run the server: web page, JSON API, Slack and Teams when configured, /healthz, /readyz, /metrics (a bare \"mmdbot\" does this)", cmdServe},
		{"table", "table [--owner microsoft|customer|shared] [--format text|markdown|csv|json] [--kb FILE]", "print the responsibility table", cmdTable},
		{"teams", "teams package --app-id ID --base-url https://HOST [-o mmdbot-teams.zip]", "write the Microsoft Teams app package (manifest and icons) to upload to Teams", cmdTeams},
	}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "mmdbot answers \"who is responsible for this?\" under Microsoft Managed Desktop.")
	fmt.Fprintln(w, "\nUsage:")
	for _, c := range commands() {
		for _, u := range strings.Split(c.usage, "\n") {
			fmt.Fprintf(w, "  mmdbot %s\n", u)
		}
		fmt.Fprintf(w, "        %s\n", c.summary)
	}
	fmt.Fprintln(w, "\nWith no command, mmdbot serves (mmdbot serve). Run \"mmdbot COMMAND -h\" for the flags of a command.")
}

// usageText is the usage of a command as its -h prints it: each of its
// lines after "Usage: mmdbot ", aligned.
func usageText(usage string) string {
	return "Usage: mmdbot " + strings.ReplaceAll(usage, "\n", "\n       mmdbot ")
}

// newFlags returns a flag set that prints its usage to the command's stderr
// and returns errors instead of exiting.
func newFlags(e env, name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, usageText(usage))
		hasFlags := false
		fs.VisitAll(func(*flag.Flag) { hasFlags = true })
		if hasFlags {
			fmt.Fprint(e.stderr, "\nFlags:\n")
			fs.PrintDefaults()
		}
	}
	return fs
}

// parseFlags parses args; -h prints the usage and ends the command cleanly.
func parseFlags(fs *flag.FlagSet, args []string) (bool, error) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return false, nil
		}
		return false, exitCode(2)
	}
	return true, nil
}

// subcommandOf checks that args start with one of a command's own
// subcommands ("kb validate", "report unanswered"); otherwise it prints the
// usage and returns the error to end with (nil for -h).
func subcommandOf(e env, usage string, args []string, names ...string) (string, error) {
	if len(args) > 0 {
		for _, n := range names {
			if args[0] == n {
				return n, nil
			}
		}
	}
	fmt.Fprintln(e.stderr, usageText(usage))
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
		return "", nil
	}
	return "", exitCode(2)
}

// envOr returns the environment variable, or def when it is empty.
func envOr(e env, name, def string) string {
	if v := e.getenv(name); v != "" {
		return v
	}
	return def
}
