package web

import (
	"net/http/httptest"
	"testing"

	"github.com/mmdbot/mmdbot/bot"
	"github.com/mmdbot/mmdbot/knowledge"
)

// BenchmarkPage renders the page for one question, table included, and
// reports the page's size.
func BenchmarkPage(b *testing.B) {
	s, _ := newTestSite(b)
	h := s.Page()
	var size int
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/?q=who+handles+VPN+issues%3F", nil))
		if rec.Code != 200 {
			b.Fatalf("status %d", rec.Code)
		}
		size = rec.Body.Len()
	}
	b.ReportMetric(float64(size), "bytes/page")
}

// BenchmarkAsk answers one question through the JSON API.
func BenchmarkAsk(b *testing.B) {
	s, _ := newTestSite(b)
	h := s.Ask()
	var size int
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/ask?q=who+handles+VPN+issues%3F", nil))
		if rec.Code != 200 {
			b.Fatalf("status %d", rec.Code)
		}
		size = rec.Body.Len()
	}
	b.ReportMetric(float64(size), "bytes/reply")
}

// BenchmarkFilter filters the table as the page's filter does.
func BenchmarkFilter(b *testing.B) {
	kb := knowledge.Default()
	bt := bot.New(kb, bot.Options{})
	kept := 0
	for b.Loop() {
		kept = len(bt.Filter("updates"))
	}
	b.ReportMetric(float64(kept), "entries-kept")
	b.ReportMetric(float64(len(kb.Entries())), "entries")
}
