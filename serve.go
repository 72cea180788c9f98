package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/mmdbot/mmdbot/bot"
	"github.com/mmdbot/mmdbot/kbfile"
	"github.com/mmdbot/mmdbot/knowledge"
	"github.com/mmdbot/mmdbot/metrics"
	"github.com/mmdbot/mmdbot/outbox"
	"github.com/mmdbot/mmdbot/store"
	"github.com/mmdbot/mmdbot/upstream"
	"github.com/mmdbot/mmdbot/web"
)

func cmdServe(ctx context.Context, e env, usage string, args []string) error {
	fs := newFlags(e, "serve", usage)
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

// hooks let tests watch a running server, the way net/http/httptrace lets
// them watch a client; env carries them to serve. A nil hook is not called.
// Nothing outside the tests sets them.
type hooks struct {
	// listening is called with the address the server has bound, once it
	// accepts connections and watches its knowledge file.
	listening func(addr string)
	// reloaded is called after each attempt to reload the knowledge file,
	// with its error (nil: the new knowledge is answering).
	reloaded func(err error)
	// middleware, if set, wraps the whole HTTP handler.
	middleware func(http.Handler) http.Handler
	// started is called with the adapters once their loops run.
	started func(adapters []adapter)
	// failed is called when an adapter's loop stops by itself.
	failed func(adapter string)
	// learned is called each time a model trained on the admins'
	// decisions answers, with how many it learnt from.
	learned func(n int)
	// checked is called after each check of the published page.
	checked func(upstream.Status)
	// digestClock, if set, is the clock the weekly digest reads instead of
	// time.Now; digested is called after each attempt to send a digest,
	// with its platform and result, and digestChecked after each check
	// whether one is due.
	digestClock   func() time.Time
	digested      func(platform, result string)
	digestChecked func()
	// draining is called once /readyz answers 503 at shutdown, and closed
	// once the server accepts no more connections.
	draining, closed func()
}

func (h hooks) adapterFailed(name string) {
	if h.failed != nil {
		h.failed(name)
	}
}

// serve runs the server until ctx is done, then shuts it down gracefully.
func serve(ctx context.Context, e env, cfg config) error {
	log := newLogger(cfg, e.stderr)
	kb, file, err := kbfile.Open(cfg.KB, kbfile.Options{MaxBytes: cfg.KBMaxBytes})
	if err != nil {
		logLoadError(ctx, log, cfg.KB, err)
		return fmt.Errorf("load knowledge: %w", err)
	}
	log.Info("knowledge loaded", "source", firstNonEmpty(cfg.KB, "embedded"), "entries", len(kb.Entries()))
	m := metrics.New()
	m.Loaded(len(kb.Entries()))

	opts := bot.Options{Telemetry: m, Logger: log}
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	salt, err := pseudonymSalt(ctx, cfg, st)
	if err != nil {
		return err
	}
	opts.Pseudonym = bot.Salted(salt)
	m.StoreWriteFailures(st.FailedWrites)
	if recording(cfg) {
		opts.Journal = st
	}
	var b *bot.Bot
	check := newUpstreamCheck(cfg, func() *knowledge.Base { return b.Knowledge() }, m, log, e.hooks)
	if check != nil {
		opts.Freshness = freshnessOf(check)
	}
	b = bot.New(kb, opts)
	teach := newTeacher(b, st, log, e.hooks.learned)
	teach.apply(ctx)
	out := outbox.NewRunner(st, nil, outbox.Options{Owner: replicaName(), Workers: deliveryWorkers, Lease: cfg.OutboxLease, Telemetry: m, Logger: log})

	records := web.Records{On: recording(cfg), Retention: cfg.Retention}
	ads, err := newAdapters(cfg, b, log, records, out, st)
	if err != nil {
		return err
	}
	for _, a := range ads {
		if d, ok := a.(outbox.Deliverer); ok {
			out.Register(a.Name(), d)
			m.ReplyPlatform(a.Name())
		}
	}
	logAdapters(cfg, log, m)

	// SIGHUP reloads the knowledge; registered before listening so that a
	// SIGHUP never finds the default action (exit) in place.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	adm, err := newAdmin(ctx, cfg, st, b, teach, m, check, log)
	if err != nil {
		return err
	}

	run := &running{adapters: ads}
	var draining atomic.Bool
	d := deps{log: log, bot: b, metrics: m, store: st, recording: recording(cfg), adapters: run, off: offAdapters(cfg), draining: &draining, upstream: check, admin: adm}
	srv, ln, err := listen(ctx, cfg, log, newHandler(d), e.hooks)
	if err != nil {
		return err
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()

	// Background work runs until runCtx is done: adapters, reloads, pruning.
	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	// The outbox delivers until the end of the shutdown, when deliverCtx
	// ends.
	deliverCtx, stopDelivery := context.WithCancel(context.WithoutCancel(ctx))
	defer stopDelivery()
	delivered := make(chan struct{})
	go func() { out.Run(deliverCtx); close(delivered) }()
	if n, err := st.Pending(ctx); err == nil && n > 0 {
		log.Info("replies owed from before: delivering them", "replies", n)
	}
	adaptersDone := run.run(runCtx, log, m, e.hooks)
	if e.hooks.started != nil {
		e.hooks.started(ads)
	}
	if file != nil {
		file.Watch(runCtx, hup, log, reloader(file.Path(), teach, m, log, e.hooks))
	} else {
		go ignoreHUP(runCtx, hup, log)
	}
	go prune(runCtx, st, m, log)
	go teach.watch(runCtx, pollDecisions)
	if check != nil {
		go check.Run(runCtx)
	}
	digested := make(chan struct{})
	if dg := newDigester(cfg, ads, st, b, m, log, e.hooks); dg != nil {
		go func() { dg.run(runCtx, digestEvery); close(digested) }()
	} else {
		close(digested)
	}
	if e.hooks.listening != nil {
		e.hooks.listening(ln.Addr().String())
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
	if e.hooks.draining != nil {
		e.hooks.draining()
	}
	if failure == nil && cfg.ShutdownDelay > 0 {
		log.Info("not ready: serving until the load balancer has noticed", "delay", cfg.ShutdownDelay)
		time.Sleep(cfg.ShutdownDelay)
	}
	sd := stopping{srv: srv, stopRun: stopRun, adaptersDone: adaptersDone, digested: digested, out: out, stopDelivery: stopDelivery, delivered: delivered, store: st}
	return sd.shutdown(ctx, cfg.ShutdownTimeout, log, failure)
}

// deliveryWorkers is how many replies a replica delivers at once.
const deliveryWorkers = 16

// recording reports whether the journal is kept: in a file or PostgreSQL.
func recording(cfg config) bool { return cfg.Data != "" || cfg.DatabaseURL != "" }

// openStore opens the data store: PostgreSQL when MMD_DATABASE_URL is set,
// else the SQLite file of --data, else one in memory for the ids handled
// and the replies owed.
func openStore(ctx context.Context, cfg config, log *slog.Logger) (*store.Store, error) {
	o := store.Options{Retention: cfg.Retention, Logger: log}
	switch {
	case cfg.DatabaseURL != "":
		st, err := store.OpenWith(ctx, cfg.DatabaseURL, o)
		if err != nil {
			return nil, fmt.Errorf("%w: check MMD_DATABASE_URL, and that PostgreSQL answers there", err)
		}
		log.Info("data store open: PostgreSQL, shared by every replica", "journal_retention", cfg.Retention)
		return st, nil
	case cfg.Data != "":
		st, err := store.OpenWith(ctx, cfg.Data, o)
		if err != nil {
			return nil, fmt.Errorf("%w: set --data or MMD_DATA to a file mmdbot can create and write, or --data= to record nothing", err)
		}
		log.Info("data store open", "file", cfg.Data, "journal_retention", cfg.Retention)
		return st, nil
	}
	log.Info("data store off: unanswered questions and feedback are not recorded, and replies owed are kept in memory only; set --data or MMD_DATA to a file to record them")
	return store.OpenWith(ctx, store.Memory, o)
}

// pseudonymSalt is the salt of the pseudonyms the journal keeps instead of
// user ids: MMD_DATA_SALT, or one made once and kept in the store, the same
// for every replica sharing it.
func pseudonymSalt(ctx context.Context, cfg config, st *store.Store) ([]byte, error) {
	if cfg.DataSalt != "" {
		return []byte(cfg.DataSalt), nil
	}
	s, err := st.Secret(ctx, "pseudonym-salt", randomHex)
	if err != nil {
		return nil, fmt.Errorf("the salt of user pseudonyms: %w (or set MMD_DATA_SALT)", err)
	}
	return []byte(s), nil
}

// randomHex is 32 random bytes, in hex.
func randomHex() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// replicaName names this process in the outbox's leases: host and pid.
func replicaName() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s/%d", host, os.Getpid())
}

// listen makes the HTTP server and binds its address.
func listen(ctx context.Context, cfg config, log *slog.Logger, handler http.Handler, h hooks) (*http.Server, net.Listener, error) {
	if h.middleware != nil {
		handler = h.middleware(handler)
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
	if h.closed != nil {
		// Shutdown calls these once the listeners are closed.
		srv.RegisterOnShutdown(h.closed)
	}
	ln, err := new(net.ListenConfig).Listen(ctx, "tcp", cfg.Addr)
	if err != nil {
		return nil, nil, fmt.Errorf("listen on %s: %w (set --addr or MMD_ADDR to a free address, such as :8081)", cfg.Addr, err)
	}
	addr := ln.Addr().String()
	log.Info("listening", "addr", addr, "url", pageURL(addr))
	if tcp, ok := ln.Addr().(*net.TCPAddr); ok && cfg.Teams.Dev && !tcp.IP.IsLoopback() {
		log.Warn("teams development mode: the server listens on a non-loopback address, but /api/messages only accepts requests from this machine",
			"addr", addr, "hint", "set --addr or MMD_ADDR to 127.0.0.1:PORT to listen on this machine alone")
	}
	return srv, ln, nil
}

// logAdapters logs which adapters are on, and how to turn on the others,
// and counts those on.
func logAdapters(cfg config, log *slog.Logger, m *metrics.Metrics) {
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
}

// offAdapters names the chat adapters the configuration leaves off.
func offAdapters(cfg config) []string {
	var off []string
	for _, s := range adapterStates(cfg) {
		if !s.on {
			off = append(off, s.name)
		}
	}
	return off
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

// stopping is what a shutdown stops, in order.
type stopping struct {
	srv          *http.Server
	stopRun      context.CancelFunc
	adaptersDone <-chan struct{}
	// digested closes once the weekly digest's checks have stopped.
	digested     <-chan struct{}
	out          *outbox.Runner
	stopDelivery context.CancelFunc
	delivered    <-chan struct{}
	store        *store.Store
}

// shutdown stops accepting, lets requests in flight and then the adapters
// finish, delivers the replies owed that are due, all within timeout, and
// returns failure, or why the shutdown was not clean. HTTP goes first, so
// that no new work arrives; replies not delivered in time stay in the
// store, for the next start or another replica, and are no failure.
func (sd stopping) shutdown(ctx context.Context, timeout time.Duration, log *slog.Logger, failure error) error {
	deadline := time.Now().Add(timeout)
	sctx, cancel := context.WithDeadline(context.WithoutCancel(ctx), deadline)
	defer cancel()
	var errs []error
	if failure != nil {
		errs = append(errs, failure)
	}
	if err := sd.srv.Shutdown(sctx); err != nil {
		sd.srv.Close()
		errs = append(errs, fmt.Errorf("shut down HTTP server: requests in flight did not finish within %s: %w", timeout, err))
	}
	// Adapters close Socket Mode; the reloader and the pruning stop.
	sd.stopRun()
	select {
	case <-sd.adaptersDone:
	case <-sctx.Done():
		errs = append(errs, fmt.Errorf("shut down adapters: they did not finish within %s", timeout))
	}
	// A digest being owed finishes (or gives its week back) before the
	// outbox drains and the store closes.
	select {
	case <-sd.digested:
	case <-sctx.Done():
	}
	sd.out.Drain(deadline)
	select {
	case <-sd.delivered:
	case <-sctx.Done():
	}
	sd.stopDelivery()
	<-sd.delivered
	if n, err := sd.store.Pending(context.Background()); err == nil && n > 0 {
		log.Warn("replies owed not delivered before the shutdown timeout: they stay stored and are delivered at the next start (or by another replica)",
			"replies", n, "timeout", timeout)
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

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
