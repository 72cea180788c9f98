package main

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/mmdbot/mmdbot/kbfile"
	"github.com/mmdbot/mmdbot/knowledge"
	"github.com/mmdbot/mmdbot/metrics"
	"github.com/mmdbot/mmdbot/store"
)

// The work a server does beside answering: reloading the knowledge file,
// pruning old records, and logging what it is and is not doing.

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

// reloader returns what a server does with each reload of its knowledge
// file: a file that loads answers at once; one that does not is refused,
// and the knowledge loaded before goes on answering.
func reloader(path string, t *teacher, m *metrics.Metrics, log *slog.Logger, h hooks) func(kbfile.Reload) {
	return func(r kbfile.Reload) {
		if r.Err != nil {
			m.Reloaded(false, 0)
			logLoadError(context.Background(), log, path, r.Err)
			log.Error("knowledge reload refused: still answering from the knowledge loaded before", "file", path, "trigger", r.Trigger)
		} else {
			t.reloaded(context.Background(), r.KB)
			m.Reloaded(true, len(r.KB.Entries()))
			log.Info("knowledge reloaded", "file", path, "trigger", r.Trigger, "entries", len(r.KB.Entries()))
		}
		if h.reloaded != nil {
			h.reloaded(r.Err)
		}
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
