package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/mmdbot/mmdbot/bot"
	"github.com/mmdbot/mmdbot/knowledge"
	"github.com/mmdbot/mmdbot/store"
)

// TestTeacherLearnsFromOtherReplicas: two replicas share one data store; a
// decision made through one is answered by the other once it has looked,
// and an undo there too.
func TestTeacherLearnsFromOtherReplicas(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	file := filepath.Join(t.TempDir(), "mmdbot.db")
	replica := func() (*bot.Bot, *teacher, chan int) {
		st, err := store.Open(ctx, file, 0)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		b := bot.New(knowledge.Default(), bot.Options{})
		learned := make(chan int, 8)
		tc := newTeacher(b, st, slog.New(slog.DiscardHandler), func(n int) { learned <- n })
		tc.apply(ctx)
		waitFor(t, learned, 0)
		return b, tc, learned
	}
	_, one, _ := replica()
	other, tc, learned := replica()
	go tc.watch(ctx, 20*time.Millisecond)

	const q = "who fixes the coffee machine on floor 3"
	d, err := one.store.Decide(ctx, store.Decision{Question: q, Kind: store.DecideAnswer, Entries: []string{"customer/operations-support"}, By: "ada@contoso.com"})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, learned, 1)
	if r := other.Knowledge().Search(q); !r.Taught || r.Matches[0].Entry.ID != "customer/operations-support" {
		t.Errorf("the other replica answers %q with %v", q, r.Matches[0].Entry.ID)
	}
	if _, err := one.store.Undo(ctx, d.ID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, learned, 0)
	if r := other.Knowledge().Search(q); r.Taught || r.Band == knowledge.BandAnswer {
		t.Errorf("the other replica still answers %q after the undo: %s", q, r.Band)
	}
}

// waitFor waits for a model trained on n decisions.
func waitFor(t *testing.T, learned chan int, n int) {
	t.Helper()
	deadline := time.After(patience)
	for {
		select {
		case got := <-learned:
			if got == n {
				return
			}
		case <-deadline:
			t.Fatalf("no model trained on %d decisions within %s", n, patience)
		}
	}
}
