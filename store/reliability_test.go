package store

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mmdbot/mmdbot/bot"
	"github.com/mmdbot/mmdbot/knowledge"
	"github.com/mmdbot/mmdbot/outbox"
)

// An id is remembered for SeenWindow, however many others come after it;
// past the window it is new again.
func TestSeenIsByTime(t *testing.T) {
	each(t, func(t *testing.T, target string) {
		ctx := context.Background()
		s := open(t, target)
		now := time.Now()
		s.now = func() time.Time { return now }
		if first, err := s.First(ctx, "slack:Ev1"); err != nil || !first {
			t.Fatalf("first sight: %v %v", first, err)
		}
		for i := range 20_001 {
			if i%5000 == 0 {
				now = now.Add(time.Minute)
			}
			if _, err := s.First(ctx, fmt.Sprint("slack:Other", i)); err != nil {
				t.Fatal(err)
			}
		}
		if first, err := s.First(ctx, "slack:Ev1"); err != nil || first {
			t.Fatalf("after 20,001 other ids within the window: first=%v %v, want a duplicate", first, err)
		}
		now = now.Add(SeenWindow + time.Minute)
		if first, err := s.First(ctx, "slack:Ev1"); err != nil || !first {
			t.Fatalf("past the window: first=%v %v, want new", first, err)
		}
		if err := s.Forget(ctx, "slack:Ev1"); err != nil {
			t.Fatal(err)
		}
		if first, _ := s.First(ctx, "slack:Ev1"); !first {
			t.Error("a forgotten id is not new")
		}
	})
}

func owe(t *testing.T, s *Store, r outbox.Reply) {
	t.Helper()
	if _, err := s.Owe(context.Background(), r); err != nil {
		t.Fatal(err)
	}
}

// Replies are leased to one owner; another gets them once the lease runs
// out; Retry releases; Done deletes; a key is stored once.
func TestOutboxLease(t *testing.T) {
	each(t, func(t *testing.T, target string) {
		ctx := context.Background()
		s := open(t, target)
		now := time.Now()
		owe(t, s, outbox.Reply{Platform: "slack", Kind: "post", Target: []byte(`{"c":1}`), Payload: []byte(`[1]`), Key: "k1", Created: now, Next: now, Deadline: now.Add(time.Hour)})
		owe(t, s, outbox.Reply{Platform: "slack", Kind: "post", Target: []byte(`{"c":1}`), Payload: []byte(`[1]`), Key: "k1", Created: now, Next: now})
		owe(t, s, outbox.Reply{Platform: "teams", Kind: "activity", Target: []byte(`{}`), Payload: []byte(`[2]`), Created: now, Next: now.Add(time.Minute)})
		if n, _ := s.Pending(ctx); n != 2 {
			t.Fatalf("%d pending, want 2 (the key stored once)", n)
		}
		a, err := s.Claim(ctx, "a", now, time.Minute, 10)
		if err != nil || len(a) != 1 || a[0].Key != "k1" || string(a[0].Payload) != "[1]" || a[0].Deadline.UnixMilli() != now.Add(time.Hour).UnixMilli() {
			t.Fatalf("claim by a: %+v %v", a, err)
		}
		if b, _ := s.Claim(ctx, "b", now.Add(30*time.Second), time.Minute, 10); len(b) != 0 {
			t.Fatalf("b claimed a's leased reply: %+v", b)
		}
		b, _ := s.Claim(ctx, "b", now.Add(2*time.Minute), time.Minute, 10)
		if len(b) != 2 {
			t.Fatalf("after a's lease ran out b claimed %d, want 2", len(b))
		}
		if err := s.Done(ctx, a[0].ID, "a"); err != nil {
			t.Fatal(err)
		}
		if n, _ := s.Pending(ctx); n != 2 {
			t.Errorf("a, no longer owner, deleted b's reply: %d pending", n)
		}
		r := b[0]
		r.Attempts, r.Progress, r.LastError, r.Next = 1, 1, "status 500", now.Add(3*time.Minute)
		if err := s.Retry(ctx, r, "b"); err != nil {
			t.Fatal(err)
		}
		c, _ := s.Claim(ctx, "c", now.Add(3*time.Minute), time.Minute, 10)
		var got *outbox.Reply
		for i := range c {
			if c[i].ID == r.ID {
				got = &c[i]
			}
		}
		if got == nil || got.Attempts != 1 || got.Progress != 1 || got.LastError != "status 500" {
			t.Fatalf("retried reply claimed again: %+v", c)
		}
		for _, r := range c {
			if err := s.Done(ctx, r.ID, "c"); err != nil {
				t.Fatal(err)
			}
		}
		if n, _ := s.Pending(ctx); n != 0 {
			t.Errorf("%d pending after done", n)
		}
	})
}

// Owners claiming at once never get the same reply.
func TestOutboxClaimsDoNotOverlap(t *testing.T) {
	each(t, func(t *testing.T, target string) {
		ctx := context.Background()
		s := open(t, target)
		const n = 300
		now := time.Now()
		for i := range n {
			owe(t, s, outbox.Reply{Platform: "slack", Kind: "post", Target: []byte("{}"), Payload: []byte(fmt.Sprint(i)), Created: now, Next: now})
		}
		var mu sync.Mutex
		claimed := map[int64]string{}
		var wg sync.WaitGroup
		for w := range 6 {
			owner := fmt.Sprint("owner", w)
			wg.Go(func() {
				for {
					rs, err := s.Claim(ctx, owner, now, time.Minute, 3)
					if err != nil {
						t.Error(err)
						return
					}
					if len(rs) == 0 {
						return
					}
					mu.Lock()
					for _, r := range rs {
						if o, ok := claimed[r.ID]; ok {
							t.Errorf("reply %d claimed by %s and %s", r.ID, o, owner)
						}
						claimed[r.ID] = owner
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if len(claimed) != n {
			t.Errorf("%d replies claimed, want %d", len(claimed), n)
		}
	})
}

// A corrupt file does not stop the server: it is moved aside, loudly, and
// a fresh journal created.
func TestCorruptFileMovedAside(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "mmdbot.db")
	s, err := Open(ctx, path, 0)
	if err != nil {
		t.Fatal(err)
	}
	for range 50 {
		s.RecordVote(ctx, bot.Vote{Question: strings.Repeat("q", 2000), EntryID: "customer/printing"})
	}
	s.Close()
	// Overwrite the middle of the file: the header stays, the pages do not.
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := 4096; i < len(data); i++ {
		data[i] = 0xA5
	}
	os.WriteFile(path, data, 0o600)
	var logs bytes.Buffer
	s, err = OpenWith(ctx, path, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatalf("open a corrupt journal: %v", err)
	}
	defer s.Close()
	if err := s.RecordMiss(ctx, bot.Miss{Question: "after", Band: knowledge.BandUnknown}); err != nil {
		t.Fatal(err)
	}
	moved, _ := filepath.Glob(path + ".corrupt-*")
	if len(moved) == 0 {
		t.Fatal("the corrupt file was not moved aside")
	}
	if !strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(logs.String(), "CORRUPT") || !strings.Contains(logs.String(), filepath.Base(moved[0])) {
		t.Errorf("no loud log line naming the moved file:\n%s", logs.String())
	}
}

// A journal deleted under the server fails every write and its health,
// instead of writing to a file nobody will see again.
func TestDeletedFileFailsWrites(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "mmdbot.db")
	s, err := Open(ctx, path, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Health(ctx); err != nil {
		t.Fatal(err)
	}
	os.Remove(path)
	os.Remove(path + "-wal")
	os.Remove(path + "-shm")
	if err := s.RecordMiss(ctx, bot.Miss{Question: "lost?", Band: knowledge.BandUnknown}); err == nil {
		t.Error("a write to a deleted journal succeeded")
	}
	if _, err := s.Owe(ctx, outbox.Reply{Platform: "slack", Kind: "post", Target: []byte("{}"), Payload: []byte("[]")}); err == nil {
		t.Error("a reply owed was stored in a deleted journal")
	}
	if err := s.Health(ctx); err == nil || !strings.Contains(err.Error(), "deleted") {
		t.Errorf("health of a deleted journal: %v", err)
	}
	if n := s.FailedWrites(); n != 2 {
		t.Errorf("%d failed writes counted, want 2", n)
	}
}

// A schema newer than this mmdbot is refused rather than written over.
func TestNewerSchemaRefused(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "mmdbot.db")
	s, err := Open(ctx, path, 0)
	if err != nil {
		t.Fatal(err)
	}
	s.db.ExecContext(ctx, "INSERT INTO schema_migrations (version, applied) VALUES (99, 0)")
	s.Close()
	if s, err := Open(ctx, path, 0); err == nil || !strings.Contains(err.Error(), "newer") {
		if s != nil {
			s.Close()
		}
		t.Errorf("open a newer schema: %v", err)
	}
}
