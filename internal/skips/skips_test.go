package skips

import (
	"strings"
	"testing"
)

func TestLine(t *testing.T) {
	if got := Line(); got != "" {
		t.Fatalf("nothing skipped yet, got %q", got)
	}
	for _, name := range []string{"a", "b"} {
		t.Run(name, func(t *testing.T) { Skip(t, "no browser: install one") })
	}
	t.Run("c", func(t *testing.T) { Skip(t, "no parser") })
	want := "internal/skips: skipped TestLine/a, TestLine/b: no browser: install one; skipped TestLine/c: no parser"
	if got := Line(); got != want {
		t.Errorf("Line() = %q, want %q", got, want)
	}
	mu.Lock()
	why, order = map[string][]string{}, nil
	mu.Unlock()
	if got := Line(); strings.Contains(got, "skipped") {
		t.Errorf("after a reset, %q", got)
	}
}
