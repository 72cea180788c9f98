package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/slack-go/slack"

	"github.com/mmdbot/mmdbot/bot"
	"github.com/mmdbot/mmdbot/outbox"
)

// Every reply is owed before Slack is told that its request arrived: it is
// written to the outbox, and delivered from there by the outbox's workers
// with this adapter as their Deliverer, retried until its deadline.

// The kinds of Slack replies in the outbox.
const (
	kindPost      = "post"      // chat.postMessage, in order
	kindEphemeral = "ephemeral" // chat.postEphemeral
	kindHome      = "home"      // views.publish
	kindRespond   = "respond"   // POSTs to a response_url, in order
)

// Deadlines of the replies: a response_url takes five answers within 30
// minutes; a message in a conversation is worth posting for hours.
const (
	respondDeadline = 30 * time.Minute
	respondUses     = 5
	postDeadline    = 6 * time.Hour
)

// target is where a Slack reply goes.
type target struct {
	Channel string `json:"channel,omitempty"`
	Thread  string `json:"thread,omitempty"`
	User    string `json:"user,omitempty"`
	URL     string `json:"url,omitempty"`
}

// wireMessage is a message as stored: Block Kit as JSON.
type wireMessage struct {
	Text   string          `json:"text"`
	Blocks json.RawMessage `json:"blocks,omitempty"`
}

// owe writes a reply to the outbox.
func (a *Adapter) owe(ctx context.Context, kind string, to target, payload any, deadline time.Duration) error {
	r, err := outbox.NewReply(adapterName, kind, to, payload, deadline)
	if err != nil {
		return err
	}
	if a.closed.Load() {
		return errClosed
	}
	return a.outbox.Owe(ctx, r)
}

// errClosed is what owing a reply says once Run has returned and nothing
// would deliver it.
var errClosed = errors.New("the slack adapter is shut down")

// owePost owes messages to a conversation, in the thread when set.
func (a *Adapter) owePost(ctx context.Context, channel, thread string, msgs []message) error {
	wire := make([]wireMessage, 0, len(msgs))
	for _, m := range msgs {
		b, err := json.Marshal(m.Blocks)
		if err != nil {
			return fmt.Errorf("encode slack message: %w", err)
		}
		wire = append(wire, wireMessage{Text: m.Text, Blocks: b})
	}
	return a.owe(ctx, kindPost, target{Channel: channel, Thread: thread}, wire, postDeadline)
}

// Announce owes a message nobody asked for to a channel, as its own
// message rather than in a thread: the weekly digest to the admins'
// channel. Like every reply it goes through the outbox, which posts it
// with chat.postMessage and retries until it goes or its deadline passes;
// its error says only that it could not be owed.
func (a *Adapter) Announce(ctx context.Context, channel string, r bot.Reply) error {
	if channel == "" {
		return errors.New("slack announcement: no channel")
	}
	return a.owePost(ctx, channel, "", render(r, renderOptions{}))
}

// oweResponses owes responses to a response_url: at most five, the uses
// Slack allows.
func (a *Adapter) oweResponses(ctx context.Context, responseURL string, rs []response) error {
	if !a.slackHook(responseURL) {
		return errResponseURL
	}
	if len(rs) > respondUses {
		a.log.LogAttrs(ctx, slog.LevelWarn, "slack reply cut: a response_url takes five messages", slog.Int("messages", len(rs)))
		rs = rs[:respondUses]
	}
	return a.owe(ctx, kindRespond, target{URL: responseURL}, rs, respondDeadline)
}

// Deliver delivers one Slack reply from the outbox, from its Progress on.
func (a *Adapter) Deliver(ctx context.Context, r outbox.Reply) (int, error) {
	var to target
	if err := json.Unmarshal(r.Target, &to); err != nil {
		return r.Progress, outbox.Permanent(fmt.Errorf("slack reply target: %w", err))
	}
	switch r.Kind {
	case kindPost, kindEphemeral:
		var msgs []wireMessage
		if err := json.Unmarshal(r.Payload, &msgs); err != nil {
			return r.Progress, outbox.Permanent(fmt.Errorf("slack reply: %w", err))
		}
		for i := r.Progress; i < len(msgs); i++ {
			if err := a.postWire(ctx, r.Kind, to, msgs[i]); err != nil {
				return i, classify(err)
			}
		}
		return len(msgs), nil
	case kindHome:
		var view slack.HomeTabViewRequest
		if err := json.Unmarshal(r.Payload, &view); err != nil {
			return r.Progress, outbox.Permanent(fmt.Errorf("slack home view: %w", err))
		}
		if _, err := a.api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: to.User, View: view}); err != nil {
			return 0, classify(err)
		}
		return 1, nil
	case kindRespond:
		var rs []json.RawMessage
		if err := json.Unmarshal(r.Payload, &rs); err != nil {
			return r.Progress, outbox.Permanent(fmt.Errorf("slack response: %w", err))
		}
		if !a.slackHook(to.URL) {
			return r.Progress, outbox.Permanent(errResponseURL)
		}
		for i := r.Progress; i < len(rs); i++ {
			if err := a.postJSON(ctx, to.URL, rs[i]); err != nil {
				return i, classify(err)
			}
		}
		return len(rs), nil
	}
	return r.Progress, outbox.Permanent(fmt.Errorf("slack reply of unknown kind %q", r.Kind))
}

// postWire posts one stored message with chat.postMessage or
// chat.postEphemeral.
func (a *Adapter) postWire(ctx context.Context, kind string, to target, m wireMessage) error {
	opts := []slack.MsgOption{slack.MsgOptionText(m.Text, false)}
	if len(m.Blocks) > 0 && string(m.Blocks) != "null" {
		var blocks slack.Blocks
		if err := json.Unmarshal(m.Blocks, &blocks); err != nil {
			return outbox.Permanent(fmt.Errorf("slack blocks: %w", err))
		}
		opts = append(opts, slack.MsgOptionBlocks(blocks.BlockSet...))
	}
	if to.Thread != "" {
		opts = append(opts, slack.MsgOptionTS(to.Thread))
	}
	if kind == kindEphemeral {
		_, err := a.api.PostEphemeralContext(ctx, to.Channel, to.User, opts...)
		return err
	}
	opts = append(opts, slack.MsgOptionDisableLinkUnfurl(), slack.MsgOptionDisableMediaUnfurl())
	_, _, err := a.api.PostMessageContext(ctx, to.Channel, opts...)
	return err
}

// retryableSlackErrors are the Web API's error codes that a later attempt
// may not get.
var retryableSlackErrors = map[string]bool{
	"ratelimited": true, "internal_error": true, "fatal_error": true,
	"service_unavailable": true, "request_timeout": true,
}

// classify says how the outbox treats a failed call to Slack: a 429 waits
// for its Retry-After, 5xx, timeouts and connection errors are retried,
// anything Slack refused (a channel not found, a response_url used up) is
// final.
func classify(err error) error {
	var rl *slack.RateLimitedError
	var sc slack.StatusCodeError
	var se slack.SlackErrorResponse
	var ne net.Error
	switch {
	case errors.As(err, &rl):
		return outbox.RetryAfter(err, max(rl.RetryAfter, time.Second))
	case errors.As(err, &sc):
		if sc.Code == http.StatusTooManyRequests || sc.Code >= 500 || sc.Code == http.StatusRequestTimeout {
			return err
		}
		return outbox.Permanent(err)
	case errors.As(err, &se):
		if retryableSlackErrors[se.Err] {
			return err
		}
		return outbox.Permanent(err)
	case errors.As(err, &ne), errors.Is(err, context.DeadlineExceeded):
		return err
	case errors.Is(err, errResponseURL):
		return outbox.Permanent(err)
	}
	return err
}
