// Command mmdbot answers "who is responsible for this?" for organisations
// enrolled in Microsoft Managed Desktop, in Slack, in Microsoft Teams, on a
// web page and on the command line.
//
// main only wires: run takes its context, arguments, environment, standard
// input and output as parameters, so tests run the whole program in-process.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// After the first signal, stop catching: a second Ctrl-C during a slow
	// shutdown ends the process at once.
	go func() {
		<-ctx.Done()
		stop()
	}()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		var ec exitCode
		if errors.As(err, &ec) {
			os.Exit(int(ec))
		}
		fmt.Fprintln(os.Stderr, "mmdbot:", err)
		os.Exit(1)
	}
}

// exitCode is an error that only sets the exit status: what went wrong has
// already been printed.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// env is how a command reads its environment and writes its output.
type env struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// subcommand is one line of the command table that drives dispatch and help.
type subcommand struct {
	// usage is how to call the command, without "mmdbot "; a command with
	// subcommands of its own has a line for each.
	usage   string
	summary string
	run     func(ctx context.Context, e env, args []string) error
}

// subcommands lists every subcommand of mmdbot.
var subcommands = map[string]subcommand{}

func register(name string, c subcommand) { subcommands[name] = c }

func init() {
	register("ask", subcommand{"ask [--json] [--explain] [--kb FILE] [--data FILE] QUESTION...", "answer one question", cmdAsk})
	register("table", subcommand{"table [--owner microsoft|customer|shared] [--format text|markdown|csv|json] [--kb FILE]", "print the responsibility table", cmdTable})
	register("eval", subcommand{"eval [--json] [--cross-validate] [--kb FILE] FILE...", "measure the answers on question sets (cross-validated: each set by a model that never saw it)", cmdEval})
	register("kb", subcommand{"kb validate FILE", "check a knowledge file", cmdKB})
	register("report", subcommand{"report unanswered [--since DURATION] [--format text|csv|json] [--data FILE]\n" +
		"report feedback [--since DURATION] [--format text|csv|json] [--data FILE]",
		"list what the bot could not answer (with the feedback), or only the 👍/👎 per entry", cmdReport})
}

// run is the whole program.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	e := env{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	if len(args) > 0 {
		switch args[0] {
		case "help", "-h", "-help", "--help":
			usage(stdout)
			return nil
		}
	}
	name := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	c, ok := subcommands[name]
	if !ok {
		fmt.Fprintf(stderr, "mmdbot: unknown command %q\n\n", name)
		usage(stderr)
		return exitCode(2)
	}
	return c.run(ctx, e, args)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "mmdbot answers \"who is responsible for this?\" under Microsoft Managed Desktop.")
	fmt.Fprintln(w, "\nUsage:")
	names := make([]string, 0, len(subcommands))
	for n := range subcommands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		for _, u := range strings.Split(subcommands[n].usage, "\n") {
			fmt.Fprintf(w, "  mmdbot %s\n", u)
		}
		fmt.Fprintf(w, "        %s\n", subcommands[n].summary)
	}
	fmt.Fprintln(w, "\nWith no command, mmdbot serves (mmdbot serve). Run \"mmdbot COMMAND -h\" for the flags of a command.")
}

// usageText is the usage of a command as its -h prints it: each of its
// lines after "Usage: mmdbot ", aligned.
func usageText(usage string) string {
	return "Usage: mmdbot " + strings.ReplaceAll(usage, "\n", "\n       mmdbot ")
}
