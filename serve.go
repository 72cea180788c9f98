package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/mmdbot/mmdbot/adapters/slack"
	"github.com/mmdbot/mmdbot/adapters/teams"
	"github.com/mmdbot/mmdbot/bot"
	"github.com/mmdbot/mmdbot/knowledge"
	"github.com/mmdbot/mmdbot/metrics"
	"github.com/mmdbot/mmdbot/store"
	"github.com/mmdbot/mmdbot/web"
)

func init() {
	register("serve", subcommand{
		"serve [--addr ADDR] [--kb FILE] [--data FILE] [--log-format text|json] [--log-level LEVEL] [--check] [more flags: -h]",
		"run the server: web page, JSON API, Slack and Teams when configured, /healthz, /readyz, /metrics (a bare \"mmdbot\" does this)",
		cmdServe,
	})
}

func cmdServe(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "serve", subcommands["serve"].usage)
	texts := defineSettings(e, fs)
	check := fs.Bool("check", false, "validate the configuration, print it with secrets masked, and exit")
	if ok, err := parseFlags(fs, args); !ok {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.stderr, "mmdbot serve: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return exitCode(2)
	}
	cfg, err := configFrom(e, fs, texts)
	if *check {
		return checkConfig(e, cfg, err)
	}
	if err != nil {
		printProblems(e, err)
		fmt.Fprintln(e.stderr, "mmdbot serve: the configuration is not valid; \"mmdbot serve --check\" shows it")
		return exitCode(2)
	}
	return serve(ctx, e, cfg)
}

// printProblems writes each problem of a joined error on a line of its own.
func printProblems(e env, err error) {
	for _, line := range strings.Split(err.Error(), "\n") {
		fmt.Fprintln(e.stderr, "mmdbot serve:", line)
	}
}

// checkConfig is --check: it prints the configuration with secrets masked,
// what is on and off, whether the knowledge file loads, and every problem.
// It opens nothing and listens on nothing.
func checkConfig(e env, cfg config, cfgErr error) error {
	fmt.Fprintln(e.stdout, "Configuration (secrets masked):")
	printConfig(e.stdout, cfg)
	fmt.Fprintln(e.stdout)
	fmt.Fprintln(e.stdout, "web: on (the page at /, the JSON API at /api/)")
	for _, s := range adapterStates(cfg) {
		fmt.Fprintln(e.stdout, s)
	}
	var problems []string
	if cfgErr != nil {
		problems = strings.Split(cfgErr.Error(), "\n")
	}
	if cfg.KB == "" {
		fmt.Fprintf(e.stdout, "knowledge: embedded (%d entries)\n", len(knowledge.Default().Entries()))
	} else if kb, err := knowledge.LoadFile(cfg.KB); err != nil {
		fmt.Fprintf(e.stdout, "knowledge: %s: not valid\n", cfg.KB)
		problems = append(problems, strings.Split(err.Error(), "\n")...)
	} else {
		fmt.Fprintf(e.stdout, "knowledge: %s (%d entries)\n", cfg.KB, len(kb.Entries()))
	}
	if cfg.Data == "" {
		fmt.Fprintln(e.stdout, "data: off (unanswered questions and feedback are not recorded)")
	} else {
		fmt.Fprintf(e.stdout, "data: %s\n", cfg.Data)
		if fi, err := os.Stat(filepath.Dir(cfg.Data)); err != nil || !fi.IsDir() {
			problems = append(problems, fmt.Sprintf("--data %s: the directory %s does not exist", cfg.Data, filepath.Dir(cfg.Data)))
		}
	}
	if len(problems) > 0 {
		fmt.Fprintln(e.stdout)
		for _, p := range problems {
			fmt.Fprintln(e.stdout, "problem:", p)
		}
		fmt.Fprintln(e.stdout, "The configuration is not valid.")
		return exitCode(1)
	}
	fmt.Fprintln(e.stdout, "\nThe configuration is valid.")
	return nil
}

// newLogger returns the logger of the configuration, writing to w. In JSON,
// durations are seconds.
func newLogger(cfg config, w interface{ Write([]byte) (int, error) }) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "json" {
		// Durations (latency, timeouts) in seconds, as Prometheus has them,
		// rather than in nanoseconds.
		opts.ReplaceAttr = func(_ []string, a slog.Attr) slog.Attr {
			if a.Value.Kind() == slog.KindDuration {
				a.Value = slog.Float64Value(a.Value.Duration().Seconds())
			}
			return a
		}
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// serveTrace lets tests watch a running server, the way net/http/httptrace
// lets them watch a client: hooks carried by the context given to run. A
// nil hook is not called. Nothing outside the tests sets it.
type serveTrace struct {
	// listening is called with the address the server has bound, once it
	// accepts connections.
	listening func(addr string)
	// reloaded is called after each attempt to reload the knowledge file,
	// with its error (nil: the new knowledge is answering).
	reloaded func(err error)
	// middleware, if set, wraps the whole HTTP handler.
	middleware func(http.Handler) http.Handler
}

type serveTraceKey struct{}

// withServeTrace returns a context carrying the trace.
func withServeTrace(ctx context.Context, t *serveTrace) context.Context {
	return context.WithValue(ctx, serveTraceKey{}, t)
}

// serveTraceFrom returns the trace of ctx, never nil.
func serveTraceFrom(ctx context.Context) *serveTrace {
	if t, ok := ctx.Value(serveTraceKey{}).(*serveTrace); ok && t != nil {
		return t
	}
	return &serveTrace{}
}

// serve runs the server until ctx is done, then shuts it down gracefully.
func serve(ctx context.Context, e env, cfg config) error {
	log := newLogger(cfg, e.stderr)
	trace := serveTraceFrom(ctx)

	kb, kbSum, err := loadKnowledgeFile(cfg.KB)
	if err != nil {
		logLoadError(ctx, log, cfg.KB, err)
		return fmt.Errorf("load knowledge: %w", err)
	}
	source := "embedded"
	if cfg.KB != "" {
		source = cfg.KB
	}
	log.Info("knowledge loaded", "source", source, "entries", len(kb.Entries()))

	m := metrics.New()
	m.Loaded(len(kb.Entries()))

	opts := bot.Options{Telemetry: m, Logger: log, RecordUsers: cfg.RecordUsers}
	var st *store.Store
	if cfg.Data == "" {
		log.Info("data store off: unanswered questions and feedback are not recorded; set --data or MMD_DATA to a file to record them")
	} else {
		st, err = store.Open(ctx, cfg.Data, cfg.Retention)
		if err != nil {
			return fmt.Errorf("%w: set --data or MMD_DATA to a file mmdbot can create and write, or --data= to record nothing", err)
		}
		defer st.Close()
		opts.Journal = st
		log.Info("data store open", "file", cfg.Data, "retention", cfg.Retention, "record_users", cfg.RecordUsers)
	}
	b := bot.New(kb, opts)

	ad, err := newAdapters(cfg, b, log)
	if err != nil {
		return err
	}
	// The web page is always on; a chat adapter when configured.
	m.AdapterOn(web.Adapter)
	for _, s := range adapterStates(cfg) {
		if s.on {
			m.AdapterOn(s.name)
			log.Info("adapter on", "adapter", s.name, "mode", s.how)
		} else {
			log.Info("adapter off", "adapter", s.name, "turn_on", s.how)
		}
	}
	if ignored := teamsDevIgnored(cfg); len(ignored) > 0 {
		verb := " is set"
		if len(ignored) > 1 {
			verb = " are set"
		}
		log.Warn("teams development mode: "+strings.Join(ignored, " and ")+verb+", but the credentials are ignored: requests are not authenticated",
			"hint", "remove --teams-dev (MMD_TEAMS_DEV) to authenticate Teams requests")
	}

	// SIGHUP reloads the knowledge; registered before listening so that a
	// SIGHUP never finds the default action (exit) in place.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	var draining atomic.Bool
	d := deps{log: log, bot: b, metrics: m, store: st, adapters: ad, draining: &draining,
		records: web.Records{On: st != nil, Retention: cfg.Retention, Users: cfg.RecordUsers}}
	handler := newHandler(d)
	if trace.middleware != nil {
		handler = trace.middleware(handler)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		// Requests in flight finish when ctx is cancelled by SIGTERM.
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	ln, err := new(net.ListenConfig).Listen(ctx, "tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (set --addr or MMD_ADDR to a free address, such as :8081)", cfg.Addr, err)
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	addr := ln.Addr().String()
	log.Info("listening", "addr", addr, "url", pageURL(addr))
	if tcp, ok := ln.Addr().(*net.TCPAddr); ok && cfg.Teams.Dev && !tcp.IP.IsLoopback() {
		log.Warn("teams development mode: the server listens on a non-loopback address, but /api/messages only accepts requests from this machine",
			"addr", addr, "hint", "set --addr or MMD_ADDR to 127.0.0.1:PORT to listen on this machine alone")
	}
	if trace.listening != nil {
		trace.listening(addr)
	}

	// Background work runs until runCtx is done: adapters, reloads, pruning.
	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	adaptersDone := ad.run(runCtx, log, m)
	if cfg.KB != "" {
		rl := &reloader{path: cfg.KB, bot: b, metrics: m, log: log, trace: trace, last: kbSum}
		go rl.watch(runCtx, hup)
	} else {
		go ignoreHUP(runCtx, hup, log)
	}
	if st != nil {
		go prune(runCtx, st, m, log)
	}

	var failure error
	select {
	case <-ctx.Done():
		log.Info("shutting down", "timeout", cfg.ShutdownTimeout)
	case err := <-serveErr:
		failure = fmt.Errorf("serve HTTP: %w", err)
		log.Error("HTTP server stopped", "error", err)
	}
	draining.Store(true)
	if failure == nil && cfg.ShutdownDelay > 0 {
		log.Info("not ready: serving until the load balancer has noticed", "delay", cfg.ShutdownDelay)
		time.Sleep(cfg.ShutdownDelay)
	}
	return shutdown(ctx, srv, stopRun, adaptersDone, cfg.ShutdownTimeout, log, failure)
}

// teamsDevIgnored returns the Teams settings that --teams-dev ignores and
// that are set anyway.
func teamsDevIgnored(cfg config) []string {
	if !cfg.Teams.Dev {
		return nil
	}
	var set []string
	for _, s := range []struct{ name, value string }{
		{"MICROSOFT_APP_ID", cfg.Teams.AppID},
		{"MICROSOFT_APP_PASSWORD", cfg.Teams.AppPassword},
		{"MICROSOFT_APP_TENANT_ID", cfg.Teams.TenantID},
	} {
		if s.value != "" {
			set = append(set, s.name)
		}
	}
	return set
}

// shutdown stops accepting, lets requests in flight and then the adapters
// finish, all within timeout, and returns failure, or why the shutdown was
// not clean. HTTP goes first: a Slack event in flight still finds the
// adapter's work queue open.
func shutdown(ctx context.Context, srv *http.Server, stopRun context.CancelFunc, adaptersDone <-chan struct{}, timeout time.Duration, log *slog.Logger, failure error) error {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	var errs []error
	if failure != nil {
		errs = append(errs, failure)
	}
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
		errs = append(errs, fmt.Errorf("shut down HTTP server: requests in flight did not finish within %s: %w", timeout, err))
	}
	// Adapters drain their work and close Socket Mode; the reloader and
	// the pruning stop.
	stopRun()
	select {
	case <-adaptersDone:
	case <-sctx.Done():
		errs = append(errs, fmt.Errorf("shut down adapters: they did not finish within %s", timeout))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	log.Info("stopped")
	return nil
}

// pageURL returns the address of the web page for a bound address, as a
// person on this machine opens it.
func pageURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return ""
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port) + "/"
}

// logLoadError logs each problem of a knowledge load on a line of its own,
// naming file and line.
func logLoadError(ctx context.Context, log *slog.Logger, path string, err error) {
	if es, ok := knowledge.AsErrors(err); ok {
		for _, le := range es {
			log.LogAttrs(ctx, slog.LevelError, "knowledge not valid", slog.String("file", le.File), slog.Int("line", le.Line), slog.String("problem", le.Msg))
		}
		return
	}
	log.LogAttrs(ctx, slog.LevelError, "knowledge not loaded", slog.String("file", path), slog.String("error", err.Error()))
}

// reloader reloads the knowledge file when it changes and on SIGHUP. A file
// that does not load is refused: the running knowledge stays.
type reloader struct {
	path    string
	bot     *bot.Bot
	metrics *metrics.Metrics
	log     *slog.Logger
	trace   *serveTrace
	// last is the hash of the file content last tried, so that one change
	// reported as several events loads once.
	last [sha256.Size]byte
}

// loadKnowledgeFile is loadKnowledge that also returns the hash of the file
// it read, so that the reloader knows what it started from.
func loadKnowledgeFile(path string) (*knowledge.Base, [sha256.Size]byte, error) {
	if path == "" {
		return knowledge.Default(), [sha256.Size]byte{}, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, [sha256.Size]byte{}, fmt.Errorf("read knowledge file: %w", err)
	}
	kb, err := knowledge.Load(knowledge.File{Name: path, Data: data})
	return kb, sha256.Sum256(data), err
}

// reloadDelay lets a burst of file events (an editor's save, a Kubernetes
// ConfigMap swap) settle before the file is read.
const reloadDelay = 250 * time.Millisecond

// watch reloads on SIGHUP and when the file changes, until ctx is done. The
// directory is watched, not the file: editors and Kubernetes replace files
// by renaming, which a watch on the file itself loses.
func (r *reloader) watch(ctx context.Context, hup <-chan os.Signal) {
	var events <-chan fsnotify.Event
	var errs <-chan error
	w, err := fsnotify.NewWatcher()
	if err == nil {
		err = w.Add(filepath.Dir(r.path))
	}
	if err != nil {
		r.log.Warn("not watching the knowledge file for changes: send SIGHUP to reload it", "file", r.path, "error", err)
	} else {
		defer w.Close()
		events, errs = w.Events, w.Errors
	}
	name := filepath.Clean(r.path)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			r.reload(ctx, "signal", true)
		case ev, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			// The file itself, or Kubernetes' ..data symlink swap.
			if filepath.Clean(ev.Name) == name || strings.HasPrefix(filepath.Base(ev.Name), "..") {
				timer.Reset(reloadDelay)
			}
		case err, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			r.log.Warn("watching the knowledge file", "file", r.path, "error", err)
		case <-timer.C:
			r.reload(ctx, "change", false)
		}
	}
}

// reload loads the file and, if it is valid, answers from it. Unless forced,
// a file whose content was already tried is left alone.
func (r *reloader) reload(ctx context.Context, why string, force bool) {
	data, err := os.ReadFile(r.path)
	if err == nil {
		sum := sha256.Sum256(data)
		if !force && bytes.Equal(sum[:], r.last[:]) {
			return
		}
		r.last = sum
	}
	var kb *knowledge.Base
	if err == nil {
		kb, err = knowledge.Load(knowledge.File{Name: r.path, Data: data})
	} else {
		err = fmt.Errorf("read knowledge file: %w", err)
	}
	if err != nil {
		r.metrics.Reloaded(false, 0)
		logLoadError(ctx, r.log, r.path, err)
		r.log.Error("knowledge reload refused: still answering from the knowledge loaded before", "file", r.path, "trigger", why)
	} else {
		r.bot.SetKnowledge(kb)
		r.metrics.Reloaded(true, len(kb.Entries()))
		r.log.Info("knowledge reloaded", "file", r.path, "trigger", why, "entries", len(kb.Entries()))
	}
	if r.trace.reloaded != nil {
		r.trace.reloaded(err)
	}
}

// ignoreHUP logs SIGHUPs when there is no knowledge file to reload.
func ignoreHUP(ctx context.Context, hup <-chan os.Signal, log *slog.Logger) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			log.Info("SIGHUP: nothing to reload: the embedded knowledge is in use (set --kb or MMD_KB to a file)")
		}
	}
}

// pruneEvery is how often records older than the retention are deleted.
const pruneEvery = 24 * time.Hour

// prune deletes old records once a day until ctx is done.
func prune(ctx context.Context, st *store.Store, m *metrics.Metrics, log *slog.Logger) {
	t := time.NewTicker(pruneEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := st.Prune(ctx); err != nil && ctx.Err() == nil {
				m.JournalFailed("prune")
				log.Warn("prune the data store", "error", err)
			}
		}
	}
}

// adapters are the chat adapters of mmdbot serve: those configured are on,
// the others nil.
type adapters struct {
	slack *slack.Adapter
	teams *teams.Adapter
	// slackFailed is set when the Slack adapter stopped by itself (Socket
	// Mode refused, for one): it stays off until mmdbot restarts.
	slackFailed atomic.Bool
}

// newAdapters makes the configured adapters. It does no I/O: they connect
// in run, or on their first request.
func newAdapters(cfg config, b *bot.Bot, log *slog.Logger) (*adapters, error) {
	a := &adapters{}
	if slackConfigured(cfg.Slack) {
		c := cfg.Slack
		c.Logger = log
		s, err := slack.New(c, b)
		if err != nil {
			return nil, err
		}
		a.slack = s
	}
	if teamsConfigured(cfg.Teams) {
		c := cfg.Teams
		c.Logger = log
		t, err := teams.New(c, b)
		if err != nil {
			return nil, err
		}
		a.teams = t
	}
	return a, nil
}

// readiness returns, per adapter, its check: "ok" or what is wrong; nil
// when the adapter is off.
func (a *adapters) readiness() map[string]func() string {
	r := map[string]func() string{"slack": nil, "teams": nil}
	if a.slack != nil {
		r["slack"] = func() string {
			switch {
			case a.slackFailed.Load():
				return "failed"
			case a.slack.Ready():
				return "ok"
			}
			return "not connected"
		}
	}
	if a.teams != nil {
		r["teams"] = func() string {
			if a.teams.Ready() {
				return "ok"
			}
			return "not connected"
		}
	}
	return r
}

// run runs the adapters that have loops of their own (Slack: its workers
// and Socket Mode) until ctx is done; the channel closes once they have
// drained and closed their connections. An adapter that stops by itself
// before ctx is done (a revoked token ends Socket Mode) is logged, counted
// and reported failed by /readyz; it stays off until mmdbot restarts,
// while the web page, the API and the other adapters go on serving.
func (a *adapters) run(ctx context.Context, log *slog.Logger, m *metrics.Metrics) <-chan struct{} {
	done := make(chan struct{})
	if a.slack == nil {
		close(done)
		return done
	}
	go func() {
		defer close(done)
		err := a.slack.Run(ctx)
		if ctx.Err() != nil {
			if err != nil {
				log.Warn("slack adapter stopped", "error", err)
			}
			return
		}
		if err == nil {
			err = errors.New("run slack adapter: it stopped by itself")
		}
		a.slackFailed.Store(true)
		m.AdapterFailed("slack")
		// The error names the operation and Slack's error code, never a
		// token.
		log.Error("slack adapter failed: Slack is off until mmdbot restarts", "adapter", "slack", "error", err)
	}()
	return done
}
