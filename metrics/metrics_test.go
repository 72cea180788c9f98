package metrics_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mmdbot/mmdbot/knowledge"
	"github.com/mmdbot/mmdbot/metrics"
)

// scrape fetches the metrics over real HTTP, as Prometheus does.
func scrape(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	srv := httptest.NewServer(m.Handler(nil))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape: status %d", resp.StatusCode)
	}
	return string(body)
}

func TestMetrics(t *testing.T) {
	tests := []struct {
		name string
		do   func(m *metrics.Metrics)
		want []string
	}{
		{"fresh", func(*metrics.Metrics) {}, []string{
			`mmdbot_knowledge_reloads_total{result="ok"} 0`,
			`mmdbot_knowledge_reloads_total{result="failed"} 0`,
			`mmdbot_journal_failures_total{op="miss"} 0`,
			"go_goroutines ",
			"process_start_time_seconds ",
		}},
		{"questions", func(m *metrics.Metrics) {
			m.Question("web", knowledge.BandAnswer, 2*time.Millisecond)
			m.Question("web", knowledge.BandAnswer, 3*time.Millisecond)
			m.Question("slack", knowledge.BandUnknown, time.Millisecond)
		}, []string{
			`mmdbot_questions_total{adapter="web",band="answer"} 2`,
			`mmdbot_questions_total{adapter="slack",band="unknown"} 1`,
			`mmdbot_answer_seconds_count{adapter="web"} 2`,
			`mmdbot_answer_seconds_bucket{adapter="web",le="0.0025"} 1`,
		}},
		{"votes", func(m *metrics.Metrics) {
			m.Vote("teams", true)
			m.Vote("teams", false)
			m.Vote("teams", false)
		}, []string{
			`mmdbot_feedback_votes_total{adapter="teams",vote="up"} 1`,
			`mmdbot_feedback_votes_total{adapter="teams",vote="down"} 2`,
		}},
		{"refused", func(m *metrics.Metrics) {
			m.Refused("slack", "signature")
		}, []string{`mmdbot_refused_requests_total{adapter="slack",reason="signature"} 1`}},
		{"adapter on", func(m *metrics.Metrics) {
			m.AdapterOn("teams")
		}, []string{
			`mmdbot_questions_total{adapter="teams",band="answer"} 0`,
			`mmdbot_questions_total{adapter="teams",band="suggest"} 0`,
			`mmdbot_questions_total{adapter="teams",band="unknown"} 0`,
			`mmdbot_adapter_failures_total{adapter="teams"} 0`,
		}},
		{"adapter failures", func(m *metrics.Metrics) {
			m.AdapterFailed("slack")
		}, []string{`mmdbot_adapter_failures_total{adapter="slack"} 1`}},
		{"journal", func(m *metrics.Metrics) {
			m.JournalFailed("vote")
		}, []string{`mmdbot_journal_failures_total{op="vote"} 1`}},
		{"reloads", func(m *metrics.Metrics) {
			m.Loaded(40)
			m.Reloaded(false, 0)
			m.Reloaded(true, 41)
		}, []string{
			`mmdbot_knowledge_reloads_total{result="ok"} 1`,
			`mmdbot_knowledge_reloads_total{result="failed"} 1`,
			"mmdbot_knowledge_entries 41",
		}},
		{"digests", func(m *metrics.Metrics) {
			m.DigestPlatform("slack")
			m.DigestPlatform("teams")
			m.Digest("teams", metrics.DigestFailed)
			m.Digest("teams", metrics.DigestSent)
		}, []string{
			`mmdbot_digests_total{platform="slack",result="sent"} 0`,
			`mmdbot_digests_total{platform="slack",result="failed"} 0`,
			`mmdbot_digests_total{platform="teams",result="failed"} 1`,
			`mmdbot_digests_total{platform="teams",result="sent"} 1`,
		}},
		{"requests", func(m *metrics.Metrics) {
			m.Request("GET /healthz", 200, time.Millisecond)
			m.Request("", 404, time.Millisecond)
		}, []string{
			`mmdbot_http_requests_total{code="200",route="GET /healthz"} 1`,
			`mmdbot_http_requests_total{code="404",route="none"} 1`,
			`mmdbot_http_request_seconds_count{route="GET /healthz"} 1`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := metrics.New()
			tt.do(m)
			got := scrape(t, m)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("metrics lack %q", w)
				}
			}
		})
	}
}

// Two servers in one process each have their own registry: New never
// touches the global one, so it can be called twice without a panic.
func TestNewTwice(t *testing.T) {
	a, b := metrics.New(), metrics.New()
	a.Vote("web", true)
	if strings.Contains(scrape(t, b), `mmdbot_feedback_votes_total{adapter="web"`) {
		t.Error("a vote counted on one registry shows on the other")
	}
}

func BenchmarkQuestion(b *testing.B) {
	m := metrics.New()
	b.ReportAllocs()
	for b.Loop() {
		m.Question("web", knowledge.BandAnswer, time.Millisecond)
	}
}
