package teams

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/infracloudio/msbotbuilder-go/schema"

	"github.com/mmdbot/mmdbot/bot"
	"github.com/mmdbot/mmdbot/outbox"
)

// Replies go through the outbox: each is stored, then tried at once in the
// request (Send); one that does not go is retried by the outbox's workers
// until its deadline, with this adapter as their Deliverer.

// replyDeadline is how long a Teams reply is worth delivering: a
// conversation takes replies for hours.
const replyDeadline = 6 * time.Hour

// kindActivities is the kind of the adapter's replies in the outbox.
const kindActivities = "activities"

// Outbox takes the replies the adapter owes; *outbox.Runner implements it.
type Outbox interface {
	// Send stores a reply and tries it at once; its error says only that
	// it could not be stored.
	Send(ctx context.Context, r outbox.Reply) error
}

// Seen remembers the activity ids handled lately; *store.Store implements
// it.
type Seen interface {
	// First records id and reports whether it is new.
	First(ctx context.Context, id string) (bool, error)
	// Forget drops id, when its work could not be taken.
	Forget(ctx context.Context, id string) error
}

// target is where a Teams reply goes.
type target struct {
	ServiceURL   string `json:"service_url"`
	Conversation string `json:"conversation"`
	ReplyTo      string `json:"reply_to,omitempty"`
}

// owe stores activities to post to a conversation, in order, and tries
// them at once.
func (a *Adapter) owe(ctx context.Context, to target, acts []outgoing) error {
	if len(acts) == 0 {
		return nil
	}
	if _, err := a.conn.hosts.allow(to.ServiceURL); err != nil {
		return fmt.Errorf("teams reply: %w", errRefusedHost{err})
	}
	r, err := outbox.NewReply(adapterName, kindActivities, to, acts, replyDeadline)
	if err != nil {
		return err
	}
	return a.outbox.Send(ctx, r)
}

// Announce owes a proactive message to a conversation, one that answers
// no activity: the weekly digest to the admins' channel. It is posted to
// {serviceURL}/v3/conversations/{conversation}/activities through the
// outbox, tried at once and retried until it goes or its deadline passes.
// The serviceURL must be one replies may go to (the Bot Framework's and
// Teams' hosts, or TEAMS_SERVICE_URL_ALLOW): any other is refused before
// the bot's token leaves. The error says only that it could not be owed.
func (a *Adapter) Announce(ctx context.Context, serviceURL, conversation string, r bot.Reply) error {
	if conversation == "" {
		return errors.New("teams announcement: no conversation")
	}
	summary := r.Summary()
	var msgs []outgoing
	for _, c := range RenderCards(r) {
		msgs = append(msgs, outgoing{
			Type:         string(schema.Message),
			Conversation: schema.ConversationAccount{ID: conversation},
			Summary:      summary,
			Attachments:  []schema.Attachment{{ContentType: CardContentType, Content: c}},
		})
	}
	return a.owe(ctx, target{ServiceURL: serviceURL, Conversation: conversation}, msgs)
}

// Deliver posts one stored reply's activities from its Progress on.
func (a *Adapter) Deliver(ctx context.Context, r outbox.Reply) (int, error) {
	var to target
	var acts []json.RawMessage
	if err := json.Unmarshal(r.Target, &to); err != nil {
		return r.Progress, outbox.Permanent(fmt.Errorf("teams reply target: %w", err))
	}
	if err := json.Unmarshal(r.Payload, &acts); err != nil {
		return r.Progress, outbox.Permanent(fmt.Errorf("teams reply: %w", err))
	}
	for i := r.Progress; i < len(acts); i++ {
		if err := a.conn.send(ctx, to.ServiceURL, to.Conversation, to.ReplyTo, acts[i]); err != nil {
			err = classify(err)
			if outbox.IsPermanent(err) {
				a.deliveryFailed(ctx, err)
			}
			return i, err
		}
	}
	return len(acts), nil
}

// classify says how the outbox treats a failed post: a disallowed
// serviceUrl and the connector's refusals (4xx but 429) are final; 429
// waits for Retry-After; 5xx, timeouts, connection errors and a token
// endpoint that fails are retried.
func classify(err error) error {
	var rh errRefusedHost
	var se *statusError
	var ne net.Error
	switch {
	case errors.As(err, &rh):
		return outbox.Permanent(err)
	case errors.As(err, &se):
		switch {
		case se.code == http.StatusTooManyRequests:
			return outbox.RetryAfter(err, max(se.retryAfter, time.Second))
		case se.code >= 500 || se.code == http.StatusRequestTimeout:
			return err
		}
		return outbox.Permanent(err)
	case errors.As(err, &ne), errors.Is(err, context.DeadlineExceeded):
		return err
	}
	return err
}
