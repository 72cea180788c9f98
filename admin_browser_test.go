package main

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/mmdbot/mmdbot/internal/browsertest"
	"github.com/mmdbot/mmdbot/internal/oidctest"
	"github.com/mmdbot/mmdbot/internal/skips"
)

// phoneWidth is the width of a small phone's screen, in CSS pixels.
const phoneWidth = 375

// TestAdminBrowser: in Chromium, on a phone-sized screen, an admin signs in
// with the OpenID provider, answers an unanswered question with an entry,
// and the question asked on the public page then gets that entry.
func TestAdminBrowser(t *testing.T) {
	skips.Chromium(t)
	s := startAdminServer(t)
	const q = "problem with my laptop"
	if band, _ := askAPI(t, s.URL, q); band == "answer" {
		t.Fatalf("%q is answered before any decision", q)
	}
	s.provider.SignInAs(oidctest.Claims{PreferredUsername: "ada@contoso.com", OID: "00000000-0000-0000-0000-0000000000ad", Name: "Ada Lovelace"})

	ctx, cancel := context.WithTimeout(t.Context(), patience)
	defer cancel()
	tab := browsertest.Start(t, ctx, chromedp.WindowSize(phoneWidth, 800))

	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		browsertest.Do(t, tab, what, steps...)
	}
	text := func(sel string) string {
		t.Helper()
		return browsertest.Text(t, tab, sel)
	}
	shot := func(name string) { browsertest.Shot(t, tab, "admin-e2e-"+name) }
	fitsThePhone := func(page string) {
		t.Helper()
		wide, err := chromedp.Run(tab, chromedp.Evaluate[bool](`document.documentElement.scrollWidth <= window.innerWidth`))
		if err != nil || !wide {
			t.Errorf("%s is wider than a %d-pixel screen (%v)", page, phoneWidth, err)
		}
	}

	do("open the review page", chromedp.EmulateViewport(phoneWidth, 800), chromedp.Navigate(s.URL+"/admin"),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/admin/login"]`)))
	if got := text("h1"); got != "Sign in to review" {
		t.Errorf("the page before signing in says %q", got)
	}
	fitsThePhone("the sign-in page")
	shot("signin")
	do("sign in", chromedp.Click(chromedp.CSS(`a[href="/admin/login"]`)), chromedp.WaitVisible(chromedp.CSS(`section.review-group`)))
	if got := text("section.review-group h2"); !strings.Contains(got, q) {
		t.Errorf("the review shows %q, want the question %q", got, q)
	}
	fitsThePhone("the review page")
	shot("review")
	// The stylesheets apply under the page's Content-Security-Policy.
	if w, err := chromedp.Run(tab, chromedp.Evaluate[string](`getComputedStyle(document.querySelector('h1')).fontWeight`)); err != nil || w == "" || w == "400" {
		t.Errorf("the stylesheet did not apply: heading weight %q (%v)", w, err)
	}

	do("answer with User support", chromedp.SetValue(chromedp.CSS(`section.review-group select`), "customer/user-support"),
		chromedp.Click(chromedp.CSS(`section.review-group button[value="answer"]`)), chromedp.WaitVisible(chromedp.CSS(`.notice`)))
	if got := text(".notice"); !strings.Contains(got, "Saved") || !strings.Contains(got, "“User support” (Your organisation)") {
		t.Errorf("the notice after deciding says %q", got)
	}
	shot("decided")
	if got := text(".decisions"); !strings.Contains(got, q) || !strings.Contains(got, "ada@contoso.com") {
		t.Errorf("the examples added say %q", got)
	}

	do("ask on the public page", chromedp.Navigate(s.URL+"/"), chromedp.WaitVisible(chromedp.ID("q")))
	if _, err := chromedp.RunResponse(tab, chromedp.SendKeys(chromedp.ID("q"), q+kb.Enter)); err != nil {
		t.Fatalf("ask: %v", err)
	}
	do("see the answer", chromedp.WaitVisible(chromedp.CSS("#answer .answer .owner-name")))
	if got := text("#answer .answer .owner-name"); got != "Your organisation is responsible" {
		t.Errorf("owner %q", got)
	}
	if got := text("#answer .answer h3"); got != "User support" {
		t.Errorf("the public page answers %q with %q, want User support", q, got)
	}
	shot("answered")
}
