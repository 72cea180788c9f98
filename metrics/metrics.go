// Package metrics counts what mmdbot does, for Prometheus: questions by
// adapter and band, answer latency, feedback votes, refused requests, adapter
// failures, journal failures, knowledge reloads, checks of the knowledge
// against its published page (when on), weekly digests sent to the admins'
// channels and HTTP requests, plus the Go
// runtime and process collectors.
//
// Metrics implements bot.Telemetry. Every metric lives on a registry of its
// own, never on the global one, so that several servers can run in one
// process (as the tests do) and nothing else registers into mmdbot's output.
package metrics

import (
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/mmdbot/mmdbot/bot"
	"github.com/mmdbot/mmdbot/knowledge"
)

// Namespace prefixes every mmdbot metric.
const Namespace = "mmdbot"

// The results of a knowledge reload, as the result label says them.
const (
	ReloadOK     = "ok"
	ReloadFailed = "failed"
)

// The results of a weekly digest, as the result label says them: owed to
// the platform's outbox (which delivers it, retrying), or not, to be tried
// again at the next check.
const (
	DigestSent   = "sent"
	DigestFailed = "failed"
)

// Metrics holds mmdbot's metrics and the registry they are served from. It is
// safe for concurrent use. The zero value is not usable: call New.
type Metrics struct {
	reg *prometheus.Registry

	questions   *prometheus.CounterVec
	latency     *prometheus.HistogramVec
	votes       *prometheus.CounterVec
	refused     *prometheus.CounterVec
	failures    *prometheus.CounterVec
	journal     *prometheus.CounterVec
	reloads     *prometheus.CounterVec
	entries     prometheus.Gauge
	loaded      prometheus.Gauge
	requests    *prometheus.CounterVec
	reqDuration *prometheus.HistogramVec
	delivered   *prometheus.CounterVec
	retried     *prometheus.CounterVec
	replyFailed *prometheus.CounterVec
	replyWait   *prometheus.HistogramVec
	digests     *prometheus.CounterVec
}

// Metrics reports what the bot does.
var _ bot.Telemetry = (*Metrics)(nil)

// New returns metrics on a fresh registry that also holds the Go runtime and
// process collectors. It does no I/O.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		questions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "questions_total",
			Help: "Questions answered, by adapter and by how sure the answer was (answer, suggest, unknown).",
		}, []string{"adapter", "band"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "answer_seconds",
			Help:    "Time the bot took to answer a question, by adapter.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1},
		}, []string{"adapter"}),
		votes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "feedback_votes_total",
			Help: "Feedback votes on answers, by adapter and vote (up, down).",
		}, []string{"adapter", "vote"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "refused_requests_total",
			Help: "Requests an adapter refused, by adapter and reason (signature, stale, token, too-large, ...).",
		}, []string{"adapter", "reason"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "adapter_failures_total",
			Help: "Chat adapters that stopped by themselves (Slack's Socket Mode refused, for one), by adapter. The adapter stays off until mmdbot restarts; the rest goes on serving.",
		}, []string{"adapter"}),
		journal: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "journal_failures_total",
			Help: "Failed writes to the journal of unanswered questions and feedback, by operation (miss, vote, prune).",
		}, []string{"op"}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "knowledge_reloads_total",
			Help: "Reloads of the knowledge file, by result (ok, failed). A failed reload keeps the running knowledge.",
		}, []string{"result"}),
		entries: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: Namespace, Name: "knowledge_entries",
			Help: "Entries in the knowledge the bot answers from.",
		}),
		loaded: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: Namespace, Name: "knowledge_loaded_timestamp_seconds",
			Help: "When the running knowledge was loaded, in seconds since the Unix epoch.",
		}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "http_requests_total",
			Help: "HTTP requests served, by route pattern and status code.",
		}, []string{"route", "code"}),
		reqDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "http_request_seconds",
			Help:    "Time spent serving HTTP requests, by route pattern.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route"}),
	}
	m.delivered = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Name: "replies_delivered_total",
		Help: "Replies delivered from the outbox, by platform (slack, teams).",
	}, []string{"platform"})
	m.retried = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Name: "replies_retried_total",
		Help: "Failed attempts to deliver a reply that will be tried again (5xx, 429, timeouts, connection errors), by platform.",
	}, []string{"platform"})
	m.replyFailed = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Name: "replies_failed_total",
		Help: "Replies given up on, by platform and reason (refused: the platform refused it; deadline: not delivered in time). Each is logged with its error.",
	}, []string{"platform", "reason"})
	m.replyWait = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: Namespace, Name: "reply_delivery_seconds",
		Help:    "Time from a reply owed to its delivery, retries included, by platform.",
		Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 1800},
	}, []string{"platform"})
	m.digests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Name: "digests_total",
		Help: "Weekly digests to the admins' channels, by platform (slack, teams) and result (sent: owed to the outbox, which delivers it; failed: tried again at the next check, the reason logged).",
	}, []string{"platform", "result"})
	m.reg.MustRegister(m.delivered, m.retried, m.replyFailed, m.replyWait, m.digests)
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		// process_* under their usual names, as dashboards expect them.
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.questions, m.latency, m.votes, m.refused, m.failures, m.journal, m.reloads,
		m.entries, m.loaded, m.requests, m.reqDuration,
	)
	// Series that alerting rules compare against exist from the start.
	m.reloads.WithLabelValues(ReloadOK)
	m.reloads.WithLabelValues(ReloadFailed)
	for _, op := range []string{"miss", "vote"} {
		m.journal.WithLabelValues(op)
	}
	return m
}

// bands are the bands a question is counted in.
var bands = []knowledge.Band{knowledge.BandAnswer, knowledge.BandSuggest, knowledge.BandUnknown}

// AdapterOn creates, at 0, the series of an adapter that is on: its
// questions in each band and its failures. Dashboards and alerting rules
// then see them from the start, not only after the first question.
func (m *Metrics) AdapterOn(adapter string) {
	for _, b := range bands {
		m.questions.WithLabelValues(adapter, string(b))
	}
	m.failures.WithLabelValues(adapter)
}

// Registry returns the registry the metrics are on, for tests and for
// registering more collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus exposition formats. Errors
// while gathering go to log (nil: not logged).
func (m *Metrics) Handler(log *slog.Logger) http.Handler {
	opts := promhttp.HandlerOpts{Registry: m.reg, MaxRequestsInFlight: 4, Timeout: 10 * time.Second}
	if log != nil {
		opts.ErrorLog = slog.NewLogLogger(log.Handler(), slog.LevelWarn)
	}
	return promhttp.HandlerFor(m.reg, opts)
}

// Question counts one answered question and how long it took.
func (m *Metrics) Question(adapter string, band knowledge.Band, latency time.Duration) {
	m.questions.WithLabelValues(adapter, string(band)).Inc()
	m.latency.WithLabelValues(adapter).Observe(latency.Seconds())
}

// Vote counts one 👍 (up) or 👎.
func (m *Metrics) Vote(adapter string, up bool) {
	vote := "down"
	if up {
		vote = "up"
	}
	m.votes.WithLabelValues(adapter, vote).Inc()
}

// Refused counts a request an adapter refused, and why.
func (m *Metrics) Refused(adapter, reason string) {
	m.refused.WithLabelValues(adapter, reason).Inc()
}

// AdapterFailed counts a chat adapter that stopped by itself and is off
// until mmdbot restarts.
func (m *Metrics) AdapterFailed(adapter string) {
	m.failures.WithLabelValues(adapter).Inc()
}

// JournalFailed counts a journal write that failed.
func (m *Metrics) JournalFailed(op string) {
	m.journal.WithLabelValues(op).Inc()
}

// Reloaded counts one reload of the knowledge file. On success, entries is
// the number of entries now answered from.
func (m *Metrics) Reloaded(ok bool, entries int) {
	if !ok {
		m.reloads.WithLabelValues(ReloadFailed).Inc()
		return
	}
	m.reloads.WithLabelValues(ReloadOK).Inc()
	m.Loaded(entries)
}

// Loaded records that knowledge with this many entries is now answered from
// (at start-up, and after each reload that succeeds).
func (m *Metrics) Loaded(entries int) {
	m.entries.Set(float64(entries))
	m.loaded.SetToCurrentTime()
}

// Request counts one HTTP request served: route is the pattern that matched
// ("GET /api/ask"; empty when none did), code its status.
func (m *Metrics) Request(route string, code int, d time.Duration) {
	if route == "" {
		route = "none"
	}
	m.requests.WithLabelValues(route, strconv.Itoa(code)).Inc()
	m.reqDuration.WithLabelValues(route).Observe(d.Seconds())
}

// ReplyDelivered counts a reply delivered, with how long it waited.
func (m *Metrics) ReplyDelivered(platform string, waited time.Duration) {
	m.delivered.WithLabelValues(platform).Inc()
	m.replyWait.WithLabelValues(platform).Observe(waited.Seconds())
}

// ReplyRetried counts a failed attempt to deliver a reply, to be retried.
func (m *Metrics) ReplyRetried(platform string) { m.retried.WithLabelValues(platform).Inc() }

// ReplyFailed counts a reply given up on, and why.
func (m *Metrics) ReplyFailed(platform, reason string) {
	m.replyFailed.WithLabelValues(platform, reason).Inc()
}

// ReplyPlatform creates the delivery series of a platform at 0, so that
// alerting rules see them from the start.
func (m *Metrics) ReplyPlatform(platform string) {
	m.delivered.WithLabelValues(platform)
	m.retried.WithLabelValues(platform)
	for _, r := range []string{"refused", "deadline"} {
		m.replyFailed.WithLabelValues(platform, r)
	}
}

// Digest counts one weekly digest to a platform and its result
// (DigestSent, DigestFailed).
func (m *Metrics) Digest(platform, result string) {
	m.digests.WithLabelValues(platform, result).Inc()
}

// DigestPlatform creates the digest series of a platform at 0, so that
// alerting rules see them from the start.
func (m *Metrics) DigestPlatform(platform string) {
	for _, r := range []string{DigestSent, DigestFailed} {
		m.digests.WithLabelValues(platform, r)
	}
}

// StoreWriteFailures serves the count of failed writes to the data store,
// as failed reads it.
func (m *Metrics) StoreWriteFailures(failed func() int64) {
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Namespace: Namespace, Name: "store_write_failures_total",
		Help: "Writes to the data store that failed (journal, ids seen, replies owed). Any increase means records are being lost or replies refused: see the log and /readyz.",
	}, func() float64 { return float64(failed()) }))
}
