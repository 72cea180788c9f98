package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mmdbot/mmdbot/bot"
	"github.com/mmdbot/mmdbot/internal/pgtest"
	"github.com/mmdbot/mmdbot/internal/skips"
	"github.com/mmdbot/mmdbot/knowledge"
)

func TestMain(m *testing.M) { skips.Main(m) }

// backends are the databases every test of the store runs against: a
// SQLite file, and a PostgreSQL database when one is available.
var backends = []struct {
	name   string
	target func(t *testing.T) string
}{
	{"sqlite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "mmdbot.db") }},
	{"postgres", func(t *testing.T) string { return pgtest.URL(t) }},
}

// each runs test against every backend, as a subtest named after it.
func each(t *testing.T, test func(t *testing.T, target string)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { test(t, b.target(t)) })
	}
}

func open(t *testing.T, target string) *Store {
	t.Helper()
	s, err := Open(context.Background(), target, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestUnanswered(t *testing.T) {
	each(t, func(t *testing.T, target string) {
		ctx := context.Background()
		s := open(t, target)
		now := time.Now()
		for i, q := range []string{"who runs payroll?", "Who runs payroll", "who runs  payroll?", "asdfgh", "incidents on non-MMD devices"} {
			band := knowledge.BandUnknown
			if strings.HasPrefix(q, "incidents") {
				band = knowledge.BandSuggest
			}
			if err := s.RecordMiss(ctx, bot.Miss{Question: q, Band: band, Adapter: []string{"slack", "teams"}[i%2], At: now.Add(time.Duration(i) * time.Second), Candidates: []string{"customer/operations-support"}}); err != nil {
				t.Fatal(err)
			}
		}
		un, err := s.Unanswered(ctx, now.Add(-time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if len(un) != 3 {
			t.Fatalf("%d rows, want 3: %+v", len(un), un)
		}
		if un[0].Count != 3 || un[0].Question != "who runs  payroll?" || len(un[0].Adapters) != 2 {
			t.Errorf("first row %+v", un[0])
		}
		if un[0].Candidates[0] != "customer/operations-support" {
			t.Errorf("candidates %v", un[0].Candidates)
		}
		if later, _ := s.Unanswered(ctx, now.Add(time.Hour)); len(later) != 0 {
			t.Errorf("since filter: %+v", later)
		}
	})
}

func TestFeedback(t *testing.T) {
	each(t, func(t *testing.T, target string) {
		ctx := context.Background()
		s := open(t, target)
		votes := []bot.Vote{
			{Question: "who fixes printers", EntryID: "customer/printing", Up: true, Adapter: "slack"},
			{Question: "toner empty", EntryID: "customer/printing", Up: false, Adapter: "teams"},
			{Question: "toner empty", EntryID: "customer/printing", Up: false, Adapter: "slack"},
			{Question: "vpn", EntryID: "customer/network-infrastructure-including-vpn", Up: true, Adapter: "web"},
		}
		for _, v := range votes {
			if err := s.RecordVote(ctx, v); err != nil {
				t.Fatal(err)
			}
		}
		fb, err := s.Feedback(ctx, time.Now().Add(-time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if len(fb) != 2 || fb[0].EntryID != "customer/printing" || fb[0].Up != 1 || fb[0].Down != 2 || fb[0].Downvoted[0] != "toner empty" {
			t.Errorf("feedback %+v", fb)
		}
	})
}

// TestOneVotePerVoter: a voter's later vote on an answer replaces theirs,
// undo takes it back, and votes of nobody known stand alone.
func TestOneVotePerVoter(t *testing.T) {
	each(t, func(t *testing.T, target string) {
		ctx := context.Background()
		s := open(t, target)
		alex, sam := bot.Voter("teams", "alex"), bot.Voter("slack", "sam")
		record := func(vs ...bot.Vote) {
			t.Helper()
			for _, v := range vs {
				if err := s.RecordVote(ctx, v); err != nil {
					t.Fatal(err)
				}
			}
		}
		counts := func() (up, down int) {
			t.Helper()
			fb, err := s.Feedback(ctx, time.Now().Add(-time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range fb {
				up, down = up+f.Up, down+f.Down
			}
			return up, down
		}
		vpn := "customer/network-infrastructure-including-vpn"
		record(
			bot.Vote{Question: "vpn", EntryID: vpn, Up: true, Adapter: "teams", Voter: alex},
			bot.Vote{Question: "vpn", EntryID: vpn, Up: false, Adapter: "teams", Voter: alex}, // a change of mind
			bot.Vote{Question: "vpn", EntryID: vpn, Up: true, Adapter: "slack", Voter: sam},
			bot.Vote{Question: "proxy", EntryID: vpn, Up: true, Adapter: "teams", Voter: alex}, // another answer
			bot.Vote{Question: "vpn", EntryID: vpn, Up: true, Adapter: "web"},
			bot.Vote{Question: "vpn", EntryID: vpn, Up: true, Adapter: "web"},
		)
		if up, down := counts(); up != 4 || down != 1 {
			t.Errorf("%d 👍 and %d 👎, want 4 and 1: alex's 👎 on vpn replaced their 👍", up, down)
		}
		record(bot.Vote{Question: "vpn", EntryID: vpn, Undo: true, Voter: alex}, bot.Vote{Question: "vpn", EntryID: vpn, Undo: true})
		if up, down := counts(); up != 4 || down != 0 {
			t.Errorf("after undo: %d 👍 and %d 👎, want 4 and 0", up, down)
		}
	})
}

// TestVoterAddedToOldDatabase: a journal of the schema before voters were
// kept opens, keeps its votes and gains one vote per voter.
func TestVoterAddedToOldDatabase(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	s, err := Open(ctx, path, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"DROP TABLE decisions", "DROP TABLE meta", "DROP TABLE digests", "DROP INDEX misses_norm", "DROP INDEX votes_voter", "ALTER TABLE votes DROP COLUMN voter", "DELETE FROM schema_migrations WHERE version >= 3",
		"INSERT INTO votes (at, question, entry, up, adapter) VALUES (strftime('%s','now')*1000, 'vpn', 'customer/printing', 1, 'slack')"} {
		if _, err := s.db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	s.Close()
	s, err = Open(ctx, path, 0)
	if err != nil {
		t.Fatalf("open a journal without voters: %v", err)
	}
	defer s.Close()
	v := bot.Vote{Question: "vpn", EntryID: "customer/printing", Up: true, Adapter: "teams", Voter: bot.Voter("teams", "alex")}
	for range 2 {
		if err := s.RecordVote(ctx, v); err != nil {
			t.Fatal(err)
		}
	}
	fb, err := s.Feedback(ctx, time.Now().Add(-time.Hour))
	if err != nil || len(fb) != 1 || fb[0].Up != 2 {
		t.Errorf("feedback %+v (%v), want the old vote and alex's one", fb, err)
	}
}

func TestPrune(t *testing.T) {
	each(t, func(t *testing.T, path string) {
		ctx := context.Background()
		s, err := Open(ctx, path, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		old := time.Now().Add(-2 * time.Hour)
		s.RecordMiss(ctx, bot.Miss{Question: "old", Band: knowledge.BandUnknown, At: old})
		s.RecordVote(ctx, bot.Vote{Question: "old", EntryID: "customer/printing", At: old})
		s.RecordMiss(ctx, bot.Miss{Question: "new", Band: knowledge.BandUnknown})
		s.Close()
		// Opening prunes what is older than the retention.
		s, err = Open(ctx, path, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		un, _ := s.Unanswered(ctx, time.Time{})
		fb, _ := s.Feedback(ctx, time.Time{})
		if len(un) != 1 || un[0].Question != "new" || len(fb) != 0 {
			t.Errorf("after prune: %+v %+v", un, fb)
		}
	})
}

func TestOpenFails(t *testing.T) {
	dir := t.TempDir()
	for _, path := range []string{"", dir, filepath.Join(dir, "missing", "x.db")} {
		if s, err := Open(context.Background(), path, 0); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded", path)
		}
	}
}

func TestConcurrentWrites(t *testing.T) {
	each(t, func(t *testing.T, target string) {
		ctx := context.Background()
		s := open(t, target)
		done := make(chan error)
		for i := 0; i < 8; i++ {
			go func() {
				var err error
				for k := 0; k < 20 && err == nil; k++ {
					err = s.RecordMiss(ctx, bot.Miss{Question: "q", Band: knowledge.BandUnknown})
				}
				done <- err
			}()
		}
		for i := 0; i < 8; i++ {
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		}
		un, _ := s.Unanswered(ctx, time.Time{})
		if un[0].Count != 160 {
			t.Errorf("count %d", un[0].Count)
		}
	})
}

func TestOddFileNames(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"my#data.db", "q?x=1.db", "with space.db", "100%.db"} {
		path := filepath.Join(dir, name)
		s, err := Open(context.Background(), path, 0)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := s.RecordMiss(context.Background(), bot.Miss{Question: "q", Band: knowledge.BandUnknown}); err != nil {
			t.Fatal(err)
		}
		s.Close()
		if _, err := os.Stat(path); err != nil {
			t.Errorf("%s: the database is not at its path: %v", name, err)
		}
	}
}

func TestRecordsAreBounded(t *testing.T) {
	each(t, func(t *testing.T, target string) {
		ctx := context.Background()
		s := open(t, target)
		s.max = 100
		for i := 0; i < 3*trimEvery; i++ {
			if err := s.RecordMiss(ctx, bot.Miss{Question: fmt.Sprint("flood ", i), Band: knowledge.BandUnknown}); err != nil {
				t.Fatal(err)
			}
		}
		var n int
		if err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM misses").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > int(s.max)+trimEvery {
			t.Errorf("%d records kept, want at most %d", n, int(s.max)+trimEvery)
		}
		// The newest are kept.
		un, _ := s.Unanswered(ctx, time.Time{})
		found := false
		for _, u := range un {
			found = found || u.Question == fmt.Sprint("flood ", 3*trimEvery-1)
		}
		if !found {
			t.Error("the newest record was trimmed")
		}
		if err := s.Prune(ctx); err != nil {
			t.Fatal(err)
		}
		s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM misses").Scan(&n)
		if n != int(s.max) {
			t.Errorf("after prune %d records, want %d", n, s.max)
		}
	})
}
