package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/mmdbot/mmdbot/internal/pagetest"
	"github.com/mmdbot/mmdbot/knowledge"
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
			// A web proxy that serves the published page for every
			// address, and $EDITED, an edited copy of it.
			proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if !r.URL.IsAbs() {
					http.Error(w, "not a proxy request", http.StatusBadRequest)
					return
				}
				w.Header().Set("Content-Type", "text/plain; charset=utf-8")
				w.Write(knowledge.DefaultPage())
			}))
			env.Defer(proxy.Close)
			env.Setenv("PROXY", proxy.URL)
			edited := filepath.Join(env.WorkDir, "edited.md")
			env.Setenv("EDITED", edited)
			return os.WriteFile(edited, pagetest.Find("owner-moved").Page(), 0o600)
		},
	})
}
