package teams

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// ServeHTTP handles POST /api/messages: an authenticated activity is
// dispatched, anything else refused.
func (a *Adapter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.authenticated(a.dispatch).ServeHTTP(w, r)
}

// refusal is why a request is not served: the status to answer, a short
// reason for metrics and logs, and the error behind it.
type refusal struct {
	code   int
	reason string
	err    error
}

// authenticated admits a request to next only once it has passed, in turn:
// the method (POST), a bearer token whose signature and claims hold (or,
// in development, a request from this machine), the limit on activities in
// flight, the body (read whole within bodyTimeout, at most MaxBody), and an
// activity that parses and matches what the token says. No body is read
// and no slot taken before the token is verified, so that clients without
// credentials, slow or not, never delay one that has them. Anything else
// is refused, counted and logged, never its token or body.
func (a *Adapter) authenticated(next func(ctx context.Context, w http.ResponseWriter, r *http.Request, act *incoming)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			a.refuse(ctx, w, r, refusal{http.StatusMethodNotAllowed, "method", nil})
			return
		}
		tok, no := a.credential(r)
		if no != nil {
			a.refuse(ctx, w, r, *no)
			return
		}
		var id *identity
		if !a.cfg.Dev {
			var err error
			if id, err = a.validator.verify(ctx, tok); err != nil {
				a.refuse(ctx, w, r, refusal{http.StatusForbidden, "token", err})
				return
			}
		}
		select {
		case a.sem <- struct{}{}:
			defer func() { <-a.sem }()
		default:
			a.refuse(ctx, w, r, refusal{http.StatusServiceUnavailable, "busy", nil})
			return
		}
		act, no := a.admit(ctx, w, r, id)
		if no != nil {
			a.refuse(ctx, w, r, *no)
			return
		}
		next(ctx, w, r, act)
	})
}

// credential returns the request's bearer token; in development, where
// there is none, it checks that the request comes from this machine.
func (a *Adapter) credential(r *http.Request) (string, *refusal) {
	if a.cfg.Dev {
		if err := loopbackOnly(r); err != nil {
			return "", &refusal{http.StatusForbidden, "not-loopback", err}
		}
		return "", nil
	}
	tok, err := bearer(r.Header.Get("Authorization"))
	if err != nil {
		reason := "no-token"
		if errors.Is(err, errMalformed) {
			reason = "malformed-token"
		}
		return "", &refusal{http.StatusUnauthorized, reason, err}
	}
	return tok, nil
}

// admit reads the body, within bodyTimeout, and parses the activity,
// checking that the verified token (id; nil in development) speaks for it.
func (a *Adapter) admit(_ context.Context, w http.ResponseWriter, r *http.Request, id *identity) (*incoming, *refusal) {
	// A deadline on the connection's reads; where the server cannot set
	// one (a test's recorder), the body is read without.
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(bodyTimeout))
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		var mb *http.MaxBytesError
		var ne net.Error
		switch {
		case errors.As(err, &mb):
			return nil, &refusal{http.StatusRequestEntityTooLarge, "too-large", err}
		case errors.As(err, &ne) && ne.Timeout():
			return nil, &refusal{http.StatusRequestTimeout, "slow-body", err}
		}
		return nil, &refusal{http.StatusBadRequest, "body", err}
	}
	act, err := parseActivity(body)
	if err != nil {
		return nil, &refusal{http.StatusBadRequest, "activity", err}
	}
	if id != nil {
		if err := id.check(act.ChannelID, act.ServiceURL); err != nil {
			return nil, &refusal{http.StatusForbidden, "token", err}
		}
	}
	return act, nil
}

// refuse answers a request the adapter will not handle, counts it and logs
// why. The token and the body are never logged.
func (a *Adapter) refuse(ctx context.Context, w http.ResponseWriter, r *http.Request, no refusal) {
	a.bot.Refused(adapterName, no.reason)
	attrs := []slog.Attr{slog.String("reason", no.reason), slog.Int("status", no.code), slog.String("remote", r.RemoteAddr)}
	if no.err != nil {
		attrs = append(attrs, slog.String("error", no.err.Error()))
	}
	a.log.LogAttrs(ctx, slog.LevelWarn, "refused request", attrs...)
	// The connection closes with the answer: net/http would otherwise read
	// what is left of the body first, at the client's pace.
	w.Header().Set("Connection", "close")
	switch no.code {
	case http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", "1")
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", "Bearer")
	}
	http.Error(w, http.StatusText(no.code), no.code)
}

// loopbackOnly admits development requests from this machine only, and not
// through a proxy.
func loopbackOnly(r *http.Request) error {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("development mode: request from %s, not loopback", host)
	}
	if r.Header.Get("X-Forwarded-For") != "" || r.Header.Get("Forwarded") != "" {
		return errors.New("development mode: request came through a proxy")
	}
	return nil
}
