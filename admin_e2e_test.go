package main

import (
	"encoding/json"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack/slacktest"

	"github.com/mmdbot/mmdbot/internal/oidctest"
)

// adminTestToken is the bearer token of the review page's API in tests.
const adminTestToken = "e2e-admin-token-0123456789abcdef0123456789"

// adminServer is mmdbot serve with the review page on, signing in with a
// loopback OpenID provider, and the Slack adapter talking to slacktest.
type adminServer struct {
	*testServer
	provider *oidctest.Provider
	// learned receives the number of decisions each trained model learnt.
	learned chan int
}

func startAdminServer(t *testing.T) *adminServer {
	t.Helper()
	p := oidctest.New(t)
	// The redirect URL names the server's address, so the address is
	// chosen before the server starts.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	redirect := "http://" + addr + "/admin/callback"
	p.AddClient(oidctest.Client{ID: "mmdbot-review", Secret: "client-secret-value", RedirectURL: redirect})
	fake := slacktest.NewTestServer()
	fake.Start()
	t.Cleanup(fake.Stop)
	learned := make(chan int, 16)
	s := runServer(t, []string{"--addr", addr}, map[string]string{
		"MMD_ADMIN_OIDC_ISSUER":   p.Issuer(),
		"MMD_ADMIN_CLIENT_ID":     "mmdbot-review",
		"MMD_ADMIN_CLIENT_SECRET": "client-secret-value",
		"MMD_ADMIN_REDIRECT_URL":  redirect,
		"MMD_ADMIN_ALLOW":         "ada@contoso.com, role:Reviewer",
		"MMD_ADMIN_TOKEN":         adminTestToken,
		"SLACK_BOT_TOKEN":         "xoxb-e2e-token",
		"SLACK_SIGNING_SECRET":    slackE2ESecret,
		"SLACK_API_URL":           fake.GetAPIURL(),
	}, func(h *hooks) { h.learned = func(n int) { learned <- n } })
	return &adminServer{testServer: s, provider: p, learned: learned}
}

// browser is a person's browser: it keeps cookies and follows redirects.
func browser(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, Timeout: patience}
}

// tokenBrowser is a browser signed in to the review page with the admin
// token typed on its sign-in page.
func tokenBrowser(t *testing.T, base string) *http.Client {
	t.Helper()
	c := browser(t)
	if code, page := fetch(t, c, "POST", base+"/admin/token", url.Values{"token": {adminTestToken}}); code != http.StatusOK || !strings.Contains(page, "Questions to review") {
		t.Fatalf("sign in with the token: %d\n%s", code, page)
	}
	return c
}

// fetch does a request with the client and returns the status and body.
func fetch(t *testing.T, c *http.Client, method, u string, form url.Values) (int, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

var (
	csrfField  = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	decideForm = regexp.MustCompile(`(?s)<form method="post" action="/admin/decide".*?</form>`)
	hiddenQ    = regexp.MustCompile(`name="q" value="([^"]*)"`)
	undoID     = regexp.MustCompile(`(?s)<span class="q">([^<]*)</span>.*?name="id" value="(\d+)"`)
)

// groupOf returns the questions of the review page's row holding q.
func groupOf(page, q string) []string {
	for _, f := range decideForm.FindAllString(page, -1) {
		var qs []string
		for _, m := range hiddenQ.FindAllStringSubmatch(f, -1) {
			qs = append(qs, html.UnescapeString(m[1]))
		}
		for _, x := range qs {
			if x == q {
				return qs
			}
		}
	}
	return nil
}

// slashCommand asks with a signed Slack slash command from user U1 and
// returns the response.
func slashCommand(t *testing.T, base, q string) string {
	t.Helper()
	return slashCommandFrom(t, base, "U1", q)
}

// slashCommandFrom asks with a signed Slack slash command from the user
// and returns the response.
func slashCommandFrom(t *testing.T, base, user, q string) string {
	t.Helper()
	body := []byte(url.Values{"command": {"/mmd"}, "text": {q}, "user_id": {user}, "channel_id": {"C1"}}.Encode())
	code, resp := slackE2EPost(t, base+"/slack/commands", "application/x-www-form-urlencoded", body, slackE2ESecret, time.Now())
	if code != 200 {
		t.Fatalf("/mmd %s: status %d", q, code)
	}
	return resp
}

// waitLearned waits until a model trained on n decisions answers.
func (s *adminServer) waitLearned(t *testing.T, n int) {
	t.Helper()
	waitFor(t, s.learned, n)
}

// decisionsCount is how many decisions the API lists.
func (s *adminServer) decisionsCount(t *testing.T) int {
	t.Helper()
	req, _ := http.NewRequest("GET", s.URL+"/admin/api/decisions", nil)
	req.Header.Set("Authorization", "Bearer "+adminTestToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Decisions []json.RawMessage `json:"decisions"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 200 {
		t.Fatalf("list decisions: %s %v", resp.Status, err)
	}
	return len(out.Decisions)
}

// TestAdminEndToEnd: an allowed admin signs in with the OpenID provider,
// sees the unanswered questions grouped, answers one group with an entry
// and marks another out of scope; /api/ask and a signed Slack slash
// command answer as decided at once, similar questions follow once the
// model has retrained, and an undo restores what was answered before.
func TestAdminEndToEnd(t *testing.T) {
	s := startAdminServer(t)
	s.waitLearned(t, 0)
	const (
		laptop  = "problem with my laptop"
		laptop2 = "problems with my laptop!"
		similar = "my laptop has a problem"
		coffee  = "who fixes the coffee machine on floor 3"
		support = "customer/user-support"
	)
	for _, q := range []string{laptop, laptop2, similar, coffee} {
		if band, _ := askAPI(t, s.URL, q); band == "answer" {
			t.Fatalf("%q is answered before any decision", q)
		}
	}
	// Asked once more in Slack, by someone: not answered either.
	if resp := slashCommand(t, s.URL, laptop); strings.Contains(resp, "Your organisation is responsible") {
		t.Fatalf("the slash command answers %q before any decision: %s", laptop, resp)
	}

	b := browser(t)
	code, page := fetch(t, b, "GET", s.URL+"/admin", nil)
	if code != http.StatusUnauthorized || !strings.Contains(page, "/admin/login") || strings.Contains(page, "laptop") {
		t.Fatalf("/admin before signing in: %d\n%s", code, page)
	}
	s.provider.SignInAs(oidctest.Claims{PreferredUsername: "ada@contoso.com", OID: "00000000-0000-0000-0000-0000000000ad", Name: "Ada Lovelace"})
	code, page = fetch(t, b, "GET", s.URL+"/admin/login", nil)
	if code != http.StatusOK {
		t.Fatalf("signing in ended with %d\n%s", code, page)
	}
	group := groupOf(page, laptop)
	if len(group) < 2 || !slices.Contains(group, laptop2) {
		t.Fatalf("the laptop questions are not one row: %q\n%s", group, page)
	}
	if slices.Contains(group, coffee) {
		t.Fatalf("the coffee machine is grouped with the laptop: %q", group)
	}
	csrf := csrfField.FindStringSubmatch(page)
	if csrf == nil {
		t.Fatal("the page has no CSRF token")
	}

	// Without its token, a decision is refused and changes nothing.
	if code, _ := fetch(t, b, "POST", s.URL+"/admin/decide", url.Values{"q": {laptop}, "kind": {"answer"}, "entry": {support}}); code != http.StatusForbidden {
		t.Errorf("a decision without the CSRF token: %d, want 403", code)
	}
	if n := s.decisionsCount(t); n != 0 {
		t.Fatalf("%d decisions after a refused one", n)
	}

	code, page = fetch(t, b, "POST", s.URL+"/admin/decide", url.Values{"q": {laptop, laptop2}, "kind": {"answer"}, "entry": {support}, "csrf": {csrf[1]}})
	if code != http.StatusOK || !strings.Contains(page, "Saved") {
		t.Fatalf("answer the laptop questions: %d\n%s", code, page)
	}
	for _, q := range []string{laptop, laptop2, "Problem with my laptop?"} {
		if band, entry := askAPI(t, s.URL, q); band != "answer" || entry != support {
			t.Errorf("/api/ask %q after the decision: %s %s, want %s", q, band, entry, support)
		}
	}
	if resp := slashCommand(t, s.URL, laptop); !strings.Contains(resp, "Your organisation is responsible") || !strings.Contains(resp, "User support") {
		t.Errorf("the slash command after the decision: %s", resp)
	}
	code, page = fetch(t, b, "POST", s.URL+"/admin/decide", url.Values{"q": {coffee}, "kind": {"out-of-scope"}, "entry": {support}, "csrf": {csrf[1]}})
	if code != http.StatusOK || groupOf(page, coffee) != nil || groupOf(page, laptop) != nil {
		t.Fatalf("mark the coffee machine out of scope: %d; still to review: %q %q", code, groupOf(page, coffee), groupOf(page, laptop))
	}
	if band, _ := askAPI(t, s.URL, coffee); band != "unknown" {
		t.Errorf("%q after out of scope: %s, want unknown", coffee, band)
	}

	// The model retrains on the three decisions: a question like the
	// laptop ones is answered too, and the coffee machine stays unknown.
	s.waitLearned(t, 3)
	if band, entry := askAPI(t, s.URL, similar); band != "answer" || entry != support {
		t.Errorf("%q once the model has learnt: %s %s, want %s", similar, band, entry, support)
	}
	if band, _ := askAPI(t, s.URL, coffee); band != "unknown" {
		t.Errorf("%q once the model has learnt: %s, want unknown", coffee, band)
	}

	// The examples admins added, with who, and an Undo each.
	_, page = fetch(t, b, "GET", s.URL+"/admin", nil)
	if !strings.Contains(page, "ada@contoso.com") {
		t.Error("the examples do not say who decided")
	}
	var undo url.Values = url.Values{"csrf": {csrf[1]}}
	for _, m := range undoID.FindAllStringSubmatch(page, -1) {
		if q := html.UnescapeString(m[1]); q == laptop || q == laptop2 {
			undo.Add("id", m[2])
		}
	}
	if len(undo["id"]) != 2 {
		t.Fatalf("undo buttons of the laptop decisions: %v\n%s", undo["id"], page)
	}
	if code, _ := fetch(t, b, "POST", s.URL+"/admin/undo", undo); code != http.StatusOK {
		t.Fatalf("undo: %d", code)
	}
	if band, entry := askAPI(t, s.URL, laptop); band == "answer" && entry == support {
		t.Errorf("%q is still answered after the undo", laptop)
	}
	s.waitLearned(t, 1)
	if band, entry := askAPI(t, s.URL, similar); band == "answer" && entry == support {
		t.Errorf("%q is still answered once the model has unlearnt", similar)
	}
	if band, _ := askAPI(t, s.URL, coffee); band != "unknown" {
		t.Errorf("%q after the other undo: %s", coffee, band)
	}
	_, page = fetch(t, b, "GET", s.URL+"/admin", nil)
	if groupOf(page, laptop) == nil {
		t.Error("the laptop questions are not back on the review after the undo")
	}
}

// TestAdminRefusals: nobody but an allowed admin reaches the review page
// or its API, and the refusals change nothing.
func TestAdminRefusals(t *testing.T) {
	s := startAdminServer(t)
	askAPI(t, s.URL, "who fixes the coffee machine on floor 3")

	// A person of the tenant who is not allowed: 403, no data.
	s.provider.SignInAs(oidctest.Claims{PreferredUsername: "eve@contoso.com", OID: "00000000-0000-0000-0000-00000000000e", Name: "Eve"})
	eve := browser(t)
	code, page := fetch(t, eve, "GET", s.URL+"/admin/login", nil)
	if code != http.StatusForbidden || strings.Contains(page, "coffee") || !strings.Contains(page, "eve@contoso.com") {
		t.Errorf("a user not allowed: %d\n%s", code, page)
	}
	if code, _ := fetch(t, eve, "POST", s.URL+"/admin/decide", url.Values{"q": {"who fixes the coffee machine on floor 3"}, "kind": {"dismiss"}}); code != http.StatusForbidden && code != http.StatusUnauthorized {
		t.Errorf("a decision by a user not allowed: %d", code)
	}

	// Allowed by app role.
	s.provider.SignInAs(oidctest.Claims{PreferredUsername: "grace@contoso.com", OID: "00000000-0000-0000-0000-00000000000f", Roles: []string{"Reviewer"}})
	grace := browser(t)
	if code, page := fetch(t, grace, "GET", s.URL+"/admin/login", nil); code != http.StatusOK || !strings.Contains(page, "coffee") {
		t.Fatalf("a reviewer by app role: %d", code)
	}

	// A forged session cookie: the signature does not hold.
	u, _ := url.Parse(s.URL + "/admin")
	for _, c := range grace.Jar.Cookies(u) {
		forged := browser(t)
		v := []byte(c.Value)
		v[len(v)/2] ^= 1
		forged.Jar.SetCookies(u, []*http.Cookie{{Name: c.Name, Value: string(v), Path: "/admin"}})
		if code, page := fetch(t, forged, "GET", s.URL+"/admin", nil); code != http.StatusUnauthorized || strings.Contains(page, "coffee") {
			t.Errorf("a forged cookie %s: %d", c.Name, code)
		}
	}

	// The API without its token, or with another.
	for _, auth := range []string{"", "Bearer wrong-token-0123456789abcdef0123456789", "Basic YWRtaW46YWRtaW4="} {
		req, _ := http.NewRequest("POST", s.URL+"/admin/api/decisions", strings.NewReader(`{"questions":["who fixes the coffee machine on floor 3"],"kind":"dismiss"}`))
		req.Header.Set("Content-Type", "application/json")
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("the API with %q: %s", auth, resp.Status)
		}
	}
	if n := s.decisionsCount(t); n != 0 {
		t.Errorf("%d decisions after refused requests", n)
	}
}

// TestAdminOff: without its settings, /admin does not exist.
func TestAdminOff(t *testing.T) {
	s := runServer(t, nil, nil)
	for _, p := range []string{"/admin", "/admin/login", "/admin/api/review"} {
		if resp, _ := get(t, "GET", s.URL+p); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s without the admin settings: %s", p, resp.Status)
		}
	}
}
