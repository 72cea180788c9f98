package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/mmdbot/mmdbot/internal/jsonout"
)

// Events returns the handler of POST /slack/events: the Events API,
// url_verification included.
func (a *Adapter) Events() http.Handler {
	return a.verified(func(w http.ResponseWriter, r *http.Request, body []byte) {
		ev, err := parseEvent(body)
		if err != nil {
			a.refuse(w, r, "bad-request", http.StatusBadRequest)
			return
		}
		if ev.Type == slackevents.URLVerification {
			v, ok := ev.Data.(*slackevents.EventsAPIURLVerificationEvent)
			if !ok {
				a.refuse(w, r, "bad-request", http.StatusBadRequest)
				return
			}
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			_, _ = io.WriteString(w, v.Challenge)
			return
		}
		retry, _ := strconv.Atoi(r.Header.Get("X-Slack-Retry-Num"))
		if !a.onEvent(r.Context(), ev, retry) {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}

// Commands returns the handler of POST /slack/commands: slash commands. The
// answer goes in the response when ready within Slack's deadline and small
// enough, otherwise to the command's response_url.
func (a *Adapter) Commands() http.Handler {
	return a.verified(func(w http.ResponseWriter, r *http.Request, body []byte) {
		cmd, err := parseCommand(body)
		if err != nil {
			a.refuse(w, r, "bad-request", http.StatusBadRequest)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), ackBudget)
		defer cancel()
		now, later := a.commandAnswer(ctx, cmd, maxInline)
		if len(later) > 0 && a.respondOrLog(context.WithoutCancel(ctx), cmd.ResponseURL, later) != nil {
			now = &response{ResponseType: slack.ResponseTypeEphemeral, Text: "I'm busy: please ask again in a moment."}
		}
		if now == nil {
			w.WriteHeader(http.StatusOK)
			return
		}
		jsonout.Respond(w, http.StatusOK, now, false)
	})
}

// maxInline bounds the JSON of an answer given in the response itself (and
// in a Socket Mode ack, which Slack drops from 20 KB).
const maxInline = 16 << 10

// commandAnswer answers a slash command: the response to give at once (nil
// for none), and the responses to post to response_url after, in order.
func (a *Adapter) commandAnswer(ctx context.Context, cmd slack.SlashCommand, inline int) (*response, []response) {
	rs := responses(a.commandReply(ctx, cmd), slack.ResponseTypeEphemeral)
	if len(rs) == 1 {
		if b, err := jsonout.Marshal(rs[0], false); err == nil && len(b) <= inline {
			return &rs[0], nil
		}
	}
	return nil, rs
}

// Interactions returns the handler of POST /slack/interactions: buttons.
func (a *Adapter) Interactions() http.Handler {
	return a.verified(func(w http.ResponseWriter, r *http.Request, body []byte) {
		cb, err := parseInteraction(body)
		if err != nil {
			a.refuse(w, r, "bad-request", http.StatusBadRequest)
			return
		}
		if !a.onInteraction(r.Context(), cb) {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}

// verified reads a request's body (at most maxBody bytes) and checks
// Slack's signature on it before next sees anything: HMAC-SHA256 of
// "v0:timestamp:body" with the signing secret, compared in constant time,
// the timestamp within five minutes. Anything else gets 401 and is counted.
func (a *Adapter) verified(next func(w http.ResponseWriter, r *http.Request, body []byte)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			a.refuse(w, r, "method", http.StatusMethodNotAllowed)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				a.refuse(w, r, "too-large", http.StatusRequestEntityTooLarge)
				return
			}
			a.refuse(w, r, "bad-request", http.StatusBadRequest)
			return
		}
		if reason := verify(r.Header, body, a.cfg.SigningSecret); reason != "" {
			a.refuse(w, r, reason, http.StatusUnauthorized)
			return
		}
		next(w, r, body)
	})
}

// verify checks a request's signature and returns "" when it is Slack's, or
// why not: "unsigned", "stale" or "signature".
func verify(h http.Header, body []byte, secret string) string {
	if secret == "" {
		return "signature"
	}
	sv, err := slack.NewSecretsVerifier(h, secret)
	switch {
	case errors.Is(err, slack.ErrMissingHeaders):
		return "unsigned"
	case errors.Is(err, slack.ErrExpiredTimestamp):
		return "stale"
	case err != nil:
		return "signature"
	}
	if _, err := sv.Write(body); err != nil {
		return "signature"
	}
	if sv.Ensure() != nil {
		return "signature"
	}
	return ""
}

// refuse answers a request that is not served, counts it, and logs why
// (never the request itself).
func (a *Adapter) refuse(w http.ResponseWriter, r *http.Request, reason string, status int) {
	a.bot.Refused(adapterName, reason)
	a.log.LogAttrs(r.Context(), slog.LevelWarn, "slack request refused",
		slog.String("reason", reason), slog.String("path", r.URL.Path), slog.Int("status", status))
	http.Error(w, http.StatusText(status), status)
}

// parseEvent parses an Events API body. Inner events mmdbot does not know
// come back as an event it ignores, not as an error.
func parseEvent(body []byte) (slackevents.EventsAPIEvent, error) {
	var outer struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(body, &outer); err != nil {
		return slackevents.EventsAPIEvent{}, fmt.Errorf("parse slack event: %w", err)
	}
	if outer.Type == "" {
		return slackevents.EventsAPIEvent{}, errors.New("parse slack event: no type")
	}
	ev, err := slackevents.ParseEvent(body, slackevents.OptionNoVerifyToken())
	if err != nil {
		// Well-formed but not for mmdbot (an inner event type it does not
		// subscribe to): nothing to do.
		return slackevents.EventsAPIEvent{Type: outer.Type}, nil
	}
	return ev, nil
}

// parseCommand parses a slash command's form body.
func parseCommand(body []byte) (slack.SlashCommand, error) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return slack.SlashCommand{}, fmt.Errorf("parse slash command: %w", err)
	}
	cmd := slack.SlashCommand{
		TeamID:      form.Get("team_id"),
		ChannelID:   form.Get("channel_id"),
		UserID:      form.Get("user_id"),
		Command:     form.Get("command"),
		Text:        form.Get("text"),
		ResponseURL: form.Get("response_url"),
		TriggerID:   form.Get("trigger_id"),
		APIAppID:    form.Get("api_app_id"),
	}
	if cmd.Command == "" {
		return slack.SlashCommand{}, errors.New("parse slash command: no command")
	}
	return cmd, nil
}

// parseInteraction parses an interaction's form body: JSON in "payload".
func parseInteraction(body []byte) (slack.InteractionCallback, error) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return slack.InteractionCallback{}, fmt.Errorf("parse slack interaction: %w", err)
	}
	p := form.Get("payload")
	if p == "" {
		return slack.InteractionCallback{}, errors.New("parse slack interaction: no payload")
	}
	var cb slack.InteractionCallback
	if err := json.Unmarshal([]byte(p), &cb); err != nil {
		return slack.InteractionCallback{}, fmt.Errorf("parse slack interaction: %w", err)
	}
	return cb, nil
}

// postJSON POSTs a JSON body to a response_url. A 429 comes back as a
// *slack.RateLimitedError carrying Retry-After.
func (a *Adapter) postJSON(ctx context.Context, u string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("post to response_url: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.httpc.Do(req)
	if err != nil {
		return fmt.Errorf("post to response_url: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		secs, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		return &slack.RateLimitedError{RetryAfter: time.Duration(secs) * time.Second}
	case resp.StatusCode/100 != 2:
		return fmt.Errorf("post to response_url: %w", slack.StatusCodeError{Code: resp.StatusCode, Status: resp.Status})
	}
	return nil
}
