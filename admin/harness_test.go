package admin

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mmdbot/mmdbot/bot"
	"github.com/mmdbot/mmdbot/internal/oidctest"
	"github.com/mmdbot/mmdbot/knowledge"
	"github.com/mmdbot/mmdbot/metrics"
	"github.com/mmdbot/mmdbot/store"
)

const (
	testClientID = "00000000-aaaa-bbbb-cccc-mmdbot000001"
	testSecret   = "client-secret-from-entra"
	testToken    = "a-static-admin-token-for-scripts"
	testRole     = "MMD.Reviewer"
	testGroup    = "6f1c2d3e-0000-4000-8000-000000000042"
)

var (
	ada   = oidctest.Claims{OID: "11111111-1111-1111-1111-111111111111", PreferredUsername: "Ada@Contoso.example", Name: "Ada Lovelace"}
	bob   = oidctest.Claims{OID: "22222222-2222-2222-2222-222222222222", PreferredUsername: "bob@contoso.example", Name: "Bob"}
	carol = oidctest.Claims{OID: "33333333-3333-3333-3333-333333333333", PreferredUsername: "carol@contoso.example", Roles: []string{"Other", testRole}}
	dan   = oidctest.Claims{OID: "44444444-4444-4444-4444-444444444444", PreferredUsername: "dan@contoso.example", Groups: []string{testGroup}}
	erin  = oidctest.Claims{OID: "55555555-5555-5555-5555-555555555555", Email: "erin@contoso.example"}
)

// harness is the review page on a loopback server, with a real store, the
// embedded knowledge and a real OpenID provider.
type harness struct {
	t       *testing.T
	p       *oidctest.Provider
	st      *store.Store
	a       *Admin
	srv     *httptest.Server
	changed atomic.Int32
	metrics *metrics.Metrics
	// skew moves the page's clock forward.
	skew atomic.Int64
}

func newHarness(t *testing.T, mods ...func(*Options)) *harness {
	t.Helper()
	h := &harness{t: t, p: oidctest.New(t), metrics: metrics.New()}
	st, err := store.Open(t.Context(), store.Memory, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h.st = st
	mux := http.NewServeMux()
	h.srv = httptest.NewServer(mux)
	t.Cleanup(h.srv.Close)
	redirect := h.srv.URL + callbackPath
	h.p.AddClient(oidctest.Client{ID: testClientID, Secret: testSecret, RedirectURL: redirect})
	opts := Options{
		Store: st, Knowledge: knowledge.Default, Changed: func() { h.changed.Add(1) }, Telemetry: h.metrics,
		Issuer: h.p.Issuer(), ClientID: testClientID, ClientSecret: testSecret, RedirectURL: redirect,
		Allow: []string{"ada@contoso.example", erin.OID, "role:" + testRole, "group:" + testGroup},
		Token: testToken, SessionKey: []byte(strings.Repeat("k", 32)), HTTPClient: h.p.HTTPClient(),
		Now: func() time.Time { return time.Now().Add(time.Duration(h.skew.Load())) },
	}
	for _, m := range mods {
		m(&opts)
	}
	h.a, err = New(opts)
	if err != nil {
		t.Fatal(err)
	}
	h.a.Routes(mux)
	return h
}

// seed journals questions the bot did not answer and an answer voted 👎.
func (h *harness) seed() {
	h.t.Helper()
	ctx := h.t.Context()
	now := time.Now()
	misses := []struct {
		q, user, adapter string
		ago              time.Duration
	}{
		{"who fixes my printer", "u1", "slack", 5 * time.Hour},
		{"who can fix the printer?", "u2", "teams", 4 * time.Hour},
		{"printer broken who fixes my printer", "u3", "web", 3 * time.Hour},
		{"what is the weather in paris", "u4", "slack", 2 * time.Hour},
	}
	for _, m := range misses {
		if err := h.st.RecordMiss(ctx, bot.Miss{Question: m.q, Band: knowledge.BandUnknown, Adapter: m.adapter, User: m.user, At: now.Add(-m.ago)}); err != nil {
			h.t.Fatal(err)
		}
	}
	// The bot's answer got the 👎.
	answer := knowledge.Default().Search("who resets my password").Matches[0].Entry.ID
	if err := h.st.RecordVote(ctx, bot.Vote{Question: "who resets my password", EntryID: answer, Adapter: "teams", Voter: "v1", At: now.Add(-time.Hour)}); err != nil {
		h.t.Fatal(err)
	}
}

// decisions is how many decisions the store keeps.
func (h *harness) decisions() int {
	h.t.Helper()
	ds, err := h.st.Decisions(context.Background())
	if err != nil {
		h.t.Fatal(err)
	}
	return len(ds)
}

// refusals is how many requests the metrics count as refused for the
// reason.
func (h *harness) refusals(reason string) int {
	h.t.Helper()
	families, err := h.metrics.Registry().Gather()
	if err != nil {
		h.t.Fatal(err)
	}
	n := 0
	for _, f := range families {
		if f.GetName() != metrics.Namespace+"_refused_requests_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["adapter"] == Adapter && labels["reason"] == reason {
				n += int(m.GetCounter().GetValue())
			}
		}
	}
	return n
}

// browser is a browser: a client with a cookie jar that follows redirects.
func (h *harness) browser() *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		h.t.Fatal(err)
	}
	return &http.Client{Jar: jar, Timeout: 30 * time.Second}
}

// response is what a request got.
type response struct {
	status int
	header http.Header
	body   string
	url    *url.URL
}

func (h *harness) do(c *http.Client, req *http.Request) response {
	h.t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: string(b), url: resp.Request.URL}
}

func (h *harness) get(c *http.Client, path string, headers ...string) response {
	h.t.Helper()
	req, _ := http.NewRequest("GET", h.srv.URL+path, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return h.do(c, req)
}

func (h *harness) post(c *http.Client, path string, form url.Values, headers ...string) response {
	h.t.Helper()
	req, _ := http.NewRequest("POST", h.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return h.do(c, req)
}

// signIn signs the browser in as the user, following every redirect from
// /admin/login to the page, and returns the last response.
func (h *harness) signIn(c *http.Client, who oidctest.Claims, opts ...oidctest.Option) response {
	h.t.Helper()
	h.p.SignInAs(who, opts...)
	return h.get(c, "/admin/login")
}

// signedIn is a browser signed in as Ada, and the review page.
func (h *harness) signedIn() (*http.Client, response) {
	h.t.Helper()
	c := h.browser()
	r := h.signIn(c, ada)
	if r.status != http.StatusOK || r.url.Path != "/admin" {
		h.t.Fatalf("Ada signing in: status %d at %s\n%s", r.status, r.url, r.body)
	}
	return c, r
}

var (
	csrfMeta   = regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)">`)
	decideForm = regexp.MustCompile(`(?s)<form method="post" action="/admin/decide" class="decide">(.*?)</form>`)
	hiddenQ    = regexp.MustCompile(`name="q" value="([^"]*)"`)
	entrySel   = regexp.MustCompile(`(?s)<select id="g\d+-entry" name="entry">(.*?)</select>`)
	option     = regexp.MustCompile(`<option value="([^"]*)"( selected)?>`)
	undoIDs    = regexp.MustCompile(`(?s)<div class="notice" role="status">.*?</div>`)
	hiddenID   = regexp.MustCompile(`name="id" value="([^"]*)"`)
)

// csrf is the page's form token.
func csrf(t *testing.T, page string) string {
	t.Helper()
	m := csrfMeta.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no form token in the page:\n%s", page)
	}
	return html.UnescapeString(m[1])
}

// form is one group's decision form as the page has it.
type form struct {
	questions []string
	entries   []string
	selected  string // the entry chosen when the page opens
}

// forms reads the page's decision forms.
func forms(page string) []form {
	var out []form
	for _, m := range decideForm.FindAllStringSubmatch(page, -1) {
		var f form
		for _, q := range hiddenQ.FindAllStringSubmatch(m[1], -1) {
			f.questions = append(f.questions, html.UnescapeString(q[1]))
		}
		for _, o := range option.FindAllStringSubmatch(entrySel.FindString(m[1]), -1) {
			f.entries = append(f.entries, html.UnescapeString(o[1]))
			if o[2] != "" {
				f.selected = html.UnescapeString(o[1])
			}
		}
		out = append(out, f)
	}
	return out
}

// formWith is the form whose questions include q.
func formWith(t *testing.T, page, q string) form {
	t.Helper()
	for _, f := range forms(page) {
		for _, x := range f.questions {
			if x == q {
				return f
			}
		}
	}
	t.Fatalf("no form for %q in the page", q)
	return form{}
}

// values is the decision form as a browser submits it with one button.
func (f form) values(csrf, kind string) url.Values {
	v := url.Values{"csrf": {csrf}, "q": f.questions, "kind": {kind}, "side": {""}}
	switch {
	case f.selected != "":
		v.Set("entry", f.selected)
	case len(f.entries) > 0:
		v.Set("entry", f.entries[0])
	}
	return v
}
