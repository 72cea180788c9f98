package kbfile

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
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
	kb, f, err := Open("", Options{})
	if err != nil || f != nil || kb != knowledge.Default() {
		t.Fatalf("embedded: %v %v", f, err)
	}
	path := filepath.Join(t.TempDir(), "kb.yaml")
	if _, err := Load(path); err == nil {
		t.Error("a missing file loads")
	}
	os.WriteFile(path, []byte(good), 0o644)
	kb, f, err = Open(path, Options{})
	if err != nil || f.Path() != path || len(kb.Entries()) != 1 {
		t.Fatalf("file: %v %v", f, err)
	}
}

// TestWatch: a signal reloads whatever the content, a change reloads, a
// change to the same content does not, and a bad file is reported.
func TestWatch(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kb.yaml")
	os.WriteFile(path, []byte(good), 0o644)
	_, f, err := Open(path, Options{Settle: 100 * time.Millisecond})
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

// entriesYAML is a knowledge file of n entries.
func entriesYAML(n int) string {
	var b strings.Builder
	b.WriteString("page: {title: T, description: D, date: 2025-01-01, url: https://example.com/}\nentries:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - title: Coffee machine %d\n    side: customer\n    description: Facilities keeps coffee machine %d running.\n", i, i)
	}
	return b.String()
}

// TestHalfWrittenNeverLoaded: a writer that stops halfway through the file
// for a second (half of it a valid file of fewer entries) never has its
// half loaded: only the whole file, once it has settled.
func TestHalfWrittenNeverLoaded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kb.yaml")
	os.WriteFile(path, []byte(good), 0o644)
	_, f, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	reloads := make(chan Reload, 8)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f.Watch(ctx, make(chan os.Signal), nil, func(r Reload) { reloads <- r })
	whole := entriesYAML(15)
	half := whole[:strings.Index(whole, "  - title: Coffee machine 9\n")]
	if _, err := knowledge.Load(knowledge.File{Name: "half.yaml", Data: []byte(half)}); err != nil {
		t.Fatalf("the half is not a valid file of its own, so the test proves nothing: %v", err)
	}
	w, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	w.WriteString(half)
	time.Sleep(time.Second)
	w.WriteString(whole[len(half):])
	w.Close()
	select {
	case r := <-reloads:
		if r.Err != nil || len(r.KB.Entries()) != 15 {
			n := 0
			if r.KB != nil {
				n = len(r.KB.Entries())
			}
			t.Fatalf("loaded %d entries (%v), want the whole file's 15", n, r.Err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the whole file was not loaded")
	}
	select {
	case r := <-reloads:
		t.Errorf("another load: %+v", r)
	case <-time.After(Settle + time.Second):
	}
}

// TestSizeLimit: a file over the limit is refused at start and on reload,
// saying so; the knowledge loaded before goes on.
func TestSizeLimit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kb.yaml")
	big := entriesYAML(200)
	os.WriteFile(path, []byte(big), 0o644)
	if _, _, err := Open(path, Options{MaxBytes: int64(len(big) - 1)}); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "--kb-max-bytes") {
		t.Fatalf("open a file over the limit: %v", err)
	}
	os.WriteFile(path, []byte(good), 0o644)
	_, f, err := Open(path, Options{MaxBytes: int64(len(big) - 1), Settle: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	reloads := make(chan Reload, 8)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	hup := make(chan os.Signal, 1)
	f.Watch(ctx, hup, nil, func(r Reload) { reloads <- r })
	os.WriteFile(path, []byte(big), 0o644)
	select {
	case r := <-reloads:
		if !errors.Is(r.Err, ErrTooLarge) {
			t.Errorf("reload of a file over the limit: %+v", r)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no reload")
	}
	hup <- syscall.SIGHUP
	if r := <-reloads; !errors.Is(r.Err, ErrTooLarge) {
		t.Errorf("SIGHUP with a file over the limit: %+v", r)
	}
}
