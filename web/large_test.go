package web

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mmdbot/mmdbot/bot"
	"github.com/mmdbot/mmdbot/knowledge"
)

// largeBase is a knowledge base of n entries, each with a paragraph.
func largeBase(t testing.TB, n int) *knowledge.Base {
	t.Helper()
	var b strings.Builder
	b.WriteString("page:\n  title: Large\n  date: 2025-01-01\n  url: https://example.com/kb\nentries:\n")
	for i := range n {
		side := []string{"customer", "microsoft"}[i%2]
		fmt.Fprintf(&b, "  - title: Thing number %d\n    side: %s\n    description: Thing %d is looked after by its owner, who fixes it, replaces it and answers questions about it.\n", i, side, i)
	}
	kb, err := knowledge.Load(knowledge.File{Name: "large.yaml", Data: []byte(b.String())})
	if err != nil {
		t.Fatal(err)
	}
	return kb
}

// TestLargeTablePaged: a base of 10,000 entries renders its page in well
// under a megabyte, a page of rows at a time, with links to the others.
func TestLargeTablePaged(t *testing.T) {
	s := New(bot.New(largeBase(t, 10_000), bot.Options{}), Options{})
	get := func(target string) string {
		t.Helper()
		rec := httptest.NewRecorder()
		s.Page().ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
		if rec.Code != 200 {
			t.Fatalf("GET %s: status %d", target, rec.Code)
		}
		return rec.Body.String()
	}
	body := get("/")
	if len(body) > 500_000 {
		t.Errorf("the page of a 10,000-entry base is %d bytes, want well under 1 MB", len(body))
	}
	if n := strings.Count(body, `class="row"`); n != tablePage {
		t.Errorf("%d rows on the first page, want %d", n, tablePage)
	}
	if !strings.Contains(body, "Showing 1–100 of 10000 matching, 10000 responsibilities.") || !strings.Contains(body, `href="?page=2#table" rel="next"`) || !strings.Contains(body, `data-paged="true"`) {
		t.Errorf("no status or pager on the first page")
	}
	last := get("/?page=100")
	if !strings.Contains(last, "Showing 9901–10000") || strings.Contains(last, `rel="next"`) || !strings.Contains(last, `href="?page=99#table" rel="prev"`) {
		t.Errorf("the last page's status or pager is wrong")
	}
	if beyond := get("/?page=1000"); !strings.Contains(beyond, "Page 100 of 100") {
		t.Errorf("a page past the end does not show the last")
	}
	// The filter works on the whole base, and its pages keep it.
	owner := get("/?owner=microsoft&page=2")
	if !strings.Contains(owner, "of 5000 matching") || !strings.Contains(owner, `href="?owner=microsoft&amp;page=3#table"`) || strings.Contains(owner, `data-owner="customer"`) {
		t.Errorf("an owner's pages: wrong status, links or groups")
	}
}

// BenchmarkLargeTablePage measures the page of a 10,000-entry base: its
// time and its size.
func BenchmarkLargeTablePage(b *testing.B) {
	s := New(bot.New(largeBase(b, 10_000), bot.Options{}), Options{})
	size := 0
	for b.Loop() {
		rec := httptest.NewRecorder()
		s.Page().ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
		size = rec.Body.Len()
	}
	b.ReportMetric(float64(size), "page-bytes")
}
