package teams

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
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

// tokenSource gets the bot's client-credentials tokens for the connector and
// keeps them until shortly before they expire. It is safe for concurrent
// use: one fetch at a time, and everyone waiting shares its result.
type tokenSource struct {
	url, clientID, secret string
	client                *http.Client
	now                   func() time.Time

	// lock is held while reading or fetching the token: a channel, so that
	// waiting for it ends with the caller's context.
	lock    chan struct{}
	token   string
	renewAt time.Time
}

func newTokenSource(tokenURL, clientID, secret string, client *http.Client, now func() time.Time) *tokenSource {
	return &tokenSource{url: tokenURL, clientID: clientID, secret: secret, client: client, now: now, lock: make(chan struct{}, 1)}
}

// Token returns a valid token, fetching one if needed.
func (t *tokenSource) Token(ctx context.Context) (string, error) {
	select {
	case t.lock <- struct{}{}:
		defer func() { <-t.lock }()
	case <-ctx.Done():
		return "", fmt.Errorf("get bot token: %w", ctx.Err())
	}
	if t.token != "" && t.now().Before(t.renewAt) {
		return t.token, nil
	}
	var tok string
	var life time.Duration
	err := withRetry(ctx, func(ctx context.Context) error {
		var err error
		tok, life, err = t.fetch(ctx)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("get bot token: %w", err)
	}
	early := min(tokenEarly, life/2)
	t.token, t.renewAt = tok, t.now().Add(life-early)
	return tok, nil
}

// forget drops the kept token, after the connector refused it.
func (t *tokenSource) forget() {
	t.lock <- struct{}{}
	t.token = ""
	<-t.lock
}

func (t *tokenSource) fetch(ctx context.Context) (string, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	form := url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {t.clientID},
		"client_secret": {t.secret},
		"scope":         {TokenScope},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url, strings.NewReader(form.Encode()))
	if err != nil {
		return "", 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := t.client.Do(req)
	if err != nil {
		return "", 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDocument))
	if err != nil {
		return "", 0, err
	}
	if resp.StatusCode != http.StatusOK {
		se := &statusError{code: resp.StatusCode, retryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), t.now())}
		// The error code of Microsoft Entra says what is wrong (a wrong
		// secret, an unknown tenant) and holds no secret.
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(body, &e) == nil && e.Error != "" {
			return "", 0, fmt.Errorf("%w: %s", se, e.Error)
		}
		return "", 0, se
	}
	var r struct {
		AccessToken string          `json:"access_token"`
		ExpiresIn   json.RawMessage `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return "", 0, fmt.Errorf("decode token response: %w", err)
	}
	if r.AccessToken == "" {
		return "", 0, errors.New("token response has no access_token")
	}
	secs, err := strconv.Atoi(strings.Trim(string(r.ExpiresIn), `"`))
	if err != nil || secs <= 0 {
		secs = 3600
	}
	return r.AccessToken, time.Duration(secs) * time.Second, nil
}

// hostPolicy says which serviceUrls may receive the bot's replies, and so
// its bearer token.
type hostPolicy struct {
	extra []string // lower-case; a leading "." allows subdomains
	dev   bool     // loopback hosts are allowed too
}

// defaultServiceHosts are the Bot Framework's and Teams' service hosts; a
// leading "." allows every subdomain.
var defaultServiceHosts = []string{
	".botframework.com",
	"smba.trafficmanager.net",
	"smba.infra.gcc.teams.microsoft.com",
	"smba.infra.gov.teams.microsoft.us",
	"smba.infra.dod.teams.microsoft.us",
}

// hostMatches reports whether host is one of patterns: a name, or ".name"
// or "*.name" for every subdomain of name.
func hostMatches(host string, patterns []string) bool {
	for _, p := range patterns {
		p = strings.TrimPrefix(p, "*")
		if host == p || strings.HasPrefix(p, ".") && strings.HasSuffix(host, p) {
			return true
		}
	}
	return false
}

// allow returns the parsed serviceUrl if replies may go there: https to a
// default host or a host of TEAMS_SERVICE_URL_ALLOW, or (in development)
// to loopback. Plain http is allowed to loopback hosts only, so that the
// bot's bearer token never crosses a network unencrypted.
func (p hostPolicy) allow(serviceURL string) (*url.URL, error) {
	u, err := url.Parse(serviceURL)
	if err != nil || u.Host == "" || u.User != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("serviceUrl %q is not an http(s) address", serviceURL)
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	switch {
	case u.Scheme == "https" && hostMatches(host, defaultServiceHosts):
	case hostMatches(host, p.extra):
	case p.dev && isLoopbackHost(host):
	default:
		return nil, fmt.Errorf("serviceUrl host %q is not allowed (see TEAMS_SERVICE_URL_ALLOW)", host)
	}
	if u.Scheme == "http" && !isLoopbackHost(host) {
		return nil, fmt.Errorf("serviceUrl %q is plain http: only loopback hosts may be reached without https", serviceURL)
	}
	return u, nil
}

// isLoopbackHost reports whether h is localhost, 127.0.0.0/8 or ::1.
func isLoopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// connector posts activities to the Bot Framework connector of a
// conversation, with the bot's token (none in development).
type connector struct {
	client *http.Client
	tokens *tokenSource // nil: no token (development)
	hosts  hostPolicy
	now    func() time.Time
}

// activityURL is where a reply goes: /v3/conversations/{id}/activities, and
// /{replyToId} when it answers one activity.
func activityURL(base *url.URL, conversationID, replyToID string) string {
	u := strings.TrimSuffix(base.String(), "/") + "/v3/conversations/" + url.PathEscape(conversationID) + "/activities"
	if replyToID != "" {
		u += "/" + url.PathEscape(replyToID)
	}
	return u
}

// send posts one activity. The serviceUrl is checked before anything, the
// token included, leaves.
func (c *connector) send(ctx context.Context, serviceURL, conversationID, replyToID string, act any) error {
	base, err := c.hosts.allow(serviceURL)
	if err != nil {
		return fmt.Errorf("send activity: %w", errRefusedHost{err})
	}
	if conversationID == "" {
		return errors.New("send activity: no conversation id")
	}
	body, err := json.Marshal(act)
	if err != nil {
		return fmt.Errorf("send activity: %w", err)
	}
	target := activityURL(base, conversationID, replyToID)
	retriedAuth := false
	err = withRetry(ctx, func(ctx context.Context) error {
		err := c.post(ctx, target, body)
		var se *statusError
		if errors.As(err, &se) && se.code == http.StatusUnauthorized && c.tokens != nil && !retriedAuth {
			// The connector refused the token: get a fresh one, once.
			retriedAuth = true
			c.tokens.forget()
			err = c.post(ctx, target, body)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("send activity: %w", err)
	}
	return nil
}

// errRefusedHost marks a serviceUrl the policy refuses.
type errRefusedHost struct{ err error }

func (e errRefusedHost) Error() string { return e.err.Error() }
func (e errRefusedHost) Unwrap() error { return e.err }

// errToken marks a failure to get the bot's token.
type errToken struct{ err error }

func (e errToken) Error() string { return e.err.Error() }
func (e errToken) Unwrap() error { return e.err }

func (c *connector) post(ctx context.Context, target string, body []byte) error {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	if c.tokens != nil {
		tok, err := c.tokens.Token(ctx)
		if err != nil {
			return errToken{err}
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, maxDocument))
	if resp.StatusCode/100 != 2 {
		return &statusError{code: resp.StatusCode, retryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), c.now())}
	}
	return nil
}
