// Package golden compares what a test produced with a golden file under
// testdata, and rewrites the file when the tests run with -update. It is
// imported by tests only.
package golden

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/diff"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// Update reports whether this test run rewrites golden files.
func Update() bool { return *update }

// Check compares got with the file at path; with -update it writes got there
// instead. A difference is a test error showing the lines that differ, as a
// unified diff from the golden file to what the test produced.
func Check(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatalf("write golden file: %v", err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatalf("write golden file: %v", err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file: %v (run go test -update to write it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run go test -update and review the diff if the change is right):\n%s",
			path, diff.Diff(path, want, "got", got))
	}
}
