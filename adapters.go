package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"

	"github.com/mmdbot/mmdbot/adapters/slack"
	"github.com/mmdbot/mmdbot/adapters/teams"
	"github.com/mmdbot/mmdbot/bot"
	"github.com/mmdbot/mmdbot/metrics"
	"github.com/mmdbot/mmdbot/outbox"
	"github.com/mmdbot/mmdbot/store"
	"github.com/mmdbot/mmdbot/web"
)

// adapter is one way in to the bot: the web page, Slack, Teams. serve
// knows them only through this interface and the two below, found by type
// assertion.
type adapter interface {
	// Name names the adapter in metrics, logs and /readyz.
	Name() string
	// Ready is nil when the adapter can take work; its error says briefly
	// why not, for /readyz.
	Ready() error
}

// runner is an adapter with a loop of its own (Slack's workers and Socket
// Mode): serve runs it until shutdown.
type runner interface {
	Run(ctx context.Context) error
}

// router is an adapter that serves HTTP endpoints: serve mounts them.
type router interface {
	Routes(mux *http.ServeMux)
}

// newAdapters makes the web page and the chat adapters the configuration
// turns on. It does no I/O: they connect in Run, or on their first request.
func newAdapters(cfg config, b *bot.Bot, log *slog.Logger, records web.Records, out *outbox.Runner, st *store.Store) ([]adapter, error) {
	ads := []adapter{web.New(b, web.Options{Logger: log, Records: records})}
	if c := cfg.Slack; c.Enabled() {
		c.Logger, c.Outbox, c.Seen = log, out, st
		s, err := slack.New(c, b)
		if err != nil {
			return nil, err
		}
		ads = append(ads, s)
	}
	if c := cfg.Teams; c.Enabled() {
		c.Logger, c.Outbox, c.Seen = log, out, st
		t, err := teams.New(c, b)
		if err != nil {
			return nil, err
		}
		ads = append(ads, t)
	}
	return ads, nil
}

// errFailed is what /readyz says of an adapter whose loop stopped by
// itself: it stays off until mmdbot restarts.
var errFailed = errors.New("failed")

// running is the adapters of a server and what became of their loops.
type running struct {
	adapters []adapter
	mu       sync.Mutex
	failed   map[string]bool
}

// run runs the loops of the adapters that have one until ctx is done; the
// channel closes once they have drained and closed their connections. An
// adapter whose loop stops by itself before ctx is done (a revoked token
// ends Socket Mode) is logged, counted and reported failed by /readyz; it
// stays off until mmdbot restarts, while the others go on serving.
func (r *running) run(ctx context.Context, log *slog.Logger, m *metrics.Metrics, h hooks) <-chan struct{} {
	var wg sync.WaitGroup
	for _, a := range r.adapters {
		rn, ok := a.(runner)
		if !ok {
			continue
		}
		wg.Go(func() {
			err := rn.Run(ctx)
			if ctx.Err() != nil {
				if err != nil {
					log.Warn("adapter stopped", "adapter", a.Name(), "error", err)
				}
				return
			}
			if err == nil {
				err = errors.New("it stopped by itself")
			}
			r.mu.Lock()
			if r.failed == nil {
				r.failed = map[string]bool{}
			}
			r.failed[a.Name()] = true
			r.mu.Unlock()
			m.AdapterFailed(a.Name())
			// The error names the operation and the platform's error code,
			// never a token.
			log.Error(a.Name()+" adapter failed: it is off until mmdbot restarts", "adapter", a.Name(), "error", err)
			h.adapterFailed(a.Name())
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	return done
}

// ready returns each adapter's readiness: nil, or why not.
func (r *running) ready() map[string]error {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]error, len(r.adapters))
	for _, a := range r.adapters {
		if r.failed[a.Name()] {
			out[a.Name()] = errFailed
		} else {
			out[a.Name()] = a.Ready()
		}
	}
	return out
}
