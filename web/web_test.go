package web

import (
	"bytes"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mmdbot/mmdbot/bot"
	goldenfile "github.com/mmdbot/mmdbot/internal/golden"
	"github.com/mmdbot/mmdbot/internal/replytest"
	"github.com/mmdbot/mmdbot/knowledge"
)

// lexical is the embedded knowledge judged by its lexical matcher alone:
// the page's tests show each kind of reply (both sides, "did you mean")
// for questions whose verdict does not move with the examples the model
// learns from.
var lexical = sync.OnceValue(func() *knowledge.Base { return knowledge.Default().Train(nil) })

// newTestSite returns a Site over the embedded entries, and its bot.
func newTestSite(tb testing.TB) (*Site, *bot.Bot) {
	tb.Helper()
	b := bot.New(lexical(), bot.Options{})
	return New(b, Options{}), b
}

// newMux mounts the site as the serve command does.
func newMux(s *Site) *http.ServeMux {
	mux := http.NewServeMux()
	s.Routes(mux)
	return mux
}

// newServer starts a real HTTP server with the site's routes.
func newServer(tb testing.TB) (*httptest.Server, *bot.Bot) {
	tb.Helper()
	s, b := newTestSite(tb)
	srv := httptest.NewServer(newMux(s))
	tb.Cleanup(srv.Close)
	return srv, b
}

type response struct {
	status int
	header http.Header
	body   string
}

func get(tb testing.TB, method, u string, header ...string) response {
	tb.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		tb.Fatalf("new request %s: %v", u, err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, u, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		tb.Fatalf("read %s: %v", u, err)
	}
	return response{res.StatusCode, res.Header, string(body)}
}

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	goldenfile.Check(t, filepath.Join("testdata", name), got)
}

func TestGolden(t *testing.T) {
	s, _ := newTestSite(t)
	tests := []struct {
		name     string
		target   string // the request to the page
		template string // the part of the page to compare
		status   int
	}{
		{"answer.golden", "/?q=who+handles+VPN+issues%3F", "reply", 200},
		{"shared.golden", "/?q=who+packages+our+apps%3F", "reply", 200},
		{"both.golden", "/?q=security", "reply", 200},
		{"suggest.golden", "/?q=monitoring", "reply", 200},
		{"unknown.golden", "/?q=who+books+the+office+party%3F", "reply", 200},
		{"help.golden", "/?q=help", "reply", 200},
		{"show.golden", "/?q=monitoring&show=microsoft%2Fsecurity-monitoring", "reply", 200},
		{"table.golden", "/", "table", 200},
		{"table-filtered.golden", "/?owner=customer&filter=sup", "table", 200},
		{"page.golden", "/?q=who+handles+VPN+issues%3F", "page", 200},
		{"bad-input.golden", "/?q=+", "page", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, status := s.page(httptest.NewRequest("GET", tt.target, nil))
			if status != tt.status {
				t.Fatalf("status %d, want %d", status, tt.status)
			}
			var data any = v
			switch tt.template {
			case "reply":
				if v.Reply == nil {
					t.Fatalf("no reply (problem %q)", v.Problem)
				}
				data = v.Reply
			case "table":
				data = v
			}
			var buf bytes.Buffer
			if err := templates.ExecuteTemplate(&buf, tt.template, data); err != nil {
				t.Fatalf("render %s: %v", tt.template, err)
			}
			golden(t, tt.name, buf.Bytes())
		})
	}
}

// TestSaysWhatTheBotSays renders every kind of reply the bot gives as the
// page shows it, compares it with the golden files under testdata/replies,
// and checks that it says what every renderer says: the bot's sentences,
// and its actions as links (the page takes no votes, and its links say
// what chat's hints say).
func TestSaysWhatTheBotSays(t *testing.T) {
	for _, c := range replytest.Cases(t) {
		t.Run(c.Name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := templates.ExecuteTemplate(&buf, "reply", replyOf(c.Reply, c.Reply.Question)); err != nil {
				t.Fatal(err)
			}
			if c.Reply.Kind == bot.KindTable {
				v := &pageView{Table: tableOf(c.Reply, "", "", nil)}
				if err := templates.ExecuteTemplate(&buf, "table", v); err != nil {
					t.Fatal(err)
				}
			}
			golden(t, filepath.Join("replies", c.Name+".golden"), buf.Bytes())
			text := html.UnescapeString(tags.ReplaceAllString(buf.String(), " "))
			replytest.Check(t, c.Name, text, replytest.Says(c.Reply))
			var labels []string
			for _, a := range c.Reply.Actions {
				if a.Kind != bot.ActVote {
					labels = append(labels, a.Label)
				}
			}
			replytest.Check(t, c.Name, text, labels)
		})
	}
}

// tags matches an HTML tag.
var tags = regexp.MustCompile(`<[^>]*>`)

// The golden cases must show what their names say.
func TestGoldenKinds(t *testing.T) {
	s, _ := newTestSite(t)
	tests := []struct {
		target string
		kind   bot.Kind
		check  func(*replyView) bool
	}{
		{"/?q=who+handles+VPN+issues%3F", bot.KindAnswer, func(r *replyView) bool {
			return len(r.Answers) == 1 && r.Answers[0].Entry.Owner == knowledge.OwnerCustomer
		}},
		{"/?q=who+packages+our+apps%3F", bot.KindAnswer, func(r *replyView) bool {
			return r.Answers[0].Entry.Owner == knowledge.OwnerShared && r.Answers[0].Entry.Split != nil
		}},
		{"/?q=security", bot.KindAnswer, func(r *replyView) bool { return r.Both && len(r.Answers) == 2 }},
		{"/?q=monitoring", bot.KindSuggest, func(r *replyView) bool { return len(r.Choices) >= 2 }},
		{"/?q=who+books+the+office+party%3F", bot.KindUnknown, func(r *replyView) bool { return true }},
	}
	for _, tt := range tests {
		v, _ := s.page(httptest.NewRequest("GET", tt.target, nil))
		if v.Reply == nil || v.Reply.Kind != tt.kind || !tt.check(v.Reply) {
			t.Errorf("%s: got %+v, want a %s reply", tt.target, v.Reply, tt.kind)
		}
	}
}

func TestPage(t *testing.T) {
	srv, _ := newServer(t)
	long := strings.Repeat("a", MaxInput+1)
	tests := []struct {
		name   string
		target string
		status int
		want   []string // substrings of the body
		not    []string
	}{
		{"home", "/", 200, []string{`<h1 id="ask-title">Who is responsible?</h1>`, "Showing 15 of 15 responsibilities."}, []string{`id="problem"`, `class="reply`}},
		{"answer", "/?q=who+handles+VPN+issues%3F", 200, []string{
			`<strong class="owner-name">Your organisation is responsible</strong>`,
			`<h3 id="answer-entry-customer-network-infrastructure-including-vpn">Network infrastructure, including VPN</h3>`,
			`<a href="https://learn.microsoft.com/en-us/microsoft-365/managed-desktop/prepare/network">Read more on Microsoft Learn: Proxy Configuration</a>`,
			`Source: <a href="https://learn.microsoft.com/en-us/microsoft-365/managed-desktop/intro/roles-and-responsibilities">Microsoft Managed Desktop roles and responsibilities</a>, as of <time datetime="2022-12-06">6 December 2022</time>`,
			`value="who handles VPN issues?"`,
			`<a href="?show=customer%2Fnetwork-infrastructure-including-vpn#answer">Link to this answer</a>`,
			`<section id="answer" class="answer-area" aria-live="polite"`,
			`<title>Network infrastructure, including VPN: Your organisation — mmdbot</title>`,
		}, nil},
		{"contact", "/?q=who+patches+windows", 200, []string{`<span class="label">Contact:</span> <a href="https://learn.microsoft.com/en-us/microsoft-365/managed-desktop/operate/support-request">`}, nil},
		{"shared", "/?q=who+packages+our+apps%3F", 200, []string{`Shared: Microsoft and your organisation`, `<dt>Microsoft</dt>`, `<dt>Your organisation</dt>`}, nil},
		{"both", "/?q=security", 200, []string{"<title>Security monitoring: Microsoft and your organisation — mmdbot</title>", "Both Microsoft and your organisation have a part in this", `<strong class="owner-name">Microsoft is responsible</strong>`, `<strong class="owner-name">Your organisation is responsible</strong>`}, nil},
		{"did you mean", "/?q=monitoring", 200, []string{"I&#39;m not sure which of these you mean:", `href="?q=monitoring&amp;show=microsoft%2Fsecurity-monitoring#answer"`}, nil},
		{"show", "/?show=customer%2Fprinting", 200, []string{`<h3 id="answer-entry-customer-printing">Printing</h3>`,
			`<span class="label">Contact:</span> your service desk`},
			// Printing has no page of its own: the source line names the page, once.
			[]string{`Read more on Microsoft Learn: Microsoft Managed Desktop roles`}},
		{"show bogus", "/?show=bogus", 200, []string{"There is no entry &#34;bogus&#34;.", `<a href="#table">Show the table</a>`}, []string{"Type", "&#34;table&#34;"}},
		{"show unknown", "/?show=customer%2Fprintin", 200, []string{"There is no entry &#34;customer/printin&#34;. Did you mean:"}, nil},
		{"unknown", "/?q=who+books+the+office+party%3F", 200, []string{"I don&#39;t know who is responsible for that."}, nil},
		{"list", "/?q=list+microsoft", 200, []string{"The table below shows what Microsoft is responsible for.", "Showing 6 of 15 responsibilities.", `<option value="microsoft" selected>`}, nil},
		{"filter", "/?filter=updates", 200, []string{"Showing 2 of 15 responsibilities.", `value="updates"`}, nil},
		{"owner", "/?owner=shared", 200, []string{"Showing 3 of 15 responsibilities.", `<option value="shared" selected>`}, nil},
		{"owner alias", "/?owner=customer&filter=", 200, []string{"Showing 6 of 15 responsibilities."}, nil},
		{"nothing matches", "/?filter=zzzz", 200, []string{"Showing 0 of 15 responsibilities.", `<p id="no-match" class="no-match">`}, nil},
		{"empty question", "/?q=", 400, []string{`<p id="problem" class="problem" role="alert">Type a question first`, `aria-invalid="true"`, "Showing 15 of 15"}, nil},
		{"blank question", "/?q=+%09", 400, []string{"Type a question first"}, nil},
		{"too long", "/?q=" + long, 400, []string{"That question is too long: use at most 2000 characters."}, nil},
		{"invalid UTF-8", "/?q=%ff%fe", 400, []string{"That question is not valid text: it must be UTF-8.", `value="�"`}, nil},
		{"bad owner", "/?owner=bogus", 400, []string{"There is no owner &#34;bogus&#34;", "Showing 15 of 15", `<select id="owner" name="owner" aria-invalid="true"`}, []string{`placeholder="who handles VPN issues?" aria-describedby="q-hint" aria-invalid`}},
		{"bad filter", "/?filter=%ff", 400, []string{"That filter is not valid text"}, nil},
		{"bad show", "/?show=", 400, []string{"That entry is empty."}, nil},
		{"bad query string", "/?q=a;b", 400, []string{"That address is not valid"}, nil},
		{"escaped", "/?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E", 200, []string{`value="&lt;script&gt;alert(1)&lt;/script&gt;"`}, []string{"<script>alert"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := get(t, "GET", srv.URL+tt.target)
			if r.status != tt.status {
				t.Errorf("status %d, want %d", r.status, tt.status)
			}
			if ct := r.header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "default-src 'none'") {
				t.Errorf("Content-Security-Policy %q", csp)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.body, w) {
					t.Errorf("body lacks %q", w)
				}
			}
			for _, w := range tt.not {
				if strings.Contains(r.body, w) {
					t.Errorf("body has %q", w)
				}
			}
			checkNoInline(t, r.body)
		})
	}
}

var (
	inlineScript = regexp.MustCompile(`<script(?:\s[^>]*)?>`)
	inlineStyle  = regexp.MustCompile(`(?i)<style|\sstyle=|\son[a-z]+=`)
)

// checkNoInline fails when the page has what its Content-Security-Policy
// forbids: inline script, inline style, event handler attributes.
func checkNoInline(t *testing.T, body string) {
	t.Helper()
	for _, tag := range inlineScript.FindAllString(body, -1) {
		if !strings.Contains(tag, ` src="`) {
			t.Errorf("inline script: %s", tag)
		}
	}
	if m := inlineStyle.FindString(body); m != "" {
		t.Errorf("inline style or handler: %q", m)
	}
}

func TestMethods(t *testing.T) {
	s, _ := newTestSite(t)
	handlers := map[string]http.Handler{"page": s.Page(), "ask": s.Ask(), "entries": s.Entries(), "static": s.Static()}
	for name, h := range handlers {
		for _, m := range []string{"POST", "PUT", "DELETE", "PATCH", "OPTIONS"} {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(m, "/static/mmdbot.css?q=vpn", strings.NewReader("x")))
			if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "GET, HEAD" {
				t.Errorf("%s %s: status %d, Allow %q; want 405 and GET, HEAD", m, name, rec.Code, rec.Header().Get("Allow"))
			}
		}
	}
	srv, _ := newServer(t)
	for _, target := range []string{"/?q=vpn", "/api/ask?q=vpn", "/api/entries", "/static/mmdbot.css"} {
		r := get(t, "HEAD", srv.URL+target)
		if r.status != 200 || r.body != "" {
			t.Errorf("HEAD %s: status %d, body %d bytes", target, r.status, len(r.body))
		}
	}
}

func TestAsk(t *testing.T) {
	srv, b := newServer(t)
	for _, q := range []string{"who handles VPN issues?", "security", "monitoring", "who books the office party?", "table", "help", "show customer/printing", "<b>&amp;</b>"} {
		r := get(t, "GET", srv.URL+"/api/ask?q="+url.QueryEscape(q))
		if r.status != 200 {
			t.Errorf("%q: status %d: %s", q, r.status, r.body)
			continue
		}
		if ct := r.header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
			t.Errorf("%q: Content-Type %q", q, ct)
		}
		rep, err := b.Handle(t.Context(), bot.Message{Text: q, Via: bot.ViaWeb, Adapter: Adapter})
		if err != nil {
			t.Fatalf("handle %q: %v", q, err)
		}
		if want := indentJSON(t, rep.JSON()); r.body != want {
			t.Errorf("%q: the API's JSON differs from mmdbot ask --json:\ngot  %s\nwant %s", q, r.body, want)
		}
	}
	bad := []struct {
		name, target, want string
	}{
		{"missing", "/api/ask", "Type a question first, for example: who handles VPN issues?"},
		{"empty", "/api/ask?q=", "Type a question first, for example: who handles VPN issues?"},
		{"blank", "/api/ask?q=%20%20", "Type a question first, for example: who handles VPN issues?"},
		{"too long", "/api/ask?q=" + strings.Repeat("%C3%A9", MaxInput+1), "That question is too long: use at most 2000 characters."},
		{"invalid UTF-8", "/api/ask?q=vpn%C3", "That question is not valid text: it must be UTF-8."},
		{"bad query string", "/api/ask?q=%zz", "The query string cannot be read."},
	}
	for _, tt := range bad {
		r := get(t, "GET", srv.URL+tt.target)
		var e struct{ Error string }
		if err := json.Unmarshal([]byte(r.body), &e); err != nil || r.status != 400 || e.Error != tt.want {
			t.Errorf("%s: status %d, body %s; want 400 with error %q", tt.name, r.status, r.body, tt.want)
		}
	}
	// 2,000 characters are fine, even when they take more bytes.
	if r := get(t, "GET", srv.URL+"/api/ask?q="+strings.Repeat("%C3%A9", MaxInput)); r.status != 200 {
		t.Errorf("2000 characters: status %d: %s", r.status, r.body)
	}
}

func indentJSON(t *testing.T, v any) string {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatalf("encode: %v", err)
	}
	return buf.String()
}

func TestEntries(t *testing.T) {
	srv, b := newServer(t)
	kb := b.Knowledge()
	tests := []struct {
		query  string
		owners []knowledge.Owner
	}{
		{"", knowledge.Owners},
		{"?owner=", knowledge.Owners},
		{"?owner=microsoft", []knowledge.Owner{knowledge.OwnerMicrosoft}},
		{"?owner=customer", []knowledge.Owner{knowledge.OwnerCustomer}},
		{"?owner=shared", []knowledge.Owner{knowledge.OwnerShared}},
		{"?owner=Your+organisation", []knowledge.Owner{knowledge.OwnerCustomer}},
	}
	for _, tt := range tests {
		r := get(t, "GET", srv.URL+"/api/entries"+tt.query)
		if r.status != 200 {
			t.Fatalf("%s: status %d: %s", tt.query, r.status, r.body)
		}
		want := []*knowledge.Entry{}
		for _, o := range tt.owners {
			want = append(want, kb.ByOwner(o)...)
		}
		if got, w := r.body, indentJSON(t, want); got != w {
			t.Errorf("%s: the API's JSON differs from mmdbot table --format json", tt.query)
		}
	}
	var all []struct {
		ID    string          `json:"id"`
		Owner knowledge.Owner `json:"owner"`
	}
	if err := json.Unmarshal([]byte(get(t, "GET", srv.URL+"/api/entries").body), &all); err != nil || len(all) != len(kb.Entries()) {
		t.Fatalf("all entries: %d, %v", len(all), err)
	}
	if !slices.IsSortedFunc(all, func(a, b struct {
		ID    string          `json:"id"`
		Owner knowledge.Owner `json:"owner"`
	}) int {
		return slices.Index(knowledge.Owners, a.Owner) - slices.Index(knowledge.Owners, b.Owner)
	}) {
		t.Errorf("entries are not in microsoft, customer, shared order")
	}
	// The filter keeps what the page's table filter keeps, in the table's
	// order.
	for _, q := range []string{"?filter=updates", "?owner=microsoft&filter=updates", "?filter=wifi", "?filter=zzz"} {
		form, _ := url.ParseQuery(strings.TrimPrefix(q, "?"))
		keep := bot.New(kb, bot.Options{}).Filter(form.Get("filter"))
		want := []*knowledge.Entry{}
		for _, o := range knowledge.Owners {
			if form.Get("owner") != "" && string(o) != form.Get("owner") {
				continue
			}
			for _, e := range kb.ByOwner(o) {
				if keep[e.ID] {
					want = append(want, e)
				}
			}
		}
		if got := get(t, "GET", srv.URL+"/api/entries"+q).body; got != indentJSON(t, want) {
			t.Errorf("%s: got %.200s, want the %d entries the table filter keeps", q, got, len(want))
		}
	}
	for _, q := range []string{"?owner=bogus", "?owner=%ff", "?owner=a;b", "?owner=" + strings.Repeat("x", 3000), "?filter=%ff", "?filter=" + strings.Repeat("x", 3000)} {
		r := get(t, "GET", srv.URL+"/api/entries"+q)
		var e struct{ Error string }
		if err := json.Unmarshal([]byte(r.body), &e); err != nil || r.status != 400 || e.Error == "" {
			t.Errorf("%s: status %d, body %s; want 400 with an error", q, r.status, r.body)
		}
	}
}

// An owner with no entries lists none: [], not null.
func TestEntriesNone(t *testing.T) {
	kb, err := knowledge.Load(knowledge.File{Name: "one.yaml", Data: []byte(
		"page:\n  title: One\n  date: 2025-01-01\n  url: https://example.com/kb\n" +
			"entries:\n  - title: Printing\n    side: customer\n    description: Printers and print queues.\n")})
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	s := New(bot.New(kb, bot.Options{}), Options{})
	rec := httptest.NewRecorder()
	s.Entries().ServeHTTP(rec, httptest.NewRequest("GET", "/api/entries?owner=microsoft", nil))
	if rec.Code != 200 || strings.TrimSpace(rec.Body.String()) != "[]" {
		t.Errorf("status %d, body %q; want 200 and []", rec.Code, rec.Body.String())
	}
	// The page shows the one entry, with no empty groups.
	rec = httptest.NewRecorder()
	s.Page().ServeHTTP(rec, httptest.NewRequest("GET", "/?q=printers", nil))
	body := rec.Body.String()
	if rec.Code != 200 || strings.Contains(body, `id="group-microsoft"`) || !strings.Contains(body, "Showing 1 of 1 responsibility.") {
		t.Errorf("status %d; page of a one-entry knowledge base:\n%s", rec.Code, body)
	}
}

func TestStatic(t *testing.T) {
	srv, _ := newServer(t)
	for name, ctype := range map[string]string{"mmdbot.css": "text/css; charset=utf-8", "mmdbot.js": "text/javascript; charset=utf-8", "icon.svg": "image/svg+xml"} {
		a := assets[name]
		r := get(t, "GET", srv.URL+"/static/"+name+"?v="+a.hash)
		if r.status != 200 || r.header.Get("Content-Type") != ctype || r.body != string(a.data) {
			t.Errorf("%s: status %d, Content-Type %q", name, r.status, r.header.Get("Content-Type"))
		}
		if cc := r.header.Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
			t.Errorf("%s with its version: Cache-Control %q", name, cc)
		}
		if cc := get(t, "GET", srv.URL+"/static/"+name).header.Get("Cache-Control"); cc != "public, max-age=3600" {
			t.Errorf("%s without a version: Cache-Control %q", name, cc)
		}
		if r := get(t, "GET", srv.URL+"/static/"+name, "If-None-Match", r.header.Get("ETag")); r.status != http.StatusNotModified {
			t.Errorf("%s with If-None-Match: status %d, want 304", name, r.status)
		}
	}
	for _, p := range []string{"/static/", "/static/nope.css", "/static/static/mmdbot.css", "/static/..%2fweb.go", "/static/templates/page.html"} {
		if r := get(t, "GET", srv.URL+p); r.status != 404 {
			t.Errorf("%s: status %d, want 404", p, r.status)
		}
	}
	// Every asset the page names is served.
	page := get(t, "GET", srv.URL+"/").body
	refs := regexp.MustCompile(`(?:href|src)="(static/[^"]+)"`).FindAllStringSubmatch(page, -1)
	if len(refs) < 3 {
		t.Fatalf("the page names %d static files, want 3", len(refs))
	}
	for _, m := range refs {
		u := strings.ReplaceAll(m[1], "&amp;", "&")
		if r := get(t, "GET", srv.URL+"/"+u); r.status != 200 {
			t.Errorf("%s: status %d", u, r.status)
		}
	}
}

func TestAssetURL(t *testing.T) {
	srv, _ := newServer(t)
	u, err := AssetURL("mmdbot.css")
	if err != nil || u != "/static/mmdbot.css?v="+assets["mmdbot.css"].hash {
		t.Fatalf("AssetURL(mmdbot.css) = %q, %v", u, err)
	}
	if r := get(t, "GET", srv.URL+u); r.status != 200 || r.header.Get("Cache-Control") != "public, max-age=31536000, immutable" {
		t.Errorf("%s: status %d, Cache-Control %q", u, r.status, r.header.Get("Cache-Control"))
	}
	if u, err := AssetURL("nope.css"); err == nil || u != "" {
		t.Errorf("AssetURL(nope.css) = %q, %v; want an error", u, err)
	}
}

func TestFilter(t *testing.T) {
	kb := knowledge.Default()
	tests := []struct {
		filter string
		want   []string // titles, in the table's order; nil: no filter
	}{
		{"", nil},
		{"   ", nil},
		// Words and stems over titles and descriptions: User support lists
		// printers among what it supports.
		{"print", []string{"User support", "Printing"}},
		{"PRINT", []string{"User support", "Printing"}},
		{"updates", []string{"Update monitoring and management", "Apps"}},
		{"upd", []string{"Update monitoring and management", "Apps"}},
		{"vpn", []string{"User support", "Network infrastructure, including VPN"}},
		// The matcher's vocabulary: the words people use, not the page's.
		{"wifi", []string{"Network infrastructure, including VPN"}},
		{"patch tuesday", []string{"Update monitoring and management"}},
		// Fuzzy titles: abbreviations.
		{"updmon", []string{"Update monitoring and management"}},
		{"sec mon", []string{"Security monitoring", "Security monitoring and response"}},
		{"zzz", []string{}},
	}
	for _, tt := range tests {
		keep := bot.New(kb, bot.Options{}).Filter(tt.filter)
		if tt.want == nil {
			if keep != nil {
				t.Errorf("%q: kept %v, want no filter", tt.filter, keep)
			}
			continue
		}
		got := []string{}
		for _, o := range knowledge.Owners {
			for _, e := range kb.ByOwner(o) {
				if keep[e.ID] {
					got = append(got, e.Title)
				}
			}
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%q: kept %q, want %q", tt.filter, got, tt.want)
		}
	}
}

// The page and the API keep answering while the knowledge is replaced.
func TestReloadWhileServing(t *testing.T) {
	srv, b := newServer(t)
	other, err := knowledge.Load(knowledge.File{Name: "one.yaml", Data: []byte(
		"page:\n  title: One\n  date: 2025-01-01\n  url: https://example.com/kb\n" +
			"entries:\n  - title: Printing\n    side: customer\n    description: Printers and print queues.\n")})
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	def := b.Knowledge()
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if i%2 == 0 {
				b.SetKnowledge(other)
			} else {
				b.SetKnowledge(def)
			}
		}
	}()
	for range 20 {
		for _, target := range []string{"/?q=who+fixes+printers%3F", "/api/ask?q=printers", "/api/entries", "/?filter=print&owner=customer"} {
			if r := get(t, "GET", srv.URL+target); r.status != 200 {
				t.Fatalf("%s: status %d", target, r.status)
			}
		}
	}
	close(stop)
	<-done
}

// The privacy statement says what this server records; the terms name the
// source page. Both are golden, and like every page carry no inline script.
func TestLegalPages(t *testing.T) {
	b := bot.New(knowledge.Default(), bot.Options{})
	tests := []struct {
		name    string
		records Records
		page    func(*Site) http.Handler
		want    []string
		not     []string
	}{
		{"privacy.golden", Records{On: true, Retention: 2160 * time.Hour}, (*Site).Privacy,
			[]string{"<title>Privacy — mmdbot</title>", "deleted after 90 days", "only a pseudonym, a salted one-way digest"}, []string{"and your user id"}},
		{"privacy-off.golden", Records{}, (*Site).Privacy,
			[]string{"Nothing: this mmdbot keeps no questions and no votes."}, []string{"deleted after"}},
		{"terms.golden", Records{}, (*Site).Terms,
			[]string{"<title>Terms of use — mmdbot</title>", `<a href="https://learn.microsoft.com/en-us/microsoft-365/managed-desktop/intro/roles-and-responsibilities">Microsoft Managed Desktop roles and responsibilities</a>`}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(b, Options{Records: tt.records})
			rec := httptest.NewRecorder()
			tt.page(s).ServeHTTP(rec, httptest.NewRequest("GET", "/x", nil))
			if rec.Code != 200 || rec.Header().Get("Content-Type") != "text/html; charset=utf-8" || rec.Header().Get("Content-Security-Policy") == "" {
				t.Fatalf("status %d, headers %v", rec.Code, rec.Header())
			}
			body := rec.Body.String()
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("lacks %q", w)
				}
			}
			for _, w := range tt.not {
				if strings.Contains(body, w) {
					t.Errorf("has %q", w)
				}
			}
			checkNoInline(t, body)
			golden(t, tt.name, rec.Body.Bytes())
		})
	}
	rec := httptest.NewRecorder()
	New(b, Options{}).Terms().ServeHTTP(rec, httptest.NewRequest("POST", "/terms", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /terms: %d", rec.Code)
	}
}

// TestSideLeads asks, with the model, about one side's part of a shared
// entry: the answer leads with that side and says the entry is shared.
func TestSideLeads(t *testing.T) {
	s := New(bot.New(knowledge.Default(), bot.Options{}), Options{})
	srv := httptest.NewServer(newMux(s))
	defer srv.Close()
	res, err := http.Get(srv.URL + "/?q=who+packages+our+SAP+installer+for+Intune%3F")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	for _, want := range []string{`<article class="answer owner-customer"`, `<strong class="owner-name">Your organisation is responsible</strong>`,
		`<h3 id="answer-entry-customer-apps">Apps</h3>`, `<p class="side-note">Your organisation does the part you asked about.`, `<dt>Microsoft</dt>`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("the page lacks %s", want)
		}
	}
}
