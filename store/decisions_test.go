package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/mmdbot/mmdbot/bot"
	"github.com/mmdbot/mmdbot/knowledge"
)

// seedReview records three questions to review: one asked three times by
// two people, one asked on the web, one answer voted 👎 twice.
func seedReview(t *testing.T, s *Store, now time.Time) {
	t.Helper()
	ctx := context.Background()
	for _, m := range []struct {
		q, user string
		ago     time.Duration
	}{
		{"who fixes the coffee machine?", "a", 3 * time.Hour},
		{"Who fixes the coffee machine", "b", 2 * time.Hour},
		{"who fixes the coffee machine", "a", time.Hour},
		{"wifi keeps dropping in building B", "", 30 * time.Minute},
	} {
		if err := s.RecordMiss(ctx, bot.Miss{Question: m.q, Band: knowledge.BandUnknown, Adapter: "slack", User: m.user, At: now.Add(-m.ago)}); err != nil {
			t.Fatal(err)
		}
	}
	for _, v := range []bot.Vote{
		{Question: "who patches chrome?", EntryID: "microsoft/updates", Adapter: "teams", Voter: "v1", At: now.Add(-10 * time.Minute)},
		{Question: "Who patches Chrome", EntryID: "microsoft/updates", Adapter: "slack", Voter: "v2", At: now.Add(-5 * time.Minute)},
		{Question: "who handles vpn?", EntryID: "customer/network", Up: true, Adapter: "slack", Voter: "v3", At: now},
	} {
		if err := s.RecordVote(ctx, v); err != nil {
			t.Fatal(err)
		}
	}
}

func TestReview(t *testing.T) {
	each(t, func(t *testing.T, target string) {
		ctx := context.Background()
		s := open(t, target)
		now := time.Now()
		seedReview(t, s, now)
		qs, err := s.Review(ctx, now.Add(-24*time.Hour), 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(qs) != 3 {
			t.Fatalf("%d questions to review, want 3: %+v", len(qs), qs)
		}
		// Newest first: the 👎 (5 minutes ago), the wifi, the coffee machine.
		if qs[0].Reason != ReasonDownvoted || qs[0].Entry != "microsoft/updates" || qs[0].Count != 2 || qs[0].People != 2 || qs[0].Question != "Who patches Chrome" {
			t.Errorf("first: %+v", qs[0])
		}
		if !slices.Equal(sorted(qs[0].Adapters), []string{"slack", "teams"}) {
			t.Errorf("adapters of the 👎: %v", qs[0].Adapters)
		}
		if qs[1].Question != "wifi keeps dropping in building B" || qs[1].People != 0 {
			t.Errorf("second: %+v", qs[1])
		}
		if qs[2].Count != 3 || qs[2].People != 2 || qs[2].Reason != ReasonUnanswered || qs[2].Norm != "who fixes the coffee machine" {
			t.Errorf("third: %+v", qs[2])
		}
		// Who asked, by pseudonym, so that the people of several questions
		// can be counted once each.
		if !slices.Equal(sorted(qs[2].Askers), []string{"a", "b"}) || !slices.Equal(sorted(qs[0].Askers), []string{"v1", "v2"}) || len(qs[1].Askers) != 0 {
			t.Errorf("askers: %q, %q, %q", qs[0].Askers, qs[1].Askers, qs[2].Askers)
		}
		if few, _ := s.Review(ctx, now.Add(-24*time.Hour), 1); len(few) != 1 {
			t.Errorf("limit 1: %d questions", len(few))
		}
	})
}

func TestDecisions(t *testing.T) {
	each(t, func(t *testing.T, target string) {
		ctx := context.Background()
		s := open(t, target)
		now := time.Now()
		seedReview(t, s, now)
		v0, _ := s.DecisionsVersion(ctx)
		d, err := s.Decide(ctx, Decision{Question: "wifi keeps dropping in building B", Kind: DecideAnswer, Entries: []string{"customer/network-infrastructure-including-vpn"}, By: "ada@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		if d.ID == 0 || d.Norm != "wifi keeps dropping in building b" || d.Source != SourceReview || d.At.IsZero() {
			t.Errorf("decision stored: %+v", d)
		}
		oos, err := s.Decide(ctx, Decision{Question: "who fixes the coffee machine?", Kind: DecideOutOfScope, Entries: []string{"ignored"}, By: "token"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Decide(ctx, Decision{Question: "who patches chrome", Kind: DecideDismiss, By: "ada@example.com"}); err != nil {
			t.Fatal(err)
		}
		if qs, _ := s.Review(ctx, now.Add(-24*time.Hour), 10); len(qs) != 0 {
			t.Errorf("decided questions still to review: %+v", qs)
		}
		v1, _ := s.DecisionsVersion(ctx)
		if v1 == v0 {
			t.Error("the version did not change with decisions")
		}
		checkExamples(t, s, []knowledge.Example{
			{Q: "wifi keeps dropping in building B", Expect: []string{"customer/network-infrastructure-including-vpn"}},
			{Q: "who fixes the coffee machine?", Expect: []string{}},
		})

		// A new decision on the same question replaces the old one.
		again, err := s.Decide(ctx, Decision{Question: "WHO fixes the coffee machine", Kind: DecideAnswer, Entries: []string{"customer/operations-support"}, By: "bob@example.com", At: now.Add(time.Second)})
		if err != nil {
			t.Fatal(err)
		}
		if again.ID == oos.ID {
			t.Errorf("a new decision on the same question has the old one's id %d", again.ID)
		}
		if ds, err := s.Decisions(ctx); err != nil || len(ds) != 3 || ds[0].By != "bob@example.com" || ds[0].Kind != DecideAnswer {
			t.Errorf("decisions %+v (%v)", ds, err)
		}
		// Its undo brings the one it replaced back, with its own id; a
		// second undo of it finds nothing.
		back, err := s.Undo(ctx, again.ID)
		if err != nil || back.Restored == nil || back.Restored.ID != oos.ID || back.Restored.Kind != DecideOutOfScope || back.Restored.By != "token" {
			t.Fatalf("undo of a replacing decision: %+v (%v)", back, err)
		}
		if _, err := s.Undo(ctx, again.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("second undo of the replacing decision: %v", err)
		}
		checkExamples(t, s, []knowledge.Example{
			{Q: "wifi keeps dropping in building B", Expect: []string{"customer/network-infrastructure-including-vpn"}},
			{Q: "who fixes the coffee machine?", Expect: []string{}},
		})

		// Undo brings the question back to the review.
		undone, err := s.Undo(ctx, d.ID)
		if err != nil || undone.Question != d.Question || undone.Kind != DecideAnswer {
			t.Errorf("undone %+v (%v)", undone, err)
		}
		if _, err := s.Undo(ctx, d.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("second undo: %v, want ErrNotFound", err)
		}
		if qs, _ := s.Review(ctx, now.Add(-24*time.Hour), 10); len(qs) != 1 || qs[0].Question != "wifi keeps dropping in building B" {
			t.Errorf("after undo: %+v", qs)
		}
		if v2, _ := s.DecisionsVersion(ctx); v2 == v1 {
			t.Error("the version did not change with an undo")
		}
		for _, bad := range []Decision{{Question: " ", Kind: DecideDismiss}, {Question: "x", Kind: "maybe"}, {Question: "x", Kind: DecideAnswer}} {
			if _, err := s.Decide(ctx, bad); err == nil {
				t.Errorf("decision %+v accepted", bad)
			}
		}
	})
}

// checkExamples checks the store's examples: questions and answers, oldest
// first, from the set "admin".
func checkExamples(t *testing.T, s *Store, want []knowledge.Example) {
	t.Helper()
	exs, err := s.Examples(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(exs) != len(want) {
		t.Fatalf("examples %+v, want %+v", exs, want)
	}
	for i, ex := range exs {
		if ex.Q != want[i].Q || ex.Expect == nil || !slices.Equal(ex.Expect, want[i].Expect) || ex.Set != "admin" {
			t.Errorf("example %d: %+v, want %+v", i, ex, want[i])
		}
	}
}

func sorted(s []string) []string { s = slices.Clone(s); slices.Sort(s); return s }

func TestSecretIsMadeOnce(t *testing.T) {
	each(t, func(t *testing.T, target string) {
		ctx := context.Background()
		s := open(t, target)
		a, err := s.Secret(ctx, "salt", func() (string, error) { return "first", nil })
		if err != nil {
			t.Fatal(err)
		}
		b, err := s.Secret(ctx, "salt", func() (string, error) { return "second", nil })
		if err != nil {
			t.Fatal(err)
		}
		if a != "first" || b != "first" {
			t.Errorf("secret %q then %q, want first twice", a, b)
		}
		if _, err := s.Secret(ctx, "other", func() (string, error) { return "", errors.New("no randomness") }); err == nil {
			t.Error("a failure to make a secret was not reported")
		}
	})
}

// TestTotals counts what is up for review whole: the questions not
// answered each time asked, the 👎, the people by pseudonym; questions
// without one, older ones and decided ones are left out.
func TestTotals(t *testing.T) {
	each(t, func(t *testing.T, target string) {
		ctx := context.Background()
		s := open(t, target)
		now := time.Now()
		for _, m := range []struct {
			q, user string
			ago     time.Duration
		}{
			{"who fixes the coffee machine?", "a", 3 * time.Hour},
			{"Who fixes the coffee machine", "b", 2 * time.Hour},
			{"who runs payroll?", "a", time.Hour},
			{"wifi keeps dropping in building B", "", 30 * time.Minute},
			{"what was asked long ago", "c", 48 * time.Hour},
		} {
			if err := s.RecordMiss(ctx, bot.Miss{Question: m.q, Band: knowledge.BandUnknown, Adapter: "slack", User: m.user, At: now.Add(-m.ago)}); err != nil {
				t.Fatal(err)
			}
		}
		for i, q := range []string{"who patches chrome?", "Who patches Chrome", "who handles vpn?"} {
			if err := s.RecordVote(ctx, bot.Vote{Question: q, EntryID: "microsoft/updates", Up: i == 2, Adapter: "teams", Voter: fmt.Sprint("v", i), At: now.Add(-time.Hour)}); err != nil {
				t.Fatal(err)
			}
		}
		totals := func(since time.Duration) ReviewTotals {
			t.Helper()
			got, err := s.Totals(ctx, now.Add(-since))
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
		for _, tt := range []struct {
			since time.Duration
			want  ReviewTotals
		}{
			{24 * time.Hour, ReviewTotals{Unanswered: 4, Downvoted: 2, People: 2}},
			{150 * time.Minute, ReviewTotals{Unanswered: 3, Downvoted: 2, People: 2}},
			{90 * time.Minute, ReviewTotals{Unanswered: 2, Downvoted: 2, People: 1}},
			{10 * time.Minute, ReviewTotals{}},
		} {
			if got := totals(tt.since); got != tt.want {
				t.Errorf("since %s ago: %+v, want %+v", tt.since, got, tt.want)
			}
		}
		for _, q := range []string{"who fixes the coffee machine?", "who patches chrome"} {
			if _, err := s.Decide(ctx, Decision{Question: q, Kind: DecideOutOfScope, By: "ada"}); err != nil {
				t.Fatal(err)
			}
		}
		if got, want := totals(24*time.Hour), (ReviewTotals{Unanswered: 2, People: 1}); got != want {
			t.Errorf("once decided: %+v, want %+v", got, want)
		}
	})
}

func TestClaimPeriod(t *testing.T) {
	each(t, func(t *testing.T, target string) {
		ctx := context.Background()
		s := open(t, target)
		other := open(t, target)
		first, err := s.ClaimPeriod(ctx, "digest/slack/2026-W49")
		if err != nil || !first {
			t.Fatalf("first claim: %v %v", first, err)
		}
		if again, err := other.ClaimPeriod(ctx, "digest/slack/2026-W49"); err != nil || again {
			t.Errorf("second claim: %v %v", again, err)
		}
		if err := s.ReleasePeriod(ctx, "digest/slack/2026-W49"); err != nil {
			t.Fatal(err)
		}
		if again, err := other.ClaimPeriod(ctx, "digest/slack/2026-W49"); err != nil || !again {
			t.Errorf("claim after release: %v %v", again, err)
		}
	})
}
