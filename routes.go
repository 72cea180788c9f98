package main

import (
	"context"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/mmdbot/mmdbot/admin"
	"github.com/mmdbot/mmdbot/bot"
	"github.com/mmdbot/mmdbot/internal/jsonout"
	"github.com/mmdbot/mmdbot/metrics"
	"github.com/mmdbot/mmdbot/store"
	"github.com/mmdbot/mmdbot/upstream"
)

// deps is what the handlers of mmdbot serve need.
type deps struct {
	log     *slog.Logger
	bot     *bot.Bot
	metrics *metrics.Metrics
	store   *store.Store
	// recording is whether the journal is kept (the store is not only in
	// memory).
	recording bool
	adapters  *running
	// off names the chat adapters the configuration leaves off.
	off      []string
	draining *atomic.Bool // set once shutdown begins
	// upstream checks the knowledge against the published page; nil when
	// it is not checked.
	upstream *upstream.Checker
	// admin is the review page; nil when it is off.
	admin *admin.Admin
}

// newHandler returns the HTTP handler of mmdbot serve: the route table
// inside the middleware every request goes through.
func newHandler(d deps) http.Handler {
	mux := http.NewServeMux()
	addRoutes(mux, d)
	var h http.Handler = mux
	h = recoverPanics(d.log, h)
	h = logRequests(d.log, d.metrics, h)
	return h
}

// addRoutes is the route table: the server's own endpoints, then each
// adapter's, which its Routes lists:
//
//	web    GET /, /privacy, /terms, /api/ask, /api/entries, /static/
//	slack  POST /slack/events, /slack/commands, /slack/interactions
//	       (when its signing secret is set; Socket Mode needs none)
//	teams  POST /api/messages
//	admin  /admin and /admin/… (when configured: see package admin)
func addRoutes(mux *http.ServeMux, d deps) {
	// Operations: liveness, readiness, metrics.
	mux.Handle("GET /healthz", handleHealthz())
	mux.Handle("GET /readyz", handleReadyz(d))
	mux.Handle("GET /metrics", d.metrics.Handler(d.log))

	for _, a := range d.adapters.adapters {
		if r, ok := a.(router); ok {
			r.Routes(mux)
		}
	}
	if d.admin != nil {
		d.admin.Routes(mux)
	}
}

// handleHealthz answers 200 while the process serves HTTP at all.
func handleHealthz() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Write([]byte("ok\n"))
	})
}

// readiness is the body of /readyz.
type readiness struct {
	Status string            `json:"status"` // "ready" or "not ready"
	Checks map[string]string `json:"checks"` // what was checked: "ok", "off" or what is wrong
	// Upstream details what the checks against the published page found,
	// when they are on: a change never fails readiness.
	Upstream *upstream.Status `json:"knowledge_upstream,omitempty"`
}

// readyTimeout bounds the checks of one /readyz request.
const readyTimeout = 2 * time.Second

// handleReadyz answers 200 when mmdbot can answer: knowledge loaded, data
// store answering, configured adapters connected (none failed), not
// shutting down; 503 otherwise. The body says which check failed, never why
// in detail: that goes to the log.
func handleReadyz(d deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		defer cancel()
		res := readiness{Status: "ready", Checks: map[string]string{}}
		fail := func(check, what string) {
			res.Status = "not ready"
			res.Checks[check] = what
		}
		if d.draining.Load() {
			fail("server", "shutting down")
		} else {
			res.Checks["server"] = "ok"
		}
		if kb := d.bot.Knowledge(); kb == nil || len(kb.Entries()) == 0 {
			fail("knowledge", "no entries")
		} else {
			res.Checks["knowledge"] = "ok"
		}
		switch err := d.store.Health(ctx); {
		case err != nil:
			d.log.LogAttrs(ctx, slog.LevelWarn, "readiness: data store", slog.String("error", err.Error()))
			fail("store", "failing")
		case !d.recording:
			res.Checks["store"] = "off"
		default:
			res.Checks["store"] = "ok"
		}
		if d.upstream != nil {
			st := d.upstream.Status()
			res.Checks["knowledge_upstream"] = upstreamReadiness(st)
			if st.Error != "" {
				// Why goes to the log: it can name internal addresses.
				st.Error = "see the log"
			}
			res.Upstream = &st
		}
		for _, name := range d.off {
			res.Checks[name] = "off"
		}
		for name, err := range d.adapters.ready() {
			if err != nil {
				fail(name, err.Error())
			} else {
				res.Checks[name] = "ok"
			}
		}
		code := http.StatusOK
		if res.Status != "ready" {
			code = http.StatusServiceUnavailable
		}
		w.Header().Set("Cache-Control", "no-store")
		jsonout.Respond(w, code, res, false)
	})
}

// quietRoutes are logged at debug level: probes and scrapes every few
// seconds would drown the rest.
var quietRoutes = map[string]bool{"GET /healthz": true, "GET /readyz": true, "GET /metrics": true}

// logRequests logs one line per request (method, path without the query,
// route, status, bytes, latency) and counts it. It never logs headers,
// bodies or the query string: they can hold tokens and signatures.
func logRequests(log *slog.Logger, m *metrics.Metrics, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &recorder{ResponseWriter: w}
		w.Header().Set("X-Content-Type-Options", "nosniff")
		next.ServeHTTP(rec, r)
		elapsed := time.Since(start)
		// The mux sets r.Pattern on the request it was given.
		route := r.Pattern
		m.Request(route, rec.status(), elapsed)
		level := slog.LevelInfo
		switch {
		case rec.status() >= 500:
			level = slog.LevelError
		case quietRoutes[route]:
			level = slog.LevelDebug
		}
		log.LogAttrs(r.Context(), level, "request",
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.String("route", route),
			slog.Int("status", rec.status()), slog.Int64("bytes", rec.bytes), slog.Duration("latency", elapsed))
	})
}

// recorder remembers the status and size of a response.
type recorder struct {
	http.ResponseWriter
	code  int
	bytes int64
}

func (r *recorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(p []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(p)
	r.bytes += int64(n)
	return n, err
}

func (r *recorder) status() int {
	if r.code == 0 {
		return http.StatusOK
	}
	return r.code
}

// Unwrap lets http.ResponseController reach the connection's writer
// (flushing, deadlines).
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// recoverPanics turns a panic in a handler into a 500 and a log line with
// the route, instead of a dropped connection.
func recoverPanics(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			log.LogAttrs(r.Context(), slog.LevelError, "handler panicked", slog.String("route", r.Pattern), slog.Any("panic", v))
			http.Error(w, "Internal server error", http.StatusInternalServerError)
		}()
		next.ServeHTTP(w, r)
	})
}
