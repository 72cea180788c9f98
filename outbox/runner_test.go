package outbox_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/mmdbot/mmdbot/outbox"
	"github.com/mmdbot/mmdbot/store"
)

// telemetry counts what a runner reports.
type telemetry struct {
	mu                         sync.Mutex
	delivered, retried, failed int
	reasons                    []string
}

func (t *telemetry) ReplyDelivered(string, time.Duration) { t.mu.Lock(); t.delivered++; t.mu.Unlock() }
func (t *telemetry) ReplyRetried(string)                  { t.mu.Lock(); t.retried++; t.mu.Unlock() }
func (t *telemetry) ReplyFailed(_, reason string) {
	t.mu.Lock()
	t.failed++
	t.reasons = append(t.reasons, reason)
	t.mu.Unlock()
}

func (t *telemetry) snapshot() (int, int, int, []string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.delivered, t.retried, t.failed, append([]string(nil), t.reasons...)
}

func memStore(t *testing.T) *store.Store {
	st, err := store.Open(context.Background(), store.Memory, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// waitPending waits until the store owes nothing.
func waitPending(t *testing.T, st *store.Store) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		n, err := st.Pending(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d replies still owed", n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func run(t *testing.T, r *outbox.Runner) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

// A reply is retried from where it stopped, honouring Retry-After, until
// it goes; one refused fails at once; one that cannot make its deadline
// fails; each failure is counted with its reason.
func TestRunnerRetriesAndGivesUp(t *testing.T) {
	st := memStore(t)
	tel := &telemetry{}
	var mu sync.Mutex
	calls := map[string][]int{} // kind → progress at each call
	var at []time.Time
	d := outbox.DelivererFunc(func(_ context.Context, r outbox.Reply) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		calls[r.Kind] = append(calls[r.Kind], r.Progress)
		switch r.Kind {
		case "flaky": // message 1 of 2 goes, then a 429, then all go
			at = append(at, time.Now())
			if len(calls[r.Kind]) == 1 {
				return 1, outbox.RetryAfter(errors.New("status 429"), 1500*time.Millisecond)
			}
			return 2, nil
		case "refused":
			return 0, outbox.Permanent(errors.New("channel_not_found"))
		default: // "late": always 500
			return 0, errors.New("status 500")
		}
	})
	r := outbox.NewRunner(st, map[string]outbox.Deliverer{"p": d}, outbox.Options{Owner: "a", Telemetry: tel})
	run(t, r)
	ctx := context.Background()
	now := time.Now()
	for k, deadline := range map[string]time.Duration{"flaky": time.Minute, "refused": time.Minute, "late": 2 * time.Second} {
		if err := r.Owe(ctx, outbox.Reply{Platform: "p", Kind: k, Target: []byte("{}"), Payload: []byte("[]"), Deadline: now.Add(deadline)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Owe(ctx, outbox.Reply{Platform: "nowhere", Kind: "x", Target: []byte("{}"), Payload: []byte("[]")}); err != nil {
		t.Fatal(err)
	}
	waitPending(t, st)
	mu.Lock()
	defer mu.Unlock()
	if got := calls["flaky"]; len(got) != 2 || got[0] != 0 || got[1] != 1 {
		t.Errorf("flaky reply tried from %v, want from 0 then from 1", got)
	}
	if len(at) == 2 && at[1].Sub(at[0]) < 1500*time.Millisecond {
		t.Errorf("retried after %s, before its Retry-After", at[1].Sub(at[0]))
	}
	if n := len(calls["refused"]); n != 1 {
		t.Errorf("a refused reply was tried %d times", n)
	}
	delivered, retried, failed, reasons := tel.snapshot()
	if delivered != 1 || failed != 3 || retried < 2 {
		t.Errorf("delivered %d, retried %d, failed %d (%v)", delivered, retried, failed, reasons)
	}
	want := map[string]bool{outbox.ReasonRefused: true, outbox.ReasonDeadline: true, outbox.ReasonPlatform: true}
	for _, reason := range reasons {
		delete(want, reason)
	}
	if len(want) != 0 {
		t.Errorf("reasons %v lack %v", reasons, want)
	}
}

// Send delivers in the caller's goroutine when it can, and leaves to the
// workers what it cannot.
func TestSend(t *testing.T) {
	st := memStore(t)
	var mu sync.Mutex
	tries := 0
	d := outbox.DelivererFunc(func(context.Context, outbox.Reply) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		tries++
		if tries == 2 {
			return 0, errors.New("status 503")
		}
		return 1, nil
	})
	r := outbox.NewRunner(st, map[string]outbox.Deliverer{"p": d}, outbox.Options{Owner: "a"})
	ctx := context.Background()
	if err := r.Send(ctx, outbox.Reply{Platform: "p", Kind: "k", Target: []byte("{}"), Payload: []byte("[]")}); err != nil {
		t.Fatal(err)
	}
	count := func() int { mu.Lock(); defer mu.Unlock(); return tries }
	if n, _ := st.Pending(ctx); n != 0 || count() != 1 {
		t.Fatalf("sent at once: %d pending after %d tries", n, count())
	}
	if err := r.Send(ctx, outbox.Reply{Platform: "p", Kind: "k", Target: []byte("{}"), Payload: []byte("[]")}); err != nil {
		t.Fatal(err)
	}
	if n, _ := st.Pending(ctx); n != 1 {
		t.Fatalf("a failed send: %d pending, want 1 for the workers", n)
	}
	run(t, r)
	waitPending(t, st)
	if count() != 3 {
		t.Errorf("%d tries, want 3", count())
	}
}

// Drain delivers what is due by its deadline and returns; what is due
// later stays stored.
func TestDrain(t *testing.T) {
	st := memStore(t)
	d := outbox.DelivererFunc(func(context.Context, outbox.Reply) (int, error) { return 1, nil })
	r := outbox.NewRunner(st, map[string]outbox.Deliverer{"p": d}, outbox.Options{Owner: "a"})
	ctx := context.Background()
	now := time.Now()
	for i := range 20 {
		next := now
		if i%2 == 1 {
			next = now.Add(time.Hour)
		}
		if err := r.Owe(ctx, outbox.Reply{Platform: "p", Kind: "k", Target: []byte("{}"), Payload: []byte("[]"), Next: next}); err != nil {
			t.Fatal(err)
		}
	}
	r.Drain(now.Add(5 * time.Second))
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after Drain")
	}
	if n, _ := st.Pending(ctx); n != 10 {
		t.Errorf("%d left, want the 10 due in an hour", n)
	}
}
