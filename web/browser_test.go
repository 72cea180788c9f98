package web

import (
	"context"
	"fmt"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/mmdbot/mmdbot/internal/browsertest"
	"github.com/mmdbot/mmdbot/internal/skips"
	"github.com/mmdbot/mmdbot/knowledge"
)

// TestMain runs the tests and then names those skipped for want of
// Chromium or axe-core, where go test ./... shows it.
func TestMain(m *testing.M) { skips.Main(m) }

// browserTimeout bounds a whole browser test, start of Chromium included.
const browserTimeout = 90 * time.Second

// browse serves a site on a test server and opens a browser tab on it, both
// bounded by browserTimeout; it returns the site, the tab and the server's
// address.
func browse(t *testing.T) (*Site, context.Context, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), browserTimeout)
	t.Cleanup(cancel)
	s, _ := newTestSite(t)
	srv := httptest.NewServer(newMux(s))
	t.Cleanup(srv.Close)
	return s, browsertest.Start(t, ctx), srv.URL
}

// visibleTitles are the titles of the table's rows that can be seen.
const visibleTitles = `Array.from(document.querySelectorAll('#table .row'))
	.filter(r => r.offsetParent !== null)
	.map(r => r.getAttribute('data-title'))`

func TestBrowser(t *testing.T) {
	t.Parallel()
	s, tab, base := browse(t)

	run := func(name string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(tab, steps...); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		return strings.TrimSpace(s)
	}
	eval := func(js string) string {
		t.Helper()
		s, err := chromedp.Run(tab, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("evaluate %s: %v", js, err)
		}
		return s
	}

	// Ask: type the question, press Enter, see the owner and the Learn link.
	run("open the page", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.ID("q")))
	if _, err := chromedp.RunResponse(tab, chromedp.SendKeys(chromedp.ID("q"), "who handles VPN issues?"+kb.Enter)); err != nil {
		t.Fatalf("ask: %v", err)
	}
	run("see the answer", chromedp.WaitVisible(chromedp.CSS("#answer .answer .owner-name")))
	if got := text("#answer .answer .owner-name"); got != "Your organisation is responsible" {
		t.Errorf("owner %q, want Your organisation is responsible", got)
	}
	if got := text("#answer .answer h3"); got != "Network infrastructure, including VPN" {
		t.Errorf("answer %q", got)
	}
	learn, err := chromedp.Run(tab, chromedp.AttributeValue(chromedp.CSS("#answer .learn a"), "href"))
	if err != nil || !learn.Exists || !strings.HasPrefix(learn.Value, "https://learn.microsoft.com/") {
		t.Errorf("Learn link %+v, %v", learn, err)
	}
	if got := text("#answer .learn a"); !strings.HasPrefix(got, "Read more on Microsoft Learn") {
		t.Errorf("Learn link text %q", got)
	}
	loc, err := chromedp.Run(tab, chromedp.Location())
	if err != nil {
		t.Fatalf("location: %v", err)
	}
	if u, err := url.Parse(loc); err != nil || u.Query().Get("q") != "who handles VPN issues?" {
		t.Errorf("the answer's address %q does not hold the question", loc)
	}

	// The stylesheet and the script load under the Content-Security-Policy.
	if got := eval(`getComputedStyle(document.querySelector('.owner-name')).fontWeight`); got != "800" {
		t.Errorf("the stylesheet did not apply: owner font weight %q", got)
	}
	if got := eval(`document.getElementById('filter-form').getAttribute('data-live') || ''`); got != "true" {
		t.Errorf("the script did not run")
	}

	// A row shows its owner and what it is about before it is opened.
	gist, err := chromedp.Run(tab, chromedp.Evaluate[[]string](`(() => {
		const row = document.querySelector('#table .row[data-id="customer/printing"] summary');
		return [row.querySelector('.tag').innerText, row.querySelector('.gist').innerText, String(row.querySelector('.gist').offsetHeight > 0)];
	})()`))
	if err != nil || len(gist) != 3 || gist[0] != "Your organisation" || !strings.HasPrefix(gist[1], "You're responsible for installing") || gist[2] != "true" {
		t.Errorf("the closed printing row shows %q (%v), want its owner and its first sentence", gist, err)
	}

	// Filter the table by typing "updates": the server's filter, asked as
	// one types, finds "Update monitoring and management" by its stem.
	run("type in the filter", chromedp.SendKeys(chromedp.ID("filter"), "updates"))
	waitFiltered(t, tab, "updates")
	got, err := chromedp.Run(tab, chromedp.Evaluate[[]string](visibleTitles))
	if err != nil || !slices.Contains(got, "Update monitoring and management") || slices.Contains(got, "Printing") {
		t.Errorf("after typing updates, the table shows %q (%v), want the updates row and not printing", got, err)
	}
	if _, err := chromedp.Run(tab, chromedp.Poll[bool](`document.getElementById('filter-status').textContent.includes('Showing `+fmt.Sprint(len(got))+` of 15')`, chromedp.WithPollingTimeout(5*time.Second))); err != nil {
		t.Errorf("the filter status was not updated: %q", text("#filter-status"))
	}
	if loc, _ := chromedp.Run(tab, chromedp.Location()); !strings.Contains(loc, "filter=updates") {
		t.Errorf("the address %q does not hold the filter", loc)
	}

	// The owner filter applies at once.
	run("clear the filter and choose Microsoft", chromedp.Evaluate[chromedp.Void](`(() => {
		const f = document.getElementById('filter'); f.value = ''; f.dispatchEvent(new Event('input'));
		const o = document.getElementById('owner'); o.value = 'microsoft'; o.dispatchEvent(new Event('change'));
	})()`))
	waitFiltered(t, tab, "")
	got, _ = chromedp.Run(tab, chromedp.Evaluate[[]string](visibleTitles))
	var want []string
	for _, e := range lexical().ByOwner(knowledge.OwnerMicrosoft) {
		want = append(want, e.Title)
	}
	if !slices.Equal(got, want) {
		t.Errorf("owner microsoft: the table shows %q, want %q", got, want)
	}

	// The script keeps the same entries as the server's form for any text.
	run("show every owner", chromedp.Evaluate[chromedp.Void](`(() => { const o = document.getElementById('owner'); o.value = ''; o.dispatchEvent(new Event('change')); })()`))
	for _, pattern := range []string{"print", "vpn", "mgmt", "mon", "i", "sup", "net", "m365", "USER", " apps ", "sec mon", "wifi", "who patches windows?", "é", "x", "Ma", "change management", "zzz"} {
		run("filter "+pattern, chromedp.Evaluate[chromedp.Void](`(() => { const f = document.getElementById('filter'); f.value = `+jsString(pattern)+`; f.dispatchEvent(new Event('input')); })()`))
		waitFiltered(t, tab, pattern)
		got, err := chromedp.Run(tab, chromedp.Evaluate[[]string](visibleTitles))
		if err != nil {
			t.Fatalf("filter %q: %v", pattern, err)
		}
		keep := s.bot.Filter(pattern)
		var want []string
		for _, o := range knowledge.Owners {
			for _, e := range lexical().ByOwner(o) {
				if keep == nil || keep[e.ID] {
					want = append(want, e.Title)
				}
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("filter %q: the script shows %q, the server %q", pattern, got, want)
		}
	}

	// A "did you mean" choice is a link to its answer.
	run("ask something vague", chromedp.Navigate(base+"/?q=monitoring"), chromedp.WaitVisible(chromedp.CSS(".choices a")))
	if _, err := chromedp.RunResponse(tab, chromedp.Click(chromedp.CSS(".choices a"))); err != nil {
		t.Fatalf("pick a choice: %v", err)
	}
	run("see the chosen answer", chromedp.WaitVisible(chromedp.CSS("#answer .answer")))
	if got := text("#answer .answer .owner-name"); got != "Microsoft is responsible" {
		t.Errorf("the choice's owner %q, want Microsoft is responsible", got)
	}
	if got := eval(`document.getElementById('q').value`); got != "monitoring" {
		t.Errorf("the question box holds %q after a choice, want monitoring", got)
	}

	// The keyboard reaches the skip link first, then the question box.
	run("tab", chromedp.Navigate(base+"/"), chromedp.KeyEvent(kb.Tab))
	if got := eval(`document.activeElement.className`); got != "skip" {
		t.Errorf("the first Tab focuses %q, want the skip link", got)
	}
	run("tab again", chromedp.KeyEvent(kb.Tab))
	if got := eval(`document.activeElement.id`); got != "q" {
		t.Errorf("the second Tab focuses %q, want the question box", got)
	}
	if got := eval(`getComputedStyle(document.activeElement).outlineStyle`); got == "none" {
		t.Errorf("the focused question box has no visible outline")
	}

	// The layout fits a phone: nothing wider than the screen.
	run("phone", chromedp.EmulateViewport(375, 812, chromedp.EmulateScale(2)), chromedp.Navigate(base+"/?q=who+packages+our+apps%3F"), chromedp.WaitVisible(chromedp.CSS(".answer")))
	if got := eval(`String(document.documentElement.scrollWidth)`); got != "375" {
		t.Errorf("on a 375 px screen the page is %s px wide", got)
	}
	// A shared answer leads with who does what: the side, the split and the
	// fold of the Learn page's full text fit one phone screen.
	if got := eval(`(() => { const a = document.querySelector('#answer .answer').getBoundingClientRect();
		return String(Math.round(document.querySelector('#answer .full-text').getBoundingClientRect().bottom - a.top)); })()`); mustAtoi(t, got) > 812 {
		t.Errorf("on a 375×812 screen the shared answer's side, split and folded text take %s px", got)
	}
	if got := eval(`String(document.querySelector('#answer .full-text').open) + ' ' + document.querySelector('#answer .full-text > summary').innerText`); got != "false The Learn page’s full text" {
		t.Errorf("the shared answer's full text: %q, want it folded", got)
	}

	if dir := os.Getenv("MMD_SCREENSHOTS"); dir != "" {
		screenshots(t, tab, base, dir)
	}
}

// waitFiltered waits until the page's script has applied the filter text.
func waitFiltered(t *testing.T, tab context.Context, text string) {
	t.Helper()
	if _, err := chromedp.Run(tab, chromedp.Poll[bool](`document.getElementById('filter-form').getAttribute('data-filtered') === `+jsString(text),
		chromedp.WithPollingTimeout(5*time.Second))); err != nil {
		t.Fatalf("the script did not apply the filter %q: %v", text, err)
	}
}

// mustAtoi reads a number the page gave.
func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("%q is not a number", s)
	}
	return n
}

// TestBrowserWithoutScript uses the page with JavaScript off: asking and
// filtering work through plain forms.
func TestBrowserWithoutScript(t *testing.T) {
	t.Parallel()
	_, tab, base := browse(t)
	if _, err := chromedp.Call(tab, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatalf("turn JavaScript off: %v", err)
	}
	if err := chromedp.Do(tab, chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.ID("filter"))); err != nil {
		t.Fatalf("open the page: %v", err)
	}
	if _, err := chromedp.RunResponse(tab, chromedp.SendKeys(chromedp.ID("filter"), "updates"+kb.Enter)); err != nil {
		t.Fatalf("filter: %v", err)
	}
	loc, _ := chromedp.Run(tab, chromedp.Location())
	if !strings.Contains(loc, "filter=updates") || !strings.HasSuffix(loc, "#table") {
		t.Errorf("the filter form went to %q", loc)
	}
	status, err := chromedp.Run(tab, chromedp.Text(chromedp.ID("filter-status")))
	if err != nil || !strings.Contains(status, "Showing 2 of 15") {
		t.Errorf("status %q, %v", status, err)
	}
	if _, err := chromedp.RunResponse(tab, chromedp.SendKeys(chromedp.ID("q"), "who fixes printers?"+kb.Enter)); err != nil {
		t.Fatalf("ask: %v", err)
	}
	owner, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS("#answer .owner-name")))
	if err != nil || owner != "Your organisation is responsible" {
		t.Errorf("owner %q, %v", owner, err)
	}
}

// screenshots saves pictures of the page at desktop and phone widths, for a
// person to look at (MMD_SCREENSHOTS=dir go test -run TestBrowser ./web).
func screenshots(t *testing.T, tab context.Context, base, dir string) {
	t.Helper()
	pages := map[string]string{
		"answer":  "/?q=who+handles+VPN+issues%3F",
		"shared":  "/?q=who+packages+our+apps%3F",
		"both":    "/?q=security",
		"suggest": "/?q=monitoring",
		"unknown": "/?q=who+books+the+office+party%3F",
		"bad":     "/?q=+",
		"filter":  "/?owner=customer&filter=sup#table",
	}
	sizes := []struct {
		name          string
		width, height int64
		scheme        string
	}{{"desktop", 1280, 900, "light"}, {"phone", 390, 844, "light"}, {"phone-dark", 390, 844, "dark"}}
	for _, size := range sizes {
		for name, target := range pages {
			buf, err := chromedp.Run(tab, func(ctx context.Context, tg *chromedp.Target) ([]byte, error) {
				if _, err := chromedp.EmulateViewport(size.width, size.height)(ctx, tg); err != nil {
					return nil, err
				}
				if _, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
					Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: size.scheme}},
				}); err != nil {
					return nil, err
				}
				if _, err := chromedp.Navigate(base+target)(ctx, tg); err != nil {
					return nil, err
				}
				return chromedp.FullScreenshot(100)(ctx, tg) // 100: PNG
			})
			if err != nil {
				t.Fatalf("screenshot %s: %v", name, err)
			}
			top, err := chromedp.Run(tab, chromedp.CaptureScreenshot())
			if err != nil {
				t.Fatalf("screenshot %s: %v", name, err)
			}
			for file, b := range map[string][]byte{"full": buf, "top": top} {
				if err := os.WriteFile(filepath.Join(dir, size.name+"-"+name+"-"+file+".png"), b, 0o644); err != nil {
					t.Fatalf("save screenshot: %v", err)
				}
			}
		}
	}
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", `\n`, "\r", `\r`, "\u2028", `\u2028`, "\u2029", `\u2029`)
	return "'" + r.Replace(s) + "'"
}
