package teams

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

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

// send posts one activity (a value, or its JSON as json.RawMessage). The serviceUrl is checked before anything, the
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
	// One attempt: the outbox retries what may be retried.
	err = c.post(ctx, target, body)
	var se *statusError
	if errors.As(err, &se) && se.code == http.StatusUnauthorized && c.tokens != nil {
		// The connector refused the token: get a fresh one, once.
		c.tokens.forget()
		err = c.post(ctx, target, body)
	}
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
