package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// The results of a check of the published page, as the result label says
// them.
const (
	UpstreamSame    = "same"
	UpstreamChanged = "changed"
	UpstreamFailed  = "failed"
)

// Upstream counts the checks of the knowledge against the published page.
// It is safe for concurrent use.
type Upstream struct {
	checks *prometheus.CounterVec
}

// Upstream registers the metrics of the checks against the published page
// and returns them. status tells, at each scrape, whether the published
// page differs from the knowledge in use now (so that a change applied by
// a reload stops counting at once) and when it was last checked (zero:
// never). A server calls it once, when the checks are on: a server that
// does not check has none of these series.
func (m *Metrics) Upstream(status func() (changed bool, checked time.Time)) *Upstream {
	u := &Upstream{checks: prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Name: "knowledge_upstream_checks_total",
		Help: "Checks of the published page, by result (same, changed, failed). A failed check changes nothing and is tried again.",
	}, []string{"result"})}
	changed := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: Namespace, Name: "knowledge_upstream_changed",
		Help: "1 when the published page differs from the knowledge in use (a change not applied yet), 0 when it does not.",
	}, func() float64 {
		if c, _ := status(); c {
			return 1
		}
		return 0
	})
	checked := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: Namespace, Name: "knowledge_upstream_checked_timestamp_seconds",
		Help: "When the published page was last compared with the knowledge in use, in seconds since the Unix epoch; 0 before the first check succeeds.",
	}, func() float64 {
		if _, t := status(); !t.IsZero() {
			return float64(t.UnixNano()) / 1e9
		}
		return 0
	})
	m.reg.MustRegister(u.checks, changed, checked)
	for _, r := range []string{UpstreamSame, UpstreamChanged, UpstreamFailed} {
		u.checks.WithLabelValues(r)
	}
	return u
}

// Checked counts one check by its result: UpstreamSame, UpstreamChanged
// or UpstreamFailed.
func (u *Upstream) Checked(result string) {
	u.checks.WithLabelValues(result).Inc()
}
