package admin

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/chromedp"

	"github.com/mmdbot/mmdbot/bot"
	"github.com/mmdbot/mmdbot/internal/browsertest"
	"github.com/mmdbot/mmdbot/internal/skips"
	"github.com/mmdbot/mmdbot/knowledge"
	"github.com/mmdbot/mmdbot/web"
)

// TestMain runs the tests and then names those skipped for want of
// Chromium.
func TestMain(m *testing.M) { skips.Main(m) }

// TestBrowser: in Chromium on a phone's screen, an admin signs in with the
// test provider, answers a group with its closest entry, and undoes it;
// the page fits the screen and breaks none of its own policy.
func TestBrowser(t *testing.T) {
	h, tab := browse(t)
	var mu sync.Mutex
	var violations []string
	if err := chromedp.Listen(tab, func(ev any) {
		if s, ok := consoleText(ev); ok && strings.Contains(s, "Content Security Policy") {
			mu.Lock()
			violations = append(violations, s)
			mu.Unlock()
		}
	}); err != nil {
		t.Fatal(err)
	}
	run := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		browsertest.Do(t, tab, step, actions...)
	}
	text := func(sel string) string {
		t.Helper()
		return browsertest.Text(t, tab, sel)
	}
	width := func() int {
		t.Helper()
		w, err := chromedp.Run(tab, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
		if err != nil {
			t.Fatalf("measure: %v", err)
		}
		return w
	}
	h.p.SignInAs(ada)
	run("open the page on a phone", chromedp.EmulateViewport(375, 812, chromedp.EmulateScale(2)),
		chromedp.Navigate(h.srv.URL+"/admin"), chromedp.WaitVisible(chromedp.CSS(`a.button`)))
	run("sign in", chromedp.Click(chromedp.CSS(`a.button`)), chromedp.WaitVisible(chromedp.CSS(`.review-group`)))
	if got := text("header.site .account span"); !strings.Contains(got, "Ada Lovelace") {
		t.Errorf("the header says %q", got)
	}
	if w := width(); w != 375 {
		t.Errorf("on a 375 px screen the review page is %d px wide", w)
	}
	color, err := chromedp.Run(tab, chromedp.Evaluate[string](`getComputedStyle(document.querySelector('.decide button')).backgroundColor`))
	if err != nil || color == "" || color == "rgba(0, 0, 0, 0)" || color == "rgb(239, 239, 239)" {
		t.Errorf("the web page's stylesheet is not applied: the button's background is %q", color)
	}
	browsertest.Shot(t, tab, "admin-phone")

	run("answer the printer group", chromedp.Click(chromedp.Search(`//section[.//span[@class="q" and text()="who fixes my printer"]]//button[@value="answer"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.notice`)))
	if got := text(".notice p"); !strings.HasPrefix(got, "Saved: mmdbot answers “") || !strings.Contains(got, "Printing") {
		t.Errorf("the notice says %q", got)
	}
	if h.decisions() != 3 {
		t.Errorf("%d decisions after answering the printer group, want 3", h.decisions())
	}
	if w := width(); w != 375 {
		t.Errorf("with a notice and examples the page is %d px wide", w)
	}
	browsertest.Shot(t, tab, "admin-phone-saved")
	run("undo", chromedp.Click(chromedp.CSS(`.notice button`)), chromedp.WaitVisible(chromedp.Search(`//div[@class="notice"]/p[starts-with(text(), "Undone")]`)))
	if got := text(".notice p"); !strings.HasPrefix(got, "Undone:") {
		t.Errorf("after undo the notice says %q", got)
	}
	if h.decisions() != 0 {
		t.Errorf("%d decisions after undo", h.decisions())
	}
	mu.Lock()
	defer mu.Unlock()
	if len(violations) > 0 {
		t.Errorf("the page breaks its Content-Security-Policy: %q", violations)
	}
}

// browse starts the review page, with the web page's stylesheet served as
// serve does, and a headless Chromium; it returns the harness and the
// browser's tab, both ending with the test.
func browse(t *testing.T) (*harness, context.Context) {
	t.Helper()
	skips.Chromium(t)
	h := newHarness(t)
	h.seed()
	site := web.New(bot.New(knowledge.Default(), bot.Options{}), web.Options{})
	h.srvMux().Handle("GET /static/", site.Static())

	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	t.Cleanup(cancel)
	tab := browsertest.Start(t, ctx)
	return h, tab
}

// TestAccessibility audits every page of the review with axe-core, in
// light and dark colours: the sign-in page, a problem, the review with a
// notice, examples and dismissed questions, the refused page. axe-core is
// axe.min.js from $MMD_AXE, or from the web page's testdata once `npm ci`
// has run there (CI runs it); without it the test is skipped, unless
// MMD_REQUIRE_AXE=1.
func TestAccessibility(t *testing.T) {
	axe := browsertest.Axe(t, filepath.Join("..", "web", "testdata", "axe"))
	h, tab := browse(t)
	run := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		browsertest.Do(t, tab, step, actions...)
	}
	audit := func(page, screenshot string) {
		t.Helper()
		browsertest.Shot(t, tab, screenshot)
		browsertest.Audit(t, tab, axe, page)
	}
	base := h.srv.URL
	run("the sign-in page", chromedp.Navigate(base+"/admin"), chromedp.WaitVisible(chromedp.CSS("a.button")))
	audit("the sign-in page", "admin-signin")
	run("a problem", chromedp.Navigate(base+"/admin/callback?state=x&code=y"), chromedp.WaitVisible(chromedp.CSS(".problem")))
	audit("a problem", "admin-problem")
	h.p.SignInAs(ada)
	run("sign in", chromedp.Navigate(base+"/admin/login"), chromedp.WaitVisible(chromedp.CSS(".review-group")))
	run("dismiss the weather", chromedp.Click(chromedp.Search(`//section[.//span[@class="q" and text()="what is the weather in paris"]]//button[@value="dismiss"]`)),
		chromedp.WaitVisible(chromedp.CSS(".notice")))
	run("answer the printers", chromedp.Click(chromedp.Search(`//section[.//span[@class="q" and text()="who fixes my printer"]]//button[@value="answer"]`)),
		chromedp.WaitVisible(chromedp.Search(`//div[@class="notice"]/p[starts-with(text(), "Saved:")]`)))
	audit("the review with a notice, examples and a dismissal", "admin-review")
	run("sign out", chromedp.Click(chromedp.CSS("header.site button.link")), chromedp.WaitVisible(chromedp.CSS("a.button")))
	audit("the sign-in page after signing out", "admin-signed-out")
	h.p.SignInAs(bob)
	run("sign in as someone not allowed", chromedp.Navigate(base+"/admin/login"), chromedp.WaitVisible(chromedp.CSS(".problem")))
	audit("the refused page", "admin-refused")
}

// srvMux is the mux the harness's server serves.
func (h *harness) srvMux() *http.ServeMux { return h.srv.Config.Handler.(*http.ServeMux) }

// consoleText is the text of a message of the browser's log.
func consoleText(ev any) (string, bool) {
	if e, ok := ev.(*cdplog.EventEntryAdded); ok && e.Entry != nil {
		return e.Entry.Text, true
	}
	return "", false
}
