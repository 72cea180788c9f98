// Command mmdbot answers "who is responsible for this?" for organisations
// enrolled in Microsoft Managed Desktop, in Slack, in Microsoft Teams, on a
// web page and on the command line.
//
// main only wires: run takes its context, arguments, environment, standard
// input and output as parameters, so tests run the whole program in-process.
// One table lists the commands (commands.go), one the settings
// (settings.go); serve makes the adapters, each described by the small
// adapter interface (adapters.go), mounts their routes beside its own
// (routes.go) and runs their loops.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
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

// env is how a command reads its environment and writes its output, and
// the hooks through which tests watch a server (none outside the tests).
type env struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	hooks  hooks
}

// run is the whole program.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	return dispatch(ctx, env{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}, args)
}

// dispatch runs the command args name (serve when none is named) with the
// rest of args.
func dispatch(ctx context.Context, e env, args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "help", "-h", "-help", "--help":
			usage(e.stdout)
			return nil
		}
	}
	name := "serve"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		name, args = args[0], args[1:]
	}
	for _, c := range commands() {
		if c.name == name {
			return c.run(ctx, e, c.usage, args)
		}
	}
	fmt.Fprintf(e.stderr, "mmdbot: unknown command %q\n\n", name)
	usage(e.stderr)
	return exitCode(2)
}
