package admin

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mmdbot/mmdbot/knowledge"
	"github.com/mmdbot/mmdbot/store"
)

// fuzzMux is the review page over a store in memory, for fuzzing its
// parsers through its handlers.
func fuzzMux(f *testing.F) *http.ServeMux {
	st, err := store.Open(f.Context(), store.Memory, 0)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	a, err := New(Options{Store: st, Knowledge: knowledge.Default, Token: testToken, SessionKey: make([]byte, 32)})
	if err != nil {
		f.Fatal(err)
	}
	mux := http.NewServeMux()
	a.Routes(mux)
	return mux
}

// postAsScript posts the body with the bearer token.
func postAsScript(mux *http.ServeMux, path, ctype, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("POST", path, strings.NewReader(body))
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Authorization", "Bearer "+testToken)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	return rec
}

// checkRefusal fails unless a request was taken or refused with a clear
// message: never a 500, never an empty refusal.
func checkRefusal(t *testing.T, rec *httptest.ResponseRecorder, ok int) {
	t.Helper()
	switch rec.Code {
	case ok:
	case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
		if !utf8.Valid(rec.Body.Bytes()) || !strings.Contains(rec.Body.String(), ".") {
			t.Errorf("status %d with no clear message: %q", rec.Code, rec.Body)
		}
	default:
		t.Errorf("status %d: %s", rec.Code, rec.Body)
	}
}

func FuzzDecisionForm(f *testing.F) {
	for _, s := range []string{
		"q=who+fixes+printers&kind=answer&entry=customer%2Fprinting",
		"q=a&q=b&kind=out-of-scope&entry=nope",
		"q=x&kind=dismiss",
		"q=x&kind=answer",
		"q=x&kind=answer&entry=nope",
		"q=%20&kind=dismiss",
		"q=%ff%fe&kind=dismiss",
		"kind=answer&kind=dismiss&q=x",
		"q=x&kind=maybe",
		"%%%",
		"",
	} {
		f.Add(s)
	}
	mux := fuzzMux(f)
	f.Fuzz(func(t *testing.T, body string) {
		rec := postAsScript(mux, "/admin/decide", "application/x-www-form-urlencoded", body)
		checkRefusal(t, rec, http.StatusSeeOther)
	})
}

func FuzzDecisionJSON(f *testing.F) {
	for _, s := range []string{
		`{"questions":["who fixes printers"],"kind":"answer","entries":["customer/printing"]}`,
		`{"questions":["who fixes printers"],"kind":"answer","entries":["customer/apps"],"side":"customer"}`,
		`{"questions":["q"],"kind":"answer","entries":["customer/printing"],"side":"customer"}`,
		`{"questions":["q"],"kind":"answer","entries":["customer/printing","customer/printing"]}`,
		`{"questions":["q"],"kind":"out-of-scope","entries":["customer/printing"]}`,
		`{"questions":[],"kind":"dismiss"}`,
		`{"questions":"q","kind":"dismiss"}`,
		`{"questions":["q"],"kind":"dismiss","extra":1}`,
		`{"questions":["q"],"kind":"dismiss"} {}`,
		`[]`, `null`, `"x"`, `{`, ``,
	} {
		f.Add(s)
	}
	mux := fuzzMux(f)
	f.Fuzz(func(t *testing.T, body string) {
		rec := postAsScript(mux, "/admin/api/decisions", "application/json", body)
		checkRefusal(t, rec, http.StatusCreated)
		if rec.Code == http.StatusBadRequest && !strings.HasPrefix(rec.Body.String(), `{"error":`) {
			t.Errorf("a refusal that is not a JSON error: %s", rec.Body)
		}
	})
}

// TestRefusals: what the parsers say about bad decisions.
func TestRefusals(t *testing.T) {
	kb := knowledge.Default()
	long := strings.Repeat("a", MaxQuestion+1)
	many := make([]string, MaxQuestions+1)
	for i := range many {
		many[i] = "q" + strings.Repeat("x", i)
	}
	tests := []struct {
		req  decisionRequest
		want string
	}{
		{decisionRequest{Questions: []string{"q"}, Kind: "maybe"}, `There is no decision "maybe"`},
		{decisionRequest{Questions: []string{"q"}}, "Choose a decision"},
		{decisionRequest{Kind: "dismiss"}, "Choose at least one question"},
		{decisionRequest{Questions: many, Kind: "dismiss"}, "at most 200 questions"},
		{decisionRequest{Questions: []string{long}, Kind: "dismiss"}, "too long"},
		{decisionRequest{Questions: []string{"?!"}, Kind: "dismiss"}, "empty"},
		{decisionRequest{Questions: []string{"\xff"}, Kind: "dismiss"}, "UTF-8"},
		{decisionRequest{Questions: []string{"q"}, Kind: "answer"}, "one entry, or two"},
		{decisionRequest{Questions: []string{"q"}, Kind: "answer", Entries: []string{"a", "b", "c"}}, "one entry, or two"},
		{decisionRequest{Questions: []string{"q"}, Kind: "answer", Entries: []string{"customer/nope"}}, `no entry "customer/nope"`},
		{decisionRequest{Questions: []string{"q"}, Kind: "answer", Entries: []string{"customer/printing", "customer/printing"}}, "must differ"},
		{decisionRequest{Questions: []string{"q"}, Kind: "answer", Entries: []string{"customer/printing"}, Side: "customer"}, "only for a shared entry"},
		{decisionRequest{Questions: []string{"q"}, Kind: "answer", Entries: []string{"customer/apps"}, Side: "left"}, `no side "left"`},
	}
	for _, tt := range tests {
		_, err := checkDecision(tt.req, kb)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: %v, want %q", tt.req, err, tt.want)
		}
	}
	req, err := checkDecision(decisionRequest{Questions: []string{" Who fixes printers? ", "who fixes printers", "who fixes PRINTERS!"}, Kind: "out-of-scope", Entries: []string{"x"}}, kb)
	if err != nil || len(req.Questions) != 1 || req.Questions[0] != "Who fixes printers?" || len(req.Entries) != 0 {
		t.Errorf("the same question three ways: %+v %v", req, err)
	}
	for body, want := range map[string]string{
		`{`:                          "cut short",
		`[]`:                         "not a JSON object",
		`{"questions":"q"}`:          `"questions" has the wrong type`,
		`{"kind":"dismiss","who":1}`: `unknown field "who"`,
		`{"questions":["q"],"kind":"dismiss"} {}`:                              "more than one JSON value",
		`{"questions":["q"],"kind":"dismiss","entries":["customer/printing"]}`: "Only an answer names entries",
		`{"questions":["q"],"kind":"dismiss",}`:                                "not valid JSON",
	} {
		if _, err := parseDecisionJSON([]byte(body), kb); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", body, err, want)
		}
	}
}
