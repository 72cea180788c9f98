package web

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/mmdbot/mmdbot/internal/skips"
)

// TestAccessibility audits the page with axe-core in Chromium, in light and
// dark colours, every table row open. axe-core is axe.min.js from
// $MMD_AXE, or from testdata/axe once `npm ci` has run there (CI runs it).
// Without it the test is skipped, unless MMD_REQUIRE_AXE=1, which makes it
// fail.
func TestAccessibility(t *testing.T) {
	path := os.Getenv("MMD_AXE")
	if path == "" {
		path = filepath.Join("testdata", "axe", "node_modules", "axe-core", "axe.min.js")
	}
	axe, err := os.ReadFile(path)
	if err != nil {
		msg := "axe-core is not installed: run `npm ci` in web/testdata/axe, or set MMD_AXE to its axe.min.js"
		if os.Getenv("MMD_REQUIRE_AXE") == "1" {
			t.Fatalf("%s (%v); MMD_REQUIRE_AXE=1 requires it", msg, err)
		}
		skips.Skip(t, msg)
	}
	t.Parallel()
	_, tab, base := browse(t)
	pages := []string{"/", "/?q=who+handles+VPN+issues%3F", "/?q=security", "/?q=who+packages+our+apps%3F",
		"/?q=monitoring", "/?q=who+books+the+office+party%3F", "/?q=help", "/?q=", "/?owner=bogus", "/?filter=zzzz", "/?show=bogus", "/?filter=updates", "/privacy", "/terms"}
	for _, scheme := range []string{"light", "dark"} {
		if _, err := chromedp.Call(tab, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
		}); err != nil {
			t.Fatalf("emulate %s colours: %v", scheme, err)
		}
		for _, p := range pages {
			if err := chromedp.Do(tab, chromedp.Navigate(base+p),
				chromedp.Evaluate[chromedp.Void](string(axe)+";document.querySelectorAll('details').forEach(d => d.open = true)")); err != nil {
				t.Fatalf("%s: load axe-core: %v", p, err)
			}
			violations, err := chromedp.Run(tab, chromedp.Evaluate[string](`axe.run(document, {resultTypes: ['violations']}).then(r =>
				JSON.stringify(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' '))}))))`,
				chromedp.EvalAwaitPromise))
			if err != nil {
				t.Fatalf("%s: run axe-core: %v", p, err)
			}
			if violations != "[]" {
				t.Errorf("%s in %s colours: %s", p, scheme, violations)
			}
		}
	}
}
