package main

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/mmdbot/mmdbot/bot"
	"github.com/mmdbot/mmdbot/knowledge"
	"github.com/mmdbot/mmdbot/store"
)

// teacher keeps the bot answering from the knowledge loaded and what admins
// decided on the review page. A decision answers its question at once
// (knowledge.Base.Teach); the model is then trained on the decisions in the
// background (knowledge.Base.Learn), so that questions like it follow, and
// answers once it is. A reload of the knowledge file learns them again,
// and decisions made on another replica are noticed within pollDecisions.
type teacher struct {
	bot   *bot.Bot
	store *store.Store
	log   *slog.Logger
	// learned, if set, is called each time a trained model answers, with
	// the number of examples it learnt from the admins.
	learned func(n int)

	mu      sync.Mutex
	base    *knowledge.Base // as loaded, untaught
	exs     []knowledge.Example
	version string
	gen     uint64 // counts what apply was asked to teach
	busy    bool   // a training runs
}

// pollDecisions is how often a replica looks for decisions made elsewhere.
const pollDecisions = 30 * time.Second

func newTeacher(b *bot.Bot, st *store.Store, log *slog.Logger, learned func(int)) *teacher {
	return &teacher{bot: b, store: st, log: log, learned: learned, base: b.Knowledge()}
}

// reloaded makes kb, just loaded, the knowledge taught from.
func (t *teacher) reloaded(ctx context.Context, kb *knowledge.Base) {
	t.mu.Lock()
	t.base = kb
	t.mu.Unlock()
	t.apply(ctx)
}

// apply reads the decisions, answers them at once, and trains the model on
// them in the background. If the store cannot be read, the knowledge
// loaded answers alone until the next try.
func (t *teacher) apply(ctx context.Context) {
	// The version is read first: a decision made between the two reads
	// changes it again, and the next look learns it.
	version, _ := t.store.DecisionsVersion(ctx)
	exs, err := t.store.Examples(ctx)
	if err != nil {
		t.log.Warn("read the admins' decisions: answering without them until the next try", "error", err)
		t.mu.Lock()
		t.bot.SetKnowledge(t.base)
		t.mu.Unlock()
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.gen++
	t.exs, t.version = exs, version
	t.bot.SetKnowledge(t.base.Teach(exs))
	if !t.busy {
		t.busy = true
		go t.train()
	}
}

// train trains the model on the latest decisions until no newer ones came
// meanwhile, and makes it answer.
func (t *teacher) train() {
	for {
		t.mu.Lock()
		gen, base, exs := t.gen, t.base, t.exs
		t.mu.Unlock()
		start := time.Now()
		learned := base.Learn(exs)
		t.mu.Lock()
		if t.gen != gen {
			t.mu.Unlock()
			continue
		}
		t.bot.SetKnowledge(learned)
		t.busy = false
		t.mu.Unlock()
		if len(exs) > 0 {
			t.log.Info("model trained on the admins' decisions", "examples", len(exs), "took", time.Since(start).Round(time.Millisecond))
		}
		if t.learned != nil {
			t.learned(len(exs))
		}
		return
	}
}

// watch applies decisions made on other replicas, until ctx is done.
func (t *teacher) watch(ctx context.Context, interval time.Duration) {
	every(ctx, interval, func() {
		v, err := t.store.DecisionsVersion(ctx)
		t.mu.Lock()
		changed := err == nil && v != t.version
		t.mu.Unlock()
		if changed {
			t.apply(ctx)
		}
	})
}
