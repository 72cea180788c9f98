// Package outbox delivers the replies mmdbot owes, so that nothing
// acknowledged is lost: an adapter writes each reply it owes to a durable
// Store before (or as) it acknowledges the request, and a Runner's workers
// deliver it, retrying what may be retried until the reply's deadline.
//
//	adapter ── Owe ──► Store (SQLite or PostgreSQL, shared by replicas)
//	                     │ Claim (a lease: a replica that dies has its
//	                     │ replies taken over once the lease runs out)
//	                     ▼
//	                  Runner ── Deliverer (per platform) ──► Slack, Teams
//	                     │ ok: Done · 5xx, 429, timeout, connection: Retry
//	                     │ with backoff and jitter · refused or too late:
//	                     ▼ Fail, logged with its reason and counted
//
// Shutdown stops taking work (the HTTP server closes first), drains what is
// due within the shutdown timeout and leaves the rest stored, for the next
// start or another replica.
package outbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Reply is one reply owed to a platform: where it goes (Target), what it
// says (Payload, one or more messages), and how its delivery goes. Target
// and Payload are the adapter's own encoding; the outbox stores them as
// they are.
type Reply struct {
	ID int64
	// Platform names the Deliverer: "slack", "teams".
	Platform string
	// Kind says what the Deliverer does with it: "post", "respond", ...
	Kind    string
	Target  []byte
	Payload []byte
	// Key, when set, makes Owe idempotent: a second reply with the same
	// key is not stored again.
	Key string
	// Progress is how many of the payload's messages were delivered.
	Progress int
	// Attempts is how many deliveries were tried.
	Attempts int
	Created  time.Time
	// Next is when the next attempt is due.
	Next time.Time
	// Deadline is when the reply is no longer worth delivering (a
	// response_url's 30 minutes); past it, it fails.
	Deadline time.Time
	// LastError is why the last attempt failed.
	LastError string
}

// NewReply is a reply owed to platform, its target and payload encoded as
// JSON, due at once and worth delivering for the given time.
func NewReply(platform, kind string, target, payload any, deadline time.Duration) (Reply, error) {
	t, err := json.Marshal(target)
	if err != nil {
		return Reply{}, fmt.Errorf("encode %s reply: %w", platform, err)
	}
	p, err := json.Marshal(payload)
	if err != nil {
		return Reply{}, fmt.Errorf("encode %s reply: %w", platform, err)
	}
	now := time.Now()
	return Reply{Platform: platform, Kind: kind, Target: t, Payload: p, Created: now, Next: now, Deadline: now.Add(deadline)}, nil
}

// Store keeps the owed replies. It is safe for concurrent use and shared by
// every replica.
type Store interface {
	// Owe stores a reply to deliver and returns its id; a reply whose Key
	// was stored before is not stored again (id 0).
	Owe(ctx context.Context, r Reply) (int64, error)
	// Claim leases up to n replies due at now to owner until now+lease,
	// and returns them. A reply leased by another owner is skipped until
	// its lease runs out.
	Claim(ctx context.Context, owner string, now time.Time, lease time.Duration, n int) ([]Reply, error)
	// Done deletes a delivered reply.
	Done(ctx context.Context, id int64, owner string) error
	// Retry records a failed attempt and when to try again, and releases
	// the lease.
	Retry(ctx context.Context, r Reply, owner string) error
	// Pending counts the replies not delivered yet.
	Pending(ctx context.Context) (int, error)
	// Due counts the replies whose next attempt is due by then.
	Due(ctx context.Context, by time.Time) (int, error)
}

// Deliverer delivers the replies of one platform.
type Deliverer interface {
	// Deliver sends r's messages from r.Progress on and returns how many of
	// them are delivered in all (r.Progress when none is). Its error is
	// retried unless it is Permanent; RetryAfter says how long to wait.
	Deliver(ctx context.Context, r Reply) (progress int, err error)
}

// DelivererFunc is a function as a Deliverer.
type DelivererFunc func(ctx context.Context, r Reply) (int, error)

// Deliver calls f.
func (f DelivererFunc) Deliver(ctx context.Context, r Reply) (int, error) { return f(ctx, r) }

// permanent marks an error no retry can cure.
type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }
func (p permanent) Unwrap() error { return p.err }

// Permanent marks err as one that retrying does not cure (a channel that
// does not exist, a reply refused as malformed): the reply fails at once.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanent{err}
}

// IsPermanent reports whether err was marked Permanent.
func IsPermanent(err error) bool {
	var p permanent
	return errors.As(err, &p)
}

// retryAfter carries how long the platform asked to wait.
type retryAfter struct {
	err error
	d   time.Duration
}

func (r retryAfter) Error() string {
	return fmt.Sprintf("%v (retry after %s)", r.err, r.d)
}
func (r retryAfter) Unwrap() error { return r.err }

// RetryAfter marks err as retryable after d (a 429's Retry-After).
func RetryAfter(err error, d time.Duration) error {
	if err == nil {
		return nil
	}
	return retryAfter{err, d}
}

// waitOf returns the wait err asks for, if any.
func waitOf(err error) (time.Duration, bool) {
	var r retryAfter
	if errors.As(err, &r) && r.d > 0 {
		return r.d, true
	}
	return 0, false
}
