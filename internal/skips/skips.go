// Package skips lets a test that cannot run on this machine, for want of a
// tool (Chromium, an npm package), say so where the person who ran
// `go test ./...` sees it. Tests import it; nothing else does.
//
// go test ./... shows a passing package's output only with -v, so a
// t.Skip's reason is lost on everyone else. A package whose tests may skip
// runs them with Main, and skips them with Skip: once its tests are done,
// Main prints one line naming what was skipped and why, in the test log
// and, unless the run is verbose (where the log shows anyway), on the
// terminal.
package skips

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

var (
	mu sync.Mutex
	// why maps each reason to the tests skipped for it, in order.
	why   = map[string][]string{}
	order []string
)

// Skip records that t cannot run here and why, then skips it.
func Skip(t testing.TB, reason string) {
	t.Helper()
	mu.Lock()
	if _, ok := why[reason]; !ok {
		order = append(order, reason)
	}
	if !slices.Contains(why[reason], t.Name()) {
		why[reason] = append(why[reason], t.Name())
	}
	mu.Unlock()
	t.Skip(reason)
}

// Main runs the package's tests and exits with their status, after the line
// saying what was skipped, if anything was.
func Main(m *testing.M) {
	code := m.Run()
	if line := Line(); line != "" {
		fmt.Println(line)
		if !testing.Verbose() {
			toTerminal(line)
		}
	}
	os.Exit(code)
}

// Line is the line that says what was skipped and why, such as
// "web: skipped TestBrowser, TestBrowserWithoutScript: Chromium is not
// installed (…): apt-get install chromium…"; "" when nothing was skipped.
func Line() string {
	mu.Lock()
	defer mu.Unlock()
	if len(order) == 0 {
		return ""
	}
	parts := make([]string, len(order))
	for i, r := range order {
		parts[i] = strings.Join(why[r], ", ") + ": " + r
	}
	return pkgDir() + ": skipped " + strings.Join(parts, "; skipped ")
}

// pkgDir names the package under test by its folder in the module
// ("adapters/teams"): go test runs a package's tests in its folder.
func pkgDir() string {
	wd, err := os.Getwd()
	if err != nil {
		return strings.TrimSuffix(filepath.Base(os.Args[0]), ".test")
	}
	for root := wd; ; root = filepath.Dir(root) {
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			if rel, err := filepath.Rel(root, wd); err == nil {
				return filepath.ToSlash(rel)
			}
			break
		}
		if filepath.Dir(root) == root {
			break
		}
	}
	return filepath.Base(wd)
}

// toTerminal writes the line on the terminal go test runs in, unless the
// test's output goes there already; where there is no terminal (CI, an
// editor), nowhere.
func toTerminal(line string) {
	if fi, err := os.Stdout.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
		return
	}
	tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0)
	if err != nil {
		return
	}
	defer tty.Close()
	fmt.Fprintln(tty, line)
}

// Chromium returns the path of the Chromium a browser test drives:
// $MMD_CHROMIUM, or "chromium" on the PATH. Without one the test is
// skipped, unless one of the variables required (such as
// MMD_REQUIRE_CHROMIUM, which CI sets) is "1": then it fails.
func Chromium(t testing.TB, required ...string) string {
	t.Helper()
	name := "chromium"
	if p := os.Getenv("MMD_CHROMIUM"); p != "" {
		name = p
	}
	p, err := exec.LookPath(name)
	if err != nil {
		msg := fmt.Sprintf("Chromium is not installed (%v): apt-get install chromium, or set MMD_CHROMIUM to its path", err)
		for _, v := range append([]string{"MMD_REQUIRE_CHROMIUM"}, required...) {
			if os.Getenv(v) == "1" {
				t.Fatalf("%s; %s=1 requires it", msg, v)
			}
		}
		Skip(t, msg)
	}
	return p
}
