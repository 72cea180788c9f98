package teams

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// How outgoing calls behave.
const (
	// callTimeout bounds one HTTP call to the token endpoint or connector.
	callTimeout = 10 * time.Second
	// attempts is how many times a call is tried (429, 5xx, network errors).
	attempts = 3
	// backoffBase is the first wait between attempts; it doubles.
	backoffBase = 250 * time.Millisecond
	// maxRetryAfter is the longest Retry-After honoured.
	maxRetryAfter = 10 * time.Second
	// tokenEarly is how long before its expiry a token is replaced.
	tokenEarly = 5 * time.Minute
)

// statusError is an HTTP answer that is not a success.
type statusError struct {
	code       int
	retryAfter time.Duration
}

func (e *statusError) Error() string { return fmt.Sprintf("status %d", e.code) }

func retryable(err error) bool {
	var te errToken
	if errors.As(err, &te) {
		return false // the token source has retried already
	}
	var se *statusError
	if errors.As(err, &se) {
		return se.code == http.StatusTooManyRequests || se.code >= 500
	}
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.ErrUnexpectedEOF)
}

// parseRetryAfter reads a Retry-After header: seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// withRetry calls do up to attempts times while it fails with a retryable
// error, waiting with exponential backoff and jitter, or as long as the
// server's Retry-After says (up to maxRetryAfter). It gives up early when
// the wait would pass the context's deadline.
func withRetry(ctx context.Context, do func(ctx context.Context) error) error {
	var err error
	for i := range attempts {
		if err = do(ctx); err == nil || !retryable(err) || i == attempts-1 {
			return err
		}
		wait := backoffBase<<i + rand.N(backoffBase/2)
		var se *statusError
		if errors.As(err, &se) && se.retryAfter > 0 {
			if se.retryAfter > maxRetryAfter {
				return fmt.Errorf("%w (Retry-After %s is too long)", err, se.retryAfter)
			}
			wait = se.retryAfter
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return fmt.Errorf("%w (no time left to retry)", err)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return errors.Join(err, ctx.Err())
		case <-t.C:
		}
	}
	return err
}
