package admin

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/mmdbot/mmdbot/bot"
	"github.com/mmdbot/mmdbot/knowledge"
	"github.com/mmdbot/mmdbot/store"
)

func TestJaccard(t *testing.T) {
	set := func(ws ...string) map[string]bool {
		m := map[string]bool{}
		for _, w := range ws {
			m[w] = true
		}
		return m
	}
	tests := []struct {
		a, b map[string]bool
		want float64
	}{
		{set(), set(), 0},
		{set("a"), set(), 0},
		{set("a", "b"), set("a", "b"), 1},
		{set("a", "b"), set("b", "c"), 1.0 / 3},
		{set("a", "b", "c"), set("a", "b", "d"), 0.5},
	}
	for _, tt := range tests {
		if got := jaccard(tt.a, tt.b); got != tt.want {
			t.Errorf("jaccard(%v, %v) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func question(q string, count, people int, ago time.Duration) store.Question {
	now := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	return store.Question{Question: q, Norm: knowledge.Fold(q), Reason: store.ReasonUnanswered, Count: count, People: people,
		Adapters: []string{"slack"}, First: now.Add(-ago - time.Hour), Last: now.Add(-ago)}
}

func TestGroupQuestions(t *testing.T) {
	kb := knowledge.Default()
	qs := []store.Question{
		question("the weather in paris tomorrow", 1, 1, time.Hour),
		question("who fixes my printer", 2, 2, 2*time.Hour),
		question("printer broken who fixes my printer", 1, 1, 3*time.Hour),
		question("who can fix the printer", 5, 3, 4*time.Hour),
		question("weather in paris tomorrow please", 1, 0, 5*time.Hour),
		question("how tall is the eiffel tower", 1, 1, 6*time.Hour),
	}
	gs := groupQuestions(qs, kb)
	var got [][]string
	for _, g := range gs {
		var ws []string
		for _, q := range g.Questions {
			ws = append(ws, q.Question)
		}
		got = append(got, ws)
	}
	want := [][]string{
		// Shared words: 4 of 6.
		{"the weather in paris tomorrow", "weather in paris tomorrow please"},
		// Shared words, and the model places them on the same entry.
		{"who fixes my printer", "printer broken who fixes my printer", "who can fix the printer"},
		{"how tall is the eiffel tower"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("groups:\n got %q\nwant %q", got, want)
	}
	p := gs[1]
	if p.Count != 8 || p.People != 6 || !p.Last.Equal(qs[1].Last) || p.Lead != "who can fix the printer" {
		t.Errorf("the printer group: count %d, people %d, last %v, lead %q", p.Count, p.People, p.Last, p.Lead)
	}
	// Known by their pseudonyms, someone who asked two of the questions
	// counts once.
	qs[1].Askers, qs[2].Askers, qs[3].Askers = []string{"p1", "p2"}, []string{"p1"}, []string{"p2", "p3", "p4"}
	if people := groupQuestions(qs, kb)[1].People; people != 4 {
		t.Errorf("the printer group asked by p1 to p4: %d people, want 4", people)
	}
	if len(p.Closest) == 0 || len(p.Closest) > 3 || p.Closest[0].Entry != p.Choices[0].ID || p.Closest[0].Percent <= 50 {
		t.Errorf("the printer group's closest entries: %+v", p.Closest)
	}
	if p.Band != knowledge.BandAnswer || p.Confidence <= 0.5 {
		t.Errorf("the printer group: band %s, confidence %v", p.Band, p.Confidence)
	}
	// The choice is every entry once, the closest first.
	ids := make([]string, len(p.Choices))
	for i, e := range p.Choices {
		ids[i] = e.ID
	}
	var all []string
	for _, e := range kb.Entries() {
		all = append(all, e.ID)
	}
	if len(ids) != len(all) || !slices.Equal(slices.Sorted(slices.Values(ids)), slices.Sorted(slices.Values(all))) {
		t.Errorf("choices %v, want every entry", ids)
	}
	if r := kb.Search(p.Lead); r.Matches[0].Entry.ID != ids[0] || r.Matches[1].Entry.ID != ids[1] {
		t.Errorf("the closest entries do not come first: %v", ids[:3])
	}
	if len(groupQuestions(nil, kb)) != 0 {
		t.Error("no questions make a group")
	}
}

func TestPercent(t *testing.T) {
	for f, want := range map[float64]int{0: 0, 0.004: 0, 0.005: 1, 0.5: 50, 1: 100, 1.7: 100, -1: 0} {
		if got := percent(f); got != want {
			t.Errorf("percent(%v) = %d, want %d", f, got, want)
		}
	}
}

// BenchmarkGroup groups a full review: MaxReview questions, each
// searched once and compared with every other.
func BenchmarkGroup(b *testing.B) {
	kb := knowledge.Default()
	stems := []string{"who fixes my printer", "vpn does not connect", "reset my password", "windows update failed", "teams will not start",
		"my laptop is slow", "outlook keeps crashing", "need a new monitor", "bitlocker recovery key", "the weather in paris"}
	qs := make([]store.Question, MaxReview)
	for i := range qs {
		qs[i] = question(fmt.Sprintf("%s %d please", stems[i%len(stems)], i), 1+i%3, 1, time.Duration(i)*time.Minute)
	}
	b.ReportAllocs()
	var groups int
	for b.Loop() {
		groups = len(groupQuestions(qs, kb))
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(qs)), "ns/question")
	b.ReportMetric(float64(groups), "groups")
}

// BenchmarkReviewPage renders the review page of a full review: 500
// questions read from the store, grouped, and written as HTML.
func BenchmarkReviewPage(b *testing.B) {
	st, err := store.Open(b.Context(), store.Memory, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	stems := []string{"who fixes my printer", "vpn does not connect", "reset my password", "windows update failed", "teams will not start"}
	now := time.Now()
	for i := range MaxReview {
		if err := st.RecordMiss(b.Context(), bot.Miss{Question: fmt.Sprintf("%s %d please", stems[i%len(stems)], i), Adapter: "web", At: now.Add(-time.Duration(i) * time.Second)}); err != nil {
			b.Fatal(err)
		}
	}
	a, err := New(Options{Store: st, Knowledge: knowledge.Default, Token: "a-token-for-the-benchmark", SessionKey: make([]byte, 32)})
	if err != nil {
		b.Fatal(err)
	}
	mux := http.NewServeMux()
	a.Routes(mux)
	var size int
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest("GET", "/admin", nil)
		req.Header.Set("Authorization", "Bearer a-token-for-the-benchmark")
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d", rec.Code)
		}
		size = rec.Body.Len()
	}
	b.ReportMetric(float64(size)/1024, "KiB/page")
}
