package web

import (
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/mmdbot/mmdbot/internal/browsertest"
)

// TestAccessibility audits the page with axe-core in Chromium, in light and
// dark colours, every table row open. axe-core is axe.min.js from
// $MMD_AXE, or from testdata/axe once `npm ci` has run there (CI runs it).
// Without it the test is skipped, unless MMD_REQUIRE_AXE=1, which makes it
// fail.
func TestAccessibility(t *testing.T) {
	axe := browsertest.Axe(t, filepath.Join("testdata", "axe"))
	t.Parallel()
	_, tab, base := browse(t)
	pages := []string{"/", "/?q=who+handles+VPN+issues%3F", "/?q=security", "/?q=who+packages+our+apps%3F",
		"/?q=monitoring", "/?q=who+books+the+office+party%3F", "/?q=help", "/?q=", "/?owner=bogus", "/?filter=zzzz", "/?show=bogus", "/?filter=updates", "/privacy", "/terms"}
	for _, p := range pages {
		if err := chromedp.Do(tab, chromedp.Navigate(base+p)); err != nil {
			t.Fatalf("open %s: %v", p, err)
		}
		browsertest.Audit(t, tab, axe, p)
	}
}
