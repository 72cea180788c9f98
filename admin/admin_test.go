package admin

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mmdbot/mmdbot/bot"
	"github.com/mmdbot/mmdbot/internal/oidctest"
	"github.com/mmdbot/mmdbot/knowledge"
	"github.com/mmdbot/mmdbot/store"
)

// TestReviewAndDecide: an allowed admin signs in, sees the questions
// grouped, answers one group with an entry, marks another out of scope,
// and undoes a decision.
func TestReviewAndDecide(t *testing.T) {
	h := newHarness(t)
	h.seed()
	c, page := h.signedIn()
	if !strings.Contains(page.body, "Signed in as Ada Lovelace (Ada@Contoso.example)") {
		t.Errorf("the page does not name the account:\n%s", page.body)
	}
	// The three printer questions are one group; the weather another.
	printers := formWith(t, page.body, "who fixes my printer")
	if len(printers.questions) != 3 {
		t.Errorf("the printer group has %q, want the three printer questions", printers.questions)
	}
	if len(printers.entries) != len(knowledge.Default().Entries()) {
		t.Errorf("the choice has %d entries, want every one of %d", len(printers.entries), len(knowledge.Default().Entries()))
	}
	weather := formWith(t, page.body, "what is the weather in paris")
	if len(weather.questions) != 1 {
		t.Errorf("the weather group has %q", weather.questions)
	}
	// The answer voted down is shown, and not offered first.
	down := knowledge.Default().Search("who resets my password").Matches[0].Entry
	if !strings.Contains(page.body, "👎 on “"+down.Title+"”") || !strings.Contains(page.body, down.Title+" ("+down.Owner.Label()+"): got the 👎</option>") {
		t.Error("the answer voted down is not shown as such")
	}
	if f := formWith(t, page.body, "who resets my password"); f.entries[0] != down.ID || f.selected == "" || f.selected == down.ID {
		t.Errorf("the group voted down offers %q first, %q chosen; want the closest entry that did not get the 👎", f.entries[0], f.selected)
	}
	token := csrf(t, page.body)

	r := h.post(c, "/admin/decide", printers.values(token, store.DecideAnswer))
	if r.status != http.StatusOK || r.url.Path != "/admin" {
		t.Fatalf("deciding: status %d at %s\n%s", r.status, r.url, r.body)
	}
	e, _ := knowledge.Default().Entry(printers.entries[0])
	if !strings.Contains(r.body, "Saved: mmdbot answers “") || !strings.Contains(r.body, "and 2 similar questions with “"+e.Title+"” from now on") {
		t.Errorf("no notice of the decision:\n%s", r.body)
	}
	ds, _ := h.st.Decisions(t.Context())
	if len(ds) != 3 || ds[0].Kind != store.DecideAnswer || !slices.Equal(ds[0].Entries, []string{e.ID}) || ds[0].By != "Ada@Contoso.example" || ds[0].Source != store.SourceReview {
		t.Fatalf("decisions stored: %+v", ds)
	}
	if h.changed.Load() != 1 {
		t.Errorf("Changed called %d times, want 1", h.changed.Load())
	}
	if strings.Contains(r.body, `name="q" value="who fixes my printer"`) {
		t.Error("a decided question is still up for review")
	}
	if !strings.Contains(r.body, "</span> → <strong>“"+e.Title+"”</strong></p>") {
		t.Error("the examples do not list the decision")
	}

	// Out of scope, then undo it from the notice.
	r = h.post(c, "/admin/decide", formWith(t, r.body, "what is the weather in paris").values(token, store.DecideOutOfScope))
	if !strings.Contains(r.body, "Saved: mmdbot says it does not know “what is the weather in paris” from now on") {
		t.Errorf("no notice of out of scope:\n%s", r.body)
	}
	if h.decisions() != 4 {
		t.Fatalf("%d decisions, want 4", h.decisions())
	}
	notice := undoIDs.FindString(r.body)
	ids := hiddenID.FindAllStringSubmatch(notice, -1)
	if len(ids) != 1 {
		t.Fatalf("the notice's Undo carries %d ids:\n%s", len(ids), notice)
	}
	r = h.post(c, "/admin/undo", url.Values{"csrf": {token}, "id": {ids[0][1]}})
	if r.status != http.StatusOK || !strings.Contains(r.body, "Undone: mmdbot answers “what is the weather in paris” as it did before") {
		t.Errorf("undo: status %d\n%s", r.status, r.body)
	}
	if h.decisions() != 3 || h.changed.Load() != 3 {
		t.Errorf("after undo: %d decisions, Changed called %d times", h.decisions(), h.changed.Load())
	}
	// The question is up for review again.
	formWith(t, r.body, "what is the weather in paris")
	// Undoing it again finds nothing, and changes nothing.
	if r := h.post(c, "/admin/undo", url.Values{"csrf": {token}, "id": {ids[0][1]}}); r.status != http.StatusNotFound {
		t.Errorf("undoing twice: status %d", r.status)
	}
	if r := h.get(c, "/admin/"); r.status != http.StatusOK || r.url.Path != "/admin" {
		t.Errorf("/admin/: status %d at %s", r.status, r.url)
	}
	// The notice is shown once.
	if r := h.get(c, "/admin"); strings.Contains(r.body, "Undone:") {
		t.Error("the notice is shown again")
	}
}

// TestWhoMayReview: by UPN whatever its case, object id, app role or
// group; anyone else gets 403, naming the account, and no data.
func TestWhoMayReview(t *testing.T) {
	h := newHarness(t)
	h.seed()
	for _, who := range []oidctest.Claims{ada, carol, dan, erin} {
		if r := h.signIn(h.browser(), who); r.status != http.StatusOK || !strings.Contains(r.body, "who fixes my printer") {
			t.Errorf("%s+%s: status %d", who.PreferredUsername, who.Email, r.status)
		}
	}
	c := h.browser()
	r := h.signIn(c, bob)
	if r.status != http.StatusForbidden || !strings.Contains(r.body, "signed in as Bob (bob@contoso.example)") || !strings.Contains(r.body, "MMD_ADMIN_ALLOW") {
		t.Fatalf("a refused user: status %d\n%s", r.status, r.body)
	}
	for _, leak := range []string{"printer", "weather", "password"} {
		if strings.Contains(r.body, leak) {
			t.Errorf("the refused page shows %q", leak)
		}
	}
	token := csrf(t, r.body)
	if r := h.get(c, "/admin/api/review"); r.status != http.StatusForbidden || strings.Contains(r.body, "printer") {
		t.Errorf("the API for a refused user: %d %s", r.status, r.body)
	}
	if r := h.post(c, "/admin/decide", url.Values{"csrf": {token}, "q": {"who fixes my printer"}, "kind": {"dismiss"}}); r.status != http.StatusForbidden {
		t.Errorf("a refused user deciding: status %d", r.status)
	}
	if h.decisions() != 0 {
		t.Error("a refused user changed something")
	}
	// Signing out works for them too.
	if r := h.post(c, "/admin/logout", url.Values{"csrf": {token}}); r.status != http.StatusUnauthorized || !strings.Contains(r.body, "You have signed out") {
		t.Errorf("sign out: status %d", r.status)
	}
}

// TestUnauthenticated: nobody gets 401 and a sign-in button, never a
// redirect, never data.
func TestUnauthenticated(t *testing.T) {
	h := newHarness(t)
	h.seed()
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	r := h.get(noFollow, "/admin")
	if r.status != http.StatusUnauthorized || r.header.Get("Location") != "" || !strings.Contains(r.body, `<a class="button" href="/admin/login">Sign in with Microsoft</a>`) {
		t.Errorf("GET /admin: status %d\n%s", r.status, r.body)
	}
	if strings.Contains(r.body, "printer") || strings.Contains(r.body, "csrf") {
		t.Error("the sign-in page shows data")
	}
	for _, p := range []string{"/admin/decide", "/admin/undo"} {
		if r := h.post(noFollow, p, url.Values{"q": {"x"}, "kind": {"dismiss"}, "id": {"1"}}); r.status != http.StatusUnauthorized {
			t.Errorf("POST %s: status %d", p, r.status)
		}
	}
	for _, p := range []string{"/admin/api/review", "/admin/api/decisions"} {
		r := h.get(noFollow, p)
		if r.status != http.StatusUnauthorized || !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") || !strings.Contains(r.body, `"error"`) {
			t.Errorf("GET %s: status %d, WWW-Authenticate %q, %s", p, r.status, r.header.Get("WWW-Authenticate"), r.body)
		}
	}
	req, _ := http.NewRequest("DELETE", h.srv.URL+"/admin/api/decisions/1", nil)
	if r := h.do(noFollow, req); r.status != http.StatusUnauthorized {
		t.Errorf("DELETE: status %d", r.status)
	}
	if h.decisions() != 0 {
		t.Error("an unauthenticated request changed something")
	}
}

// TestForgedSessions: a session cookie tampered with, signed with another
// key, or expired, is refused, and changes nothing.
func TestForgedSessions(t *testing.T) {
	h := newHarness(t)
	h.seed()
	c, page := h.signedIn()
	token := csrf(t, page.body)
	u, _ := url.Parse(h.srv.URL + "/admin")
	var real string
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == sessionCookie {
			real = ck.Value
		}
	}
	var s session
	if err := unseal(h.a.keys.session, real, time.Now(), &s); err != nil {
		t.Fatal(err)
	}
	payload, sig, _ := strings.Cut(real, ".")
	bobSession := s
	bobSession.User, bobSession.OID = "bob@contoso.example", bob.OID
	asBob, _ := seal(h.a.keys.session, bobSession)
	bobPayload, _, _ := strings.Cut(asBob, ".")
	other, _ := seal(deriveKeys([]byte(strings.Repeat("x", 32))).session, s)
	old := s
	old.Exp = time.Now().Add(-time.Minute).Unix()
	expired, _ := seal(h.a.keys.session, old)
	loginKey, _ := seal(h.a.keys.login, s)

	for name, v := range map[string]string{
		"payload changed":   bobPayload + "." + sig,
		"signature changed": payload + "." + strings.Repeat("A", len(sig)),
		"no signature":      payload,
		"another key":       other,
		"expired":           expired,
		"another purpose":   loginKey,
		"garbage":           "%%%.",
	} {
		req, _ := http.NewRequest("POST", h.srv.URL+"/admin/decide", strings.NewReader(url.Values{"csrf": {token}, "q": {"who fixes my printer"}, "kind": {"dismiss"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: v})
		if r := h.do(http.DefaultClient, req); r.status != http.StatusUnauthorized || !strings.Contains(r.body, "Sign in") {
			t.Errorf("%s: POST status %d", name, r.status)
		}
		req, _ = http.NewRequest("GET", h.srv.URL+"/admin/api/review", nil)
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: v})
		if r := h.do(http.DefaultClient, req); r.status != http.StatusUnauthorized {
			t.Errorf("%s: API status %d", name, r.status)
		}
	}
	// The session ends with its time: the clock moves past it.
	h.skew.Store(int64(8*time.Hour + time.Minute))
	if r := h.get(c, "/admin"); r.status != http.StatusUnauthorized || !strings.Contains(r.body, "Your session has ended") {
		t.Errorf("an expired session: status %d", r.status)
	}
	if h.decisions() != 0 {
		t.Error("a forged session changed something")
	}
}

// TestCSRF: a form without the session's token, with another's, or from
// another site changes nothing; the API writes with a session only with
// the token in X-CSRF-Token.
func TestCSRF(t *testing.T) {
	h := newHarness(t)
	h.seed()
	c, page := h.signedIn()
	token := csrf(t, page.body)
	_, other := h.signedIn()
	otherToken := csrf(t, other.body)
	if otherToken == token {
		t.Fatal("two sessions have the same form token")
	}
	f := formWith(t, page.body, "who fixes my printer")
	for name, v := range map[string]url.Values{
		"missing":   f.values("", "dismiss"),
		"another's": f.values(otherToken, "dismiss"),
		"garbage":   f.values("x"+token, "dismiss"),
	} {
		if r := h.post(c, "/admin/decide", v); r.status != http.StatusForbidden || !strings.Contains(r.body, "nothing was changed") {
			t.Errorf("%s token: status %d", name, r.status)
		}
	}
	if r := h.post(c, "/admin/undo", url.Values{"id": {"1"}}); r.status != http.StatusForbidden {
		t.Errorf("undo without a token: status %d", r.status)
	}
	for _, hd := range [][]string{{"Origin", "https://evil.example"}, {"Sec-Fetch-Site", "cross-site"}} {
		if r := h.post(c, "/admin/decide", f.values(token, "dismiss"), hd...); r.status != http.StatusForbidden {
			t.Errorf("from another site (%s): status %d", hd[0], r.status)
		}
	}
	body := `{"questions":["who fixes my printer"],"kind":"dismiss"}`
	req, _ := http.NewRequest("POST", h.srv.URL+"/admin/api/decisions", strings.NewReader(body))
	if r := h.do(c, req); r.status != http.StatusForbidden {
		t.Errorf("the API with a session and no X-CSRF-Token: status %d", r.status)
	}
	if h.decisions() != 0 || h.changed.Load() != 0 {
		t.Fatal("a request without the form token changed something")
	}
	if h.refusals("csrf") != 5 || h.refusals("cross-origin") != 2 {
		t.Errorf("counted %d refusals for the form token and %d for another site, want 5 and 2", h.refusals("csrf"), h.refusals("cross-origin"))
	}
	req, _ = http.NewRequest("POST", h.srv.URL+"/admin/api/decisions", strings.NewReader(body))
	req.Header.Set("X-CSRF-Token", token)
	if r := h.do(c, req); r.status != http.StatusCreated {
		t.Errorf("the API with a session and X-CSRF-Token: status %d %s", r.status, r.body)
	}
	// The same form with the right token goes through.
	if r := h.post(c, "/admin/decide", formWith(t, page.body, "what is the weather in paris").values(token, "dismiss")); r.status != http.StatusOK || !strings.Contains(r.body, "Dismissed “what is the weather in paris”") {
		t.Errorf("with the token: status %d", r.status)
	}
}

// TestRefusedSignIns: an ID token for another audience, expired, with
// another nonce, from another issuer or signed by an unknown key; a wrong
// state; no login cookie; Entra saying access_denied: no session, nothing
// changed.
func TestRefusedSignIns(t *testing.T) {
	h := newHarness(t)
	h.seed()
	for name, opt := range map[string]oidctest.Option{
		"audience": oidctest.ForAudience("another-app"),
		"expired":  oidctest.Expired(),
		"nonce":    oidctest.WithNonce("not-the-one-sent"),
		"issuer":   oidctest.FromIssuer("https://login.microsoftonline.com/other/v2.0"),
		"key":      oidctest.SignedByStranger(),
	} {
		c := h.browser()
		r := h.signIn(c, ada, opt)
		if r.status != http.StatusUnauthorized || !strings.Contains(r.body, "could not be verified") {
			t.Errorf("%s: status %d\n%s", name, r.status, r.body)
		}
		if r := h.get(c, "/admin"); r.status != http.StatusUnauthorized {
			t.Errorf("%s: a session was opened: status %d", name, r.status)
		}
	}

	// A wrong state, and no login cookie.
	c := h.browser()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	h.p.SignInAs(ada)
	login := h.get(c, "/admin/login")
	if login.status != http.StatusFound || !strings.HasPrefix(login.header.Get("Location"), h.p.Issuer()+"/authorize?") {
		t.Fatalf("login: status %d to %s", login.status, login.header.Get("Location"))
	}
	auth, _ := url.Parse(login.header.Get("Location"))
	q := auth.Query()
	if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("nonce") == "" || q.Get("state") == "" {
		t.Errorf("the authorization request lacks PKCE, nonce or state: %v", q)
	}
	back := h.do(c, must(http.NewRequest("GET", auth.String(), nil)))
	cb, _ := url.Parse(back.header.Get("Location"))
	wrong := *cb
	wq := wrong.Query()
	wq.Set("state", "forged")
	wrong.RawQuery = wq.Encode()
	if r := h.do(c, must(http.NewRequest("GET", wrong.String(), nil))); r.status != http.StatusBadRequest {
		t.Errorf("a wrong state: status %d", r.status)
	}
	// The login cookie is spent: the right callback no longer works.
	if r := h.do(c, must(http.NewRequest("GET", cb.String(), nil))); r.status != http.StatusBadRequest || !strings.Contains(r.body, "expired") {
		t.Errorf("a callback without the login cookie: status %d", r.status)
	}
	if r := h.get(c, "/admin"); r.status != http.StatusUnauthorized {
		t.Errorf("after a wrong state: status %d", r.status)
	}

	// The user cancels at Entra ID.
	h.p.Cancel()
	if r := h.get(h.browser(), "/admin/login"); r.status != http.StatusForbidden || !strings.Contains(r.body, "access denied") {
		t.Errorf("access_denied: status %d\n%s", r.status, r.body)
	}
	if h.decisions() != 0 {
		t.Error("a refused sign-in changed something")
	}
	for reason, want := range map[string]int{"id-token": 5, "state": 1, "login-cookie": 1, "idp-denied": 1} {
		if got := h.refusals(reason); got != want {
			t.Errorf("counted %d refusals for %s, want %d", got, reason, want)
		}
	}
}

func must(req *http.Request, err error) *http.Request {
	if err != nil {
		panic(err)
	}
	return req
}

// TestDiscoveryRetried: the page starts while Entra ID is down, says so
// on sign-in, and signs in once it is back.
func TestDiscoveryRetried(t *testing.T) {
	h := newHarness(t)
	h.p.Unavailable(true)
	if r := h.signIn(h.browser(), ada); r.status != http.StatusServiceUnavailable || !strings.Contains(r.body, "cannot be reached") {
		t.Errorf("Entra ID down: status %d", r.status)
	}
	h.p.Unavailable(false)
	h.signedIn()
}

// TestBearerAPI: scripts with the token read, decide and undo; a wrong or
// missing token gets 401.
func TestBearerAPI(t *testing.T) {
	h := newHarness(t)
	h.seed()
	auth := []string{"Authorization", "Bearer " + testToken}
	c := http.DefaultClient
	r := h.get(c, "/admin/api/review", auth...)
	var review struct {
		Groups []Group `json:"groups"`
	}
	if r.status != http.StatusOK || json.Unmarshal([]byte(r.body), &review) != nil || len(review.Groups) != 3 {
		t.Fatalf("review: status %d\n%s", r.status, r.body)
	}
	e := knowledge.Default().Entries()[1]
	req, _ := http.NewRequest("POST", h.srv.URL+"/admin/api/decisions", strings.NewReader(`{"questions":["who fixes my printer","Who fixes my printer?"],"kind":"answer","entries":["`+e.ID+`"]}`))
	req.Header.Set(auth[0], auth[1])
	r = h.do(c, req)
	var made struct {
		Decisions []store.Decision `json:"decisions"`
		Notice    string           `json:"notice"`
	}
	if r.status != http.StatusCreated || json.Unmarshal([]byte(r.body), &made) != nil || len(made.Decisions) != 1 || made.Decisions[0].By != "token" || !strings.Contains(made.Notice, e.Title) {
		t.Fatalf("decide: status %d\n%s", r.status, r.body)
	}
	if r := h.get(c, "/admin/api/decisions", auth...); r.status != http.StatusOK || !strings.Contains(r.body, `"by": "token"`) {
		t.Errorf("decisions: status %d\n%s", r.status, r.body)
	}
	del := func(id string, headers ...string) response {
		req, _ := http.NewRequest("DELETE", h.srv.URL+"/admin/api/decisions/"+id, nil)
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		return h.do(c, req)
	}
	id := strconv.FormatInt(made.Decisions[0].ID, 10)
	if r := del(id, "Authorization", "Bearer wrong-token-of-the-same-sort"); r.status != http.StatusUnauthorized || !strings.Contains(r.header.Get("WWW-Authenticate"), "invalid_token") {
		t.Errorf("a wrong token: status %d, %q", r.status, r.header.Get("WWW-Authenticate"))
	}
	if r := del(id); r.status != http.StatusUnauthorized {
		t.Errorf("no token: status %d", r.status)
	}
	if h.decisions() != 1 {
		t.Fatal("a request without the token changed something")
	}
	if r := del(id, auth...); r.status != http.StatusOK || !strings.Contains(r.body, `"undone"`) {
		t.Errorf("undo: status %d\n%s", r.status, r.body)
	}
	if r := del(id, auth...); r.status != http.StatusNotFound {
		t.Errorf("undo twice: status %d", r.status)
	}
	for _, id := range []string{"0", "-1", "x", "99999999999999999999"} {
		if r := del(id, auth...); r.status != http.StatusBadRequest {
			t.Errorf("DELETE %s: status %d", id, r.status)
		}
	}
	// The bearer token opens the page too, for a script that reads it.
	if r := h.get(c, "/admin", auth...); r.status != http.StatusOK || !strings.Contains(r.body, "Signed in as the admin token") {
		t.Errorf("the page with the token: status %d", r.status)
	}
	if r := h.get(c, "/admin", "Authorization", "Bearer nope"); r.status != http.StatusUnauthorized {
		t.Errorf("the page with a wrong token: status %d", r.status)
	}
}

// TestTokenSignIn: without Entra ID, the page is signed in to with the
// token; the cookie is Secure, HttpOnly, SameSite=Lax, Path=/admin.
func TestTokenSignIn(t *testing.T) {
	st, err := store.Open(t.Context(), store.Memory, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a, err := New(Options{Store: st, Knowledge: knowledge.Default, Token: testToken, SessionKey: make([]byte, 32)})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	a.Routes(mux)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/admin", nil))
	if rec.Code != http.StatusUnauthorized || strings.Contains(rec.Body.String(), "Sign in with Microsoft") || !strings.Contains(rec.Body.String(), `name="token"`) {
		t.Errorf("the sign-in page without Entra ID: %d\n%s", rec.Code, rec.Body)
	}
	rec = httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/admin/login", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("/admin/login without Entra ID: %d", rec.Code)
	}
	post := func(token string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", "/admin/token", strings.NewReader(url.Values{"token": {token}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		return rec
	}
	if rec := post("wrong"); rec.Code != http.StatusUnauthorized || len(rec.Result().Cookies()) != 0 {
		t.Errorf("a wrong token: %d", rec.Code)
	}
	rec = post(testToken)
	cookies := rec.Result().Cookies()
	if rec.Code != http.StatusSeeOther || len(cookies) != 1 {
		t.Fatalf("the token: %d, cookies %v", rec.Code, cookies)
	}
	ck := cookies[0]
	if !ck.Secure || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/admin" || ck.MaxAge != int((8*time.Hour).Seconds()) {
		t.Errorf("the session cookie: %+v", ck)
	}
	req := httptest.NewRequest("GET", "/admin", nil)
	req.AddCookie(ck)
	rec = httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "Questions to review") {
		t.Errorf("the page with the token's session: %d", rec.Code)
	}
	// A new token ends the sessions opened with the old one.
	b, _ := New(Options{Store: st, Knowledge: knowledge.Default, Token: "another-token-entirely", SessionKey: make([]byte, 32)})
	mux2 := http.NewServeMux()
	b.Routes(mux2)
	rec = httptest.NewRecorder()
	mux2.ServeHTTP(rec, req)
	if rec.Code != http.StatusForbidden {
		t.Errorf("the old token's session after the token changed: %d", rec.Code)
	}
}

// TestHeaders: every response is no-store, unframeable, and under the
// strict policy.
func TestHeaders(t *testing.T) {
	h := newHarness(t)
	c, _ := h.signedIn()
	for _, p := range []string{"/admin", "/admin/api/review", "/admin/static/admin.css", "/admin/static/nope.css", "/admin/login?x"} {
		for _, cl := range []*http.Client{c, {CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}} {
			r := h.get(cl, p)
			for k, v := range map[string]string{"Cache-Control": "no-store", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin", "X-Content-Type-Options": "nosniff"} {
				if r.header.Get(k) != v {
					t.Errorf("%s (%d): %s %q, want %q", p, r.status, k, r.header.Get(k), v)
				}
			}
			if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "script-src") || strings.Contains(csp, "unsafe") {
				t.Errorf("%s: Content-Security-Policy %q", p, csp)
			}
		}
	}
	if r := h.get(c, "/admin/static/admin.css"); r.status != http.StatusOK || r.header.Get("Content-Type") != "text/css; charset=utf-8" {
		t.Errorf("admin.css: %d %q", r.status, r.header.Get("Content-Type"))
	}
}

func TestNew(t *testing.T) {
	st, err := store.Open(t.Context(), store.Memory, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ok := Options{Store: st, Knowledge: knowledge.Default, Issuer: "https://login.microsoftonline.com/t/v2.0", ClientID: "c", ClientSecret: "s",
		RedirectURL: "https://mmdbot.example/admin/callback", Allow: []string{"a@b.c"}, SessionKey: make([]byte, 32)}
	tests := []struct {
		name string
		mod  func(*Options)
		want string
	}{
		{"ok", func(*Options) {}, ""},
		{"token only", func(o *Options) {
			*o = Options{Store: st, Knowledge: knowledge.Default, Token: testToken, SessionKey: make([]byte, 32)}
		}, ""},
		{"dev redirect", func(o *Options) { o.RedirectURL = "http://localhost:8080/admin/callback" }, ""},
		{"three of four", func(o *Options) { o.ClientSecret = "" }, "all four"},
		{"nothing", func(o *Options) { o.Issuer, o.ClientID, o.ClientSecret, o.RedirectURL = "", "", "", "" }, "either sign-in"},
		{"http issuer", func(o *Options) { o.Issuer = "http://login.example/t" }, "must use https"},
		{"redirect path", func(o *Options) { o.RedirectURL = "https://mmdbot.example/cb" }, "must end in /admin/callback"},
		{"not a URL", func(o *Options) { o.Issuer = "login" }, "not an http(s) URL"},
		{"common", func(o *Options) { o.Issuer = "https://login.microsoftonline.com/common/v2.0" }, "shared by every tenant"},
		{"no allow", func(o *Options) { o.Allow = nil }, "allow list is empty"},
		{"empty role", func(o *Options) { o.Allow = []string{"role:"} }, "names no role"},
		{"short key", func(o *Options) { o.SessionKey = make([]byte, 16) }, "at least 32 bytes"},
		{"short token", func(o *Options) { o.Token = "abc" }, "too short"},
		{"no store", func(o *Options) { o.Store = nil }, "store is required"},
	}
	for _, tt := range tests {
		o := ok
		tt.mod(&o)
		a, err := New(o)
		switch {
		case tt.want == "" && (err != nil || a == nil):
			t.Errorf("%s: %v", tt.name, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: error %v, want one saying %q", tt.name, err, tt.want)
		}
	}
	a, _ := New(ok)
	if !a.secure {
		t.Error("an https redirect URL gives cookies without Secure")
	}
	ok.RedirectURL = "http://127.0.0.1:8080/admin/callback"
	if a, _ := New(ok); a.secure {
		t.Error("a loopback http redirect URL gives Secure cookies, which the browser would not send back")
	}
}

// TestLargeReview: a group of more questions than one decision takes
// offers the first MaxQuestions and says how many wait; the page shows at
// most MaxGroups groups and says so.
func TestLargeReview(t *testing.T) {
	h := newHarness(t)
	now := time.Now()
	var misses []bot.Miss
	for i := range MaxQuestions + 50 {
		misses = append(misses, bot.Miss{Question: fmt.Sprintf("who fixes printer number %d", i), Adapter: "web", At: now.Add(-time.Duration(i) * time.Second)})
	}
	for i := range MaxGroups + 20 {
		misses = append(misses, bot.Miss{Question: fmt.Sprintf("zq%dx kv%dy", i, i), Adapter: "web", At: now.Add(-time.Hour - time.Duration(i)*time.Second)})
	}
	for _, m := range misses {
		if err := h.st.RecordMiss(t.Context(), m); err != nil {
			t.Fatal(err)
		}
	}
	c, page := h.signedIn()
	if !strings.Contains(page.body, fmt.Sprintf("%d groups of questions", MaxGroups+21)) || !strings.Contains(page.body, fmt.Sprintf("the first %d shown", MaxGroups)) {
		t.Errorf("the page does not say it shows %d groups of %d", MaxGroups, MaxGroups+21)
	}
	if n := len(forms(page.body)); n != MaxGroups {
		t.Errorf("%d forms, want %d", n, MaxGroups)
	}
	f := formWith(t, page.body, "who fixes printer number 0")
	if len(f.questions) != MaxQuestions || !strings.Contains(page.body, "and 50 more, left for the next decision") {
		t.Fatalf("the printer group's form takes %d questions, want %d, and says 50 more wait", len(f.questions), MaxQuestions)
	}
	r := h.post(c, "/admin/decide", f.values(csrf(t, page.body), "dismiss"))
	if r.status != http.StatusOK || h.decisions() != MaxQuestions || !strings.Contains(r.body, fmt.Sprintf("and %d similar questions", MaxQuestions-1)) {
		t.Fatalf("deciding on %d questions: status %d, %d decisions", MaxQuestions, r.status, h.decisions())
	}
	if f := formWith(t, r.body, "who fixes printer number 249"); len(f.questions) != 50 {
		t.Errorf("the rest of the group: %d questions, want 50", len(f.questions))
	}
}

// TestSharedSide: the form's side is kept for a shared entry, said in the
// notice and the examples, and left out for an entry that is not shared.
func TestSharedSide(t *testing.T) {
	h := newHarness(t)
	var shared *knowledge.Entry
	for _, e := range knowledge.Default().Entries() {
		if e.Owner == knowledge.OwnerShared {
			shared = e
			break
		}
	}
	if shared == nil {
		t.Fatal("the knowledge has no shared entry")
	}
	auth := []string{"Authorization", "Bearer " + testToken}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	decide := func(q, entry, side string) response {
		return h.post(c, "/admin/decide", url.Values{"q": {q}, "kind": {"answer"}, "entry": {entry}, "side": {side}}, auth...)
	}
	if r := decide("who approves our changes", shared.ID, "customer"); r.status != http.StatusSeeOther {
		t.Fatalf("a shared entry with a side: status %d\n%s", r.status, r.body)
	}
	if r := decide("who fixes printers", "customer/printing", "customer"); r.status != http.StatusSeeOther {
		t.Fatalf("an entry not shared, with a side: status %d\n%s", r.status, r.body)
	}
	if r := decide("who approves", shared.ID, "left"); r.status != http.StatusBadRequest || !strings.Contains(r.body, "There is no side &#34;left&#34;") {
		t.Errorf("a side that does not exist: status %d\n%s", r.status, r.body)
	}
	ds, _ := h.st.Decisions(t.Context())
	sides := map[string]string{}
	for _, d := range ds {
		sides[d.Question] = d.Side
	}
	if len(ds) != 2 || sides["who approves our changes"] != "customer" || sides["who fixes printers"] != "" {
		t.Errorf("decisions: %+v", ds)
	}
	if r := h.get(c, "/admin", auth...); !strings.Contains(r.body, "“"+shared.Title+"” (your organisation&#39;s part)</strong>") {
		t.Errorf("the examples do not say the part:\n%s", r.body)
	}
}

// TestAlerts: what the server says of the knowledge itself (its published
// page changed) stands above the review, escaped like everything else.
func TestAlerts(t *testing.T) {
	alert := "The published Learn page has changed <since> the knowledge was loaded."
	h := newHarness(t, func(o *Options) { o.Alerts = func() []string { return []string{alert} } })
	_, page := h.signedIn()
	if !strings.Contains(page.body, `<p class="alert" role="status">The published Learn page has changed &lt;since&gt; the knowledge was loaded.</p>`) {
		t.Errorf("the alert is not on the page:\n%s", page.body)
	}
	quiet := newHarness(t)
	if _, page := quiet.signedIn(); strings.Contains(page.body, `class="alert"`) {
		t.Error("an alert without Options.Alerts")
	}
}
