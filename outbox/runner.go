package outbox

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// Timings of the Runner.
const (
	// Lease is how long a claimed reply stays with its replica, by
	// default: a replica that dies has its replies taken over by another
	// once it runs out. An attempt gets at most half of it.
	Lease = time.Minute
	// poll is how often an idle worker looks for replies due (another
	// replica's, retries coming due); replies owed here wake it at once.
	poll = 500 * time.Millisecond
	// backoffBase is the first wait after a failed attempt; it doubles
	// with each attempt up to backoffMax, with jitter.
	backoffBase = 500 * time.Millisecond
	backoffMax  = 5 * time.Minute
	// attemptTimeout bounds one delivery attempt.
	attemptTimeout = 30 * time.Second
	// storeTimeout bounds a write to the store that must happen even
	// when the delivery's context is over.
	storeTimeout = 5 * time.Second
)

// The reasons a reply finally fails, as logged and counted.
const (
	ReasonRefused  = "refused"      // the platform refused it; retrying cannot help
	ReasonDeadline = "deadline"     // it could not be delivered before its deadline
	ReasonPlatform = "no-deliverer" // no deliverer for its platform
)

// Telemetry counts deliveries; *metrics.Metrics implements it.
type Telemetry interface {
	// ReplyDelivered counts a reply delivered, with how long it waited.
	ReplyDelivered(platform string, waited time.Duration)
	// ReplyRetried counts a failed attempt to be retried.
	ReplyRetried(platform string)
	// ReplyFailed counts a reply that will never be delivered, and why.
	ReplyFailed(platform, reason string)
}

type nopTelemetry struct{}

func (nopTelemetry) ReplyDelivered(string, time.Duration) {}
func (nopTelemetry) ReplyRetried(string)                  {}
func (nopTelemetry) ReplyFailed(string, string)           {}

// Options configure a Runner.
type Options struct {
	// Owner names this replica in leases; it must differ between replicas.
	Owner string
	// Workers is how many deliveries run at once (default 8).
	Workers int
	// Lease is how long a claimed reply is held (default Lease).
	Lease     time.Duration
	Telemetry Telemetry
	Logger    *slog.Logger
	// Now tells the time (tests set it).
	Now func() time.Time
}

// Runner delivers the replies of a Store with one Deliverer per platform.
type Runner struct {
	store      Store
	deliverers map[string]Deliverer
	opts       Options
	wake       chan struct{}
	draining   chan struct{}
	drainOnce  sync.Once
	drainBy    atomic.Int64 // Unix ms: Drain's deadline
	// claimLogged is when a failure to claim was last logged (Unix ms):
	// a store that fails is logged every claimLogEvery, not at every poll.
	claimLogged atomic.Int64
}

// claimLogEvery is how often a store that fails to claim is logged.
const claimLogEvery = 30 * time.Second

// NewRunner returns a runner delivering the replies of st.
func NewRunner(st Store, deliverers map[string]Deliverer, opts Options) *Runner {
	if opts.Workers <= 0 {
		opts.Workers = 8
	}
	if opts.Telemetry == nil {
		opts.Telemetry = nopTelemetry{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Lease <= 0 {
		opts.Lease = Lease
	}
	if deliverers == nil {
		deliverers = map[string]Deliverer{}
	}
	return &Runner{store: st, deliverers: deliverers, opts: opts,
		wake: make(chan struct{}, 1), draining: make(chan struct{})}
}

// Register delivers the replies of platform with d. Call it before Run.
func (o *Runner) Register(platform string, d Deliverer) { o.deliverers[platform] = d }

// Owe stores a reply and wakes a worker to deliver it. Adapters call it
// before they acknowledge the request the reply answers.
func (o *Runner) Owe(ctx context.Context, r Reply) error {
	if r.Created.IsZero() {
		r.Created = o.opts.Now()
	}
	if r.Next.IsZero() {
		r.Next = r.Created
	}
	if _, err := o.store.Owe(ctx, r); err != nil {
		return err
	}
	o.Wake()
	return nil
}

// Send owes a reply and tries to deliver it at once, in the caller's
// goroutine, so that a reply that can go goes without waiting for a
// worker; if the attempt fails the workers retry it. Its error says only
// that the reply could not be stored.
func (o *Runner) Send(ctx context.Context, r Reply) error {
	now := o.opts.Now()
	if r.Created.IsZero() {
		r.Created = now
	}
	// No worker takes it while it is being tried here.
	r.Next = now.Add(attemptTimeout + storeTimeout)
	id, err := o.store.Owe(ctx, r)
	if err != nil || id == 0 {
		return err
	}
	r.ID = id
	o.deliver(ctx, r, "")
	return nil
}

// Wake tells an idle worker that a reply is due.
func (o *Runner) Wake() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// Run delivers replies until ctx is done, or until Drain was called and
// nothing is due any more; then it returns once the deliveries in flight
// are over. Replies in flight when ctx ends are put back, to be delivered
// at the next start or by another replica.
func (o *Runner) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for range o.opts.Workers {
		wg.Go(func() { o.work(ctx) })
	}
	wg.Wait()
}

// Drain asks Run to deliver what is due by the deadline (retries
// included) and then return: the server is shutting down and takes no more
// work. What is due later stays stored.
func (o *Runner) Drain(deadline time.Time) {
	o.drainOnce.Do(func() {
		o.drainBy.Store(deadline.UnixMilli())
		close(o.draining)
	})
}

// drained reports, once Drain was called, whether nothing is left to
// deliver before its deadline.
func (o *Runner) drained(ctx context.Context) bool {
	select {
	case <-o.draining:
	default:
		return false
	}
	n, err := o.store.Due(ctx, time.UnixMilli(o.drainBy.Load()))
	return err != nil || n == 0
}

// work is one worker's loop.
func (o *Runner) work(ctx context.Context) {
	t := time.NewTicker(poll)
	defer t.Stop()
	for ctx.Err() == nil {
		rs, err := o.store.Claim(ctx, o.opts.Owner, o.opts.Now(), o.opts.Lease, 1)
		if err != nil && ctx.Err() == nil {
			o.claimFailed(ctx, err)
		}
		if len(rs) > 0 {
			o.deliver(ctx, rs[0], o.opts.Owner)
			continue
		}
		if o.drained(ctx) {
			// Wake the other workers so that they stop too.
			o.Wake()
			return
		}
		select {
		case <-ctx.Done():
		case <-t.C:
		case <-o.wake:
		}
	}
}

// claimFailed logs a failure to claim replies, once every claimLogEvery.
func (o *Runner) claimFailed(ctx context.Context, err error) {
	now := o.opts.Now().UnixMilli()
	last := o.claimLogged.Load()
	if now-last < claimLogEvery.Milliseconds() || !o.claimLogged.CompareAndSwap(last, now) {
		return
	}
	o.opts.Logger.LogAttrs(ctx, slog.LevelError, "outbox: replies owed cannot be claimed from the data store: none is delivered until it answers",
		slog.String("error", err.Error()))
}

// deliver tries one reply, held by owner ("" for one not claimed), once
// and records how it went.
func (o *Runner) deliver(ctx context.Context, r Reply, owner string) {
	log := o.opts.Logger.With(slog.Int64("reply", r.ID), slog.String("platform", r.Platform), slog.String("kind", r.Kind))
	d, ok := o.deliverers[r.Platform]
	if !ok {
		o.fail(log, r, owner, ReasonPlatform, errors.New("no deliverer for platform "+r.Platform))
		return
	}
	// Within the lease, so that no other replica takes the reply over
	// while this attempt may still deliver it.
	actx, cancel := context.WithTimeout(ctx, min(attemptTimeout, o.opts.Lease/2))
	progress, err := d.Deliver(actx, r)
	cancel()
	now := o.opts.Now()
	if err == nil {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
		defer cancel()
		if err := o.store.Done(sctx, r.ID, owner); err != nil {
			log.LogAttrs(ctx, slog.LevelWarn, "outbox: reply delivered but not marked done: it may be delivered again", slog.String("error", err.Error()))
		}
		o.opts.Telemetry.ReplyDelivered(r.Platform, now.Sub(r.Created))
		return
	}
	if progress > r.Progress {
		// The messages before went: this is the first failure of the
		// next one, and its backoff starts again.
		r.Attempts = 0
	}
	r.Progress = max(r.Progress, progress)
	r.LastError = err.Error()
	if ctx.Err() != nil {
		// Shutting down: put it back as it was, due at once.
		r.Next = now
		o.retry(log, r, owner)
		return
	}
	r.Attempts++
	if IsPermanent(err) {
		o.fail(log, r, owner, ReasonRefused, err)
		return
	}
	wait := backoff(r.Attempts)
	if d, ok := waitOf(err); ok {
		wait = d
	}
	// The store keeps milliseconds: rounded up, so that a reply is never
	// tried before its time (a 429's Retry-After).
	r.Next = now.Add(wait + time.Millisecond - 1).Truncate(time.Millisecond)
	if !r.Deadline.IsZero() && r.Next.After(r.Deadline) {
		o.fail(log, r, owner, ReasonDeadline, err)
		return
	}
	o.opts.Telemetry.ReplyRetried(r.Platform)
	log.LogAttrs(ctx, slog.LevelWarn, "reply not delivered: will retry",
		slog.Int("attempt", r.Attempts), slog.Duration("wait", wait), slog.String("error", r.LastError))
	o.retry(log, r, owner)
	// A worker wakes when it is due rather than at its next poll.
	time.AfterFunc(wait, o.Wake)
}

// retry stores r's next attempt.
func (o *Runner) retry(log *slog.Logger, r Reply, owner string) {
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	if err := o.store.Retry(ctx, r, owner); err != nil {
		log.LogAttrs(ctx, slog.LevelError, "outbox: record a retry: the reply will be tried again when its lease runs out", slog.String("error", err.Error()))
	}
}

// fail gives up on r: it is logged with the reason, counted and deleted.
func (o *Runner) fail(log *slog.Logger, r Reply, owner, reason string, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	o.opts.Telemetry.ReplyFailed(r.Platform, reason)
	log.LogAttrs(ctx, slog.LevelError, "reply not delivered: giving up",
		slog.String("reason", reason), slog.Int("attempts", r.Attempts),
		slog.Duration("age", o.opts.Now().Sub(r.Created)), slog.String("error", err.Error()))
	if err := o.store.Done(ctx, r.ID, owner); err != nil {
		log.LogAttrs(ctx, slog.LevelWarn, "outbox: delete a failed reply", slog.String("error", err.Error()))
	}
}

// backoff is the wait after the given number of failed attempts:
// exponential, capped, with up to half of it again as jitter.
func backoff(attempts int) time.Duration {
	d := backoffBase
	for i := 1; i < attempts && d < backoffMax; i++ {
		d *= 2
	}
	d = min(d, backoffMax)
	return d + rand.N(d/2+1)
}
