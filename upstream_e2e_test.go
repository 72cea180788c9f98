package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mmdbot/mmdbot/internal/pagetest"
	"github.com/mmdbot/mmdbot/knowledge"
	"github.com/mmdbot/mmdbot/upstream"
)

// withChecks sends each check of the published page to checks.
func withChecks(checks chan upstream.Status) serverOption {
	return func(h *hooks) {
		h.checked = func(st upstream.Status) {
			select {
			case checks <- st:
			default:
			}
		}
	}
}

// drain forgets the checks made so far.
func drain(checks chan upstream.Status) {
	for {
		select {
		case <-checks:
		default:
			return
		}
	}
}

// waitCheckThat waits for a check that ok accepts, within two intervals:
// at most two checks that it does not accept.
func waitCheckThat(t *testing.T, s *testServer, checks chan upstream.Status, ok func(upstream.Status) bool) upstream.Status {
	t.Helper()
	for i := 0; ; i++ {
		st := waitCheck(t, s, checks)
		if ok(st) {
			return st
		}
		if i == 1 {
			t.Fatalf("two checks after the change, none noticed it: %+v", st)
		}
	}
}

func waitCheck(t *testing.T, s *testServer, checks chan upstream.Status) upstream.Status {
	t.Helper()
	select {
	case st := <-checks:
		return st
	case <-time.After(patience):
		t.Fatalf("no check of the published page within %s\n%s", patience, s.Logs)
		return upstream.Status{}
	}
}

// askFresh asks a question through the JSON API and returns the answer's
// text and the reply's freshness.
func askFresh(t *testing.T, base, q string) (description, freshness string) {
	t.Helper()
	resp, body := get(t, "GET", base+"/api/ask?q="+url.QueryEscape(q))
	var r struct {
		Answer    *struct{ Description string } `json:"answer"`
		Freshness *struct{ Sentence string }    `json:"freshness"`
	}
	if err := json.Unmarshal([]byte(body), &r); err != nil || resp.StatusCode != 200 || r.Answer == nil {
		t.Fatalf("ask %q: %s %v\n%s", q, resp.Status, err, body)
	}
	if r.Freshness != nil {
		freshness = r.Freshness.Sentence
	}
	return r.Answer.Description, freshness
}

// readyUpstream returns /readyz's status code, its knowledge_upstream check
// and details.
func readyUpstream(t *testing.T, base string) (int, string, upstream.Status) {
	t.Helper()
	resp, body := get(t, "GET", base+"/readyz")
	var r struct {
		Checks   map[string]string `json:"checks"`
		Upstream upstream.Status   `json:"knowledge_upstream"`
	}
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, r.Checks["knowledge_upstream"], r.Upstream
}

func metricLine(t *testing.T, base, name string) string {
	t.Helper()
	_, body := get(t, "GET", base+"/metrics")
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, name+" ") || strings.HasPrefix(l, name+"{") {
			return l
		}
	}
	t.Fatalf("no metric %s", name)
	return ""
}

// TestServeUpstreamChecks runs a server that checks the published page
// every 2s: it notices an edit at the next check, says so in /readyz, the
// metrics and the answers, keeps answering from its own knowledge until
// an admin applies the page through the knowledge file, and a bad answer
// from the published page changes nothing.
func TestServeUpstreamChecks(t *testing.T) {
	up, pageURL := newUpstream(t, knowledge.DefaultPage())
	kb := filepath.Join(t.TempDir(), "roles-and-responsibilities.md")
	if err := os.WriteFile(kb, knowledge.DefaultPage(), 0o644); err != nil {
		t.Fatal(err)
	}
	checks := make(chan upstream.Status, 16)
	s := runServer(t, []string{"--kb", kb, "--kb-upstream", pageURL, "--kb-upstream-every", "2s"}, map[string]string{"MMD_ADMIN_TOKEN": adminTestToken}, withChecks(checks))
	admin := tokenBrowser(t, s.URL)
	const q = "who installs printers?"

	st := waitCheck(t, s, checks)
	if st.Changed || st.Error != "" || st.Checked.IsZero() {
		t.Fatalf("first check: %+v", st)
	}
	today := "checked against the published page on " + st.Checked.UTC().Format("2006-01-02")
	if _, fresh := askFresh(t, s.URL, q); fresh != today {
		t.Errorf("freshness %q, want %q", fresh, today)
	}
	if code, check, _ := readyUpstream(t, s.URL); code != 200 || check != "same" {
		t.Errorf("/readyz %d, knowledge_upstream %q", code, check)
	}
	if l := metricLine(t, s.URL, "mmdbot_knowledge_upstream_changed"); l != "mmdbot_knowledge_upstream_changed 0" {
		t.Errorf("metric %q", l)
	}
	if l := metricLine(t, s.URL, "mmdbot_knowledge_upstream_checked_timestamp_seconds"); strings.HasSuffix(l, " 0") {
		t.Errorf("metric %q", l)
	}

	// Microsoft rewords a row: the next check notices.
	edit := pagetest.Find("reworded")
	drain(checks)
	up.set(edit.Page())
	waitCheckThat(t, s, checks, func(st upstream.Status) bool { return st.Changed })
	code, check, details := readyUpstream(t, s.URL)
	if code != 200 || check != "changed" || details.Diff == nil || len(details.Diff.Entries) != 1 || details.Diff.Entries[0].ID != edit.ID {
		t.Errorf("/readyz %d, knowledge_upstream %q, details %+v", code, check, details)
	}
	if l := metricLine(t, s.URL, "mmdbot_knowledge_upstream_changed"); l != "mmdbot_knowledge_upstream_changed 1" {
		t.Errorf("metric %q", l)
	}
	desc, fresh := askFresh(t, s.URL, q)
	if !strings.Contains(desc, "Cloud printing is a recommended solution") {
		t.Errorf("the edit was applied on its own: %q", desc)
	}
	if want := "the published page has changed since this copy; see " + knowledge.DefaultPageURL; fresh != want {
		t.Errorf("freshness %q, want %q", fresh, want)
	}
	if _, page := get(t, "GET", s.URL+"/?q="+url.QueryEscape(q)); !strings.Contains(page, "the published page has changed since this copy") {
		t.Errorf("the web page does not say the published page has changed")
	}
	if _, page := fetch(t, admin, "GET", s.URL+"/admin", nil); !strings.Contains(page, "The published Learn page has changed since the knowledge answering was loaded: 1 entry differs") {
		t.Errorf("the review page does not say the published page has changed:\n%s", page)
	}
	// Logged once, with the diff summary, however many checks see it.
	waitCheck(t, s, checks)
	if n := strings.Count(s.Logs.String(), "the published page has changed since the knowledge in use"); n != 1 || !strings.Contains(s.Logs.String(), `summary="1 changed"`) {
		t.Errorf("the change is logged %d times\n%s", n, s.Logs)
	}

	// The admin applies it through the knowledge file: answers change, the
	// change is no longer reported.
	if err := writeAtomic(kb, edit.Page()); err != nil {
		t.Fatal(err)
	}
	if err := waitReload(t, s); err != nil {
		t.Fatal(err)
	}
	desc, fresh = askFresh(t, s.URL, q)
	if !strings.Contains(desc, "Universal Print is the recommended solution") || !strings.HasPrefix(fresh, "checked against") {
		t.Errorf("after applying: %q, freshness %q", desc, fresh)
	}
	if _, check, _ := readyUpstream(t, s.URL); check != "same" {
		t.Errorf("after applying: knowledge_upstream %q", check)
	}
	if _, page := fetch(t, admin, "GET", s.URL+"/admin", nil); strings.Contains(page, `class="alert"`) {
		t.Errorf("after applying, the review page still says the published page has changed")
	}

	// The page is retired: reported, and nothing changes.
	drain(checks)
	up.gone.Store(true)
	st = waitCheckThat(t, s, checks, func(st upstream.Status) bool { return st.Error != "" })
	if !strings.Contains(st.Error, "the page is no longer published at "+pageURL) || st.Changed {
		t.Errorf("check of a retired page: %+v", st)
	}
	if code, check, _ := readyUpstream(t, s.URL); code != http.StatusOK || check != "same; last check failed" {
		t.Errorf("/readyz %d, knowledge_upstream %q", code, check)
	}
	if desc, _ := askFresh(t, s.URL, q); !strings.Contains(desc, "Universal Print") {
		t.Errorf("a failed check changed the answer: %q", desc)
	}
	if l := metricLine(t, s.URL, `mmdbot_knowledge_upstream_checks_total{result="failed"}`); strings.HasSuffix(l, " 0") {
		t.Errorf("metric %q", l)
	}
}
