// Package browsertest runs the browser tests' Chromium (Debian's chromium,
// driven by chromedp): a headless browser with a fresh profile, the
// accessibility audit of a page with axe-core in light and dark colours,
// and screenshots kept for people to look at.
package browsertest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/mmdbot/mmdbot/internal/skips"
)

// Start starts a headless Chromium with a fresh profile and the given
// options, and returns its first tab; everything ends with ctx or the
// test. Without Chromium the test is skipped (see skips.Chromium).
func Start(t testing.TB, ctx context.Context, opts ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	path := skips.Chromium(t)
	dir, err := os.MkdirTemp("", "mmdbot-chromium-")
	if err != nil {
		t.Fatalf("make the browser's profile directory: %v", err)
	}
	t.Cleanup(func() {
		// Chromium's helpers can still write in the profile for a moment
		// after the browser ends.
		for range 50 {
			if os.RemoveAll(dir) == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	all := append([]chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.UserDataDir(dir),
	}, opts...)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, all...)
	t.Cleanup(cancelAlloc)
	tab, cancelTab := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelTab)
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("start Chromium (%s): %v", path, err)
	}
	return tab
}

// Axe returns axe-core's script: axe.min.js from $MMD_AXE, or from dir
// (the web page's testdata/axe, seen from the test's package) once `npm
// ci` has run there, as CI does. Without it the test is skipped, unless
// MMD_REQUIRE_AXE=1, which makes it fail.
func Axe(t testing.TB, dir string) []byte {
	t.Helper()
	path := os.Getenv("MMD_AXE")
	if path == "" {
		path = filepath.Join(dir, "node_modules", "axe-core", "axe.min.js")
	}
	axe, err := os.ReadFile(path)
	if err != nil {
		msg := "axe-core is not installed: run `npm ci` in web/testdata/axe, or set MMD_AXE to its axe.min.js"
		if os.Getenv("MMD_REQUIRE_AXE") == "1" {
			t.Fatalf("%s (%v); MMD_REQUIRE_AXE=1 requires it", msg, err)
		}
		skips.Skip(t, msg)
	}
	return axe
}

// Audit audits the page open in the tab with axe-core, every <details>
// open, in light and in dark colours, and reports each violation as an
// error naming page.
func Audit(t testing.TB, tab context.Context, axe []byte, page string) {
	t.Helper()
	if err := chromedp.Do(tab, chromedp.Evaluate[chromedp.Void](string(axe)+";document.querySelectorAll('details').forEach(d => d.open = true)")); err != nil {
		t.Fatalf("%s: load axe-core: %v", page, err)
	}
	for _, scheme := range []string{"light", "dark"} {
		if _, err := chromedp.Call(tab, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
		}); err != nil {
			t.Fatalf("emulate %s colours: %v", scheme, err)
		}
		violations, err := chromedp.Run(tab, chromedp.Evaluate[string](`axe.run(document, {resultTypes: ['violations']}).then(r =>
			JSON.stringify(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' '))}))))`,
			chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("%s: run axe-core: %v", page, err)
		}
		if violations != "[]" {
			t.Errorf("%s in %s colours: %s", page, scheme, violations)
		}
	}
}

// Shot keeps a screenshot of the tab's whole page as name.png in the
// folder $MMD_SCREENSHOTS, when it is set.
func Shot(t testing.TB, tab context.Context, name string) {
	t.Helper()
	dir := os.Getenv("MMD_SCREENSHOTS")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644)
	}
	if err != nil {
		t.Errorf("screenshot %s: %v", name, err)
	}
}

// Do runs the actions in the tab, and fails the test naming the step if
// one fails.
func Do(t testing.TB, tab context.Context, step string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(tab, actions...); err != nil {
		t.Fatalf("%s: %v", step, err)
	}
}

// Text is the text of the first element the CSS selector finds, trimmed.
func Text(t testing.TB, tab context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("read %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}
