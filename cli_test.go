package main

import (
	"context"
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets the scripts under testdata/script run mmdbot as a command,
// in this test binary.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"mmdbot": func() {
			err := run(context.Background(), os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
			if err != nil {
				if ec, ok := err.(exitCode); ok {
					os.Exit(int(ec))
				}
				os.Stderr.WriteString("mmdbot: " + err.Error() + "\n")
				os.Exit(1)
			}
		},
	})
}

// TestScripts runs the command-line scripts in testdata/script: what a
// person types and what mmdbot prints.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("MMD_DATA", env.WorkDir+"/mmdbot.db")
			return nil
		},
	})
}
