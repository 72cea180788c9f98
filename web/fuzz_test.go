package web

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzQuery sends any query string to the page and to the API: they never
// panic, answer 200 or 400 (never 500), give the API's errors as JSON, and
// write valid UTF-8 that echoes no markup unescaped.
func FuzzQuery(f *testing.F) {
	for _, seed := range []string{
		"q=who+handles+VPN+issues%3F",
		"q=",
		"q=%ff%fe",
		"q=a;b",
		"q=%zz",
		"q=monitoring&show=microsoft%2Fsecurity-monitoring",
		"show=customer%2Fprintin",
		"show=",
		"owner=bogus&filter=print",
		"owner=customer&filter=%E2%80%A8",
		"filter=" + strings.Repeat("x", 50),
		"q=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
		"q=list+shared",
		"q=help",
		"q=table&owner=us",
		"q=%00%00",
		"q=" + strings.Repeat("%C3%A9", MaxInput+1),
	} {
		f.Add(seed)
	}
	s, _ := newTestSite(f)
	page, ask, entries := s.Page(), s.Ask(), s.Entries()
	f.Fuzz(func(t *testing.T, raw string) {
		for name, h := range map[string]struct {
			path string
			json bool
		}{"page": {"/", false}, "ask": {"/api/ask", true}, "entries": {"/api/entries", true}} {
			req := httptest.NewRequest("GET", h.path, nil)
			req.URL.RawQuery = raw
			rec := httptest.NewRecorder()
			switch name {
			case "page":
				page.ServeHTTP(rec, req)
			case "ask":
				ask.ServeHTTP(rec, req)
			default:
				entries.ServeHTTP(rec, req)
			}
			if rec.Code != 200 && rec.Code != 400 {
				t.Fatalf("%s ?%q: status %d: %s", name, raw, rec.Code, rec.Body)
			}
			body := rec.Body.Bytes()
			if !utf8.Valid(body) {
				t.Fatalf("%s ?%q: the body is not valid UTF-8", name, raw)
			}
			if h.json {
				if !json.Valid(body) {
					t.Fatalf("%s ?%q: the body is not JSON: %s", name, raw, body)
				}
				if rec.Code == 400 {
					var e errorJSON
					if json.Unmarshal(body, &e) != nil || e.Error == "" {
						t.Fatalf("%s ?%q: a 400 without an error message: %s", name, raw, body)
					}
				}
				continue
			}
			if strings.Contains(rec.Body.String(), "<script>") {
				t.Fatalf("page ?%q: an inline script in the page", raw)
			}
		}
	})
}
