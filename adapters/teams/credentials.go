package teams

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

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
