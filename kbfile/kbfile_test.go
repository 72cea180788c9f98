package kbfile

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/mmdbot/mmdbot/knowledge"
)

const good = `page: {title: T, description: D, date: 2025-01-01, url: https://example.com/}
entries:
  - title: Coffee machines
    side: customer
    description: Facilities keeps the coffee machines running.
`

const bad = `entries:
  - title: Broken
    side: nowhere
    description: x
`

func TestOpen(t *testing.T) {
	kb, f, err := Open("")
	if err != nil || f != nil || kb != knowledge.Default() {
		t.Fatalf("embedded: %v %v", f, err)
	}
	path := filepath.Join(t.TempDir(), "kb.yaml")
	if _, err := Load(path); err == nil {
		t.Error("a missing file loads")
	}
	os.WriteFile(path, []byte(good), 0o644)
	kb, f, err = Open(path)
	if err != nil || f.Path() != path || len(kb.Entries()) != 1 {
		t.Fatalf("file: %v %v", f, err)
	}
}

// TestWatch: a signal reloads whatever the content, a change reloads, a
// change to the same content does not, and a bad file is reported.
func TestWatch(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kb.yaml")
	os.WriteFile(path, []byte(good), 0o644)
	_, f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	reloads := make(chan Reload, 8)
	hup := make(chan os.Signal, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f.Watch(ctx, hup, nil, func(r Reload) { reloads <- r })
	next := func() Reload {
		t.Helper()
		select {
		case r := <-reloads:
			return r
		case <-time.After(10 * time.Second):
			t.Fatal("no reload after 10s")
			return Reload{}
		}
	}
	// A signal always reloads.
	hup <- syscall.SIGHUP
	if r := next(); r.Err != nil || r.Trigger != "signal" {
		t.Errorf("signal: %+v", r)
	}
	os.WriteFile(path, []byte(bad), 0o644)
	if r := next(); r.Err == nil || r.Trigger != "change" {
		t.Errorf("bad file: %+v", r)
	}
	os.WriteFile(path, []byte(bad), 0o644) // the same content: nothing
	os.WriteFile(path, []byte(good), 0o644)
	if r := next(); r.Err != nil || len(r.KB.Entries()) != 1 {
		t.Errorf("good file: %+v", r)
	}
}
