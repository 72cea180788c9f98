// Package teams is mmdbot's Microsoft Teams adapter: it serves the Bot
// Framework's POST /api/messages for Azure Bot Service.
//
// A request flows like this:
//
//	POST /api/messages (Authorization: Bearer <channel token>, at most 1 MiB)
//	    │  token checked against the channel's cached OpenID keys
//	    ▼
//	activity ── message ──────────► bot.Handle ─► Adaptive Card ─► connector
//	    │       (mentions stripped by their entities; card buttons:
//	    │        "did you mean" choices, 👍/👎 feedback, table rows)
//	    │── conversationUpdate (bot added) ─► welcome card ─► connector
//	    └── invoke composeExtension/query ─► search results in the HTTP body
//
// Replies go to the conversation's serviceUrl only when its host is the Bot
// Framework's or Teams' (or listed in TEAMS_SERVICE_URL_ALLOW), with a
// client-credentials token kept until shortly before it expires.
//
// The activity schema is msbotbuilder-go's; its authentication and
// connector client are replaced by hardened ones (docs/dependencies.md
// says why). Every message, button, search and welcome goes through the
// bot (Bot), so that each is answered, counted and journalled as on every
// other platform. The files: endpoint.go admits requests (authenticated),
// auth.go and keys.go check the channel's tokens, credentials.go gets the
// bot's own, hosts.go says where replies may go, connector.go posts them
// and retry.go retries what may be retried.
package teams

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/infracloudio/msbotbuilder-go/schema"
	"github.com/mmdbot/mmdbot/bot"
)

// adapterName names this adapter to the bot, in metrics and in logs.
const adapterName = "teams"

// Limits of the adapter.
const (
	// MaxBody is the largest request body read.
	MaxBody = 1 << 20
	// maxInFlight bounds the activities handled at once.
	maxInFlight = 64
	// messageDeadline bounds handling one message, replies included; the
	// channel gives up on the request after 15 seconds.
	messageDeadline = 12 * time.Second
	// invokeDeadline bounds answering an invoke: Teams waits 5 seconds.
	invokeDeadline = 4 * time.Second
)

// Bot is what the adapter asks of mmdbot's bot; *bot.Bot implements it.
type Bot interface {
	bot.Handler
	Act(ctx context.Context, m bot.Message, a bot.Action) (bot.Reply, error)
	Search(ctx context.Context, m bot.Message, limit int) []bot.Reply
	Welcome(ctx context.Context, m bot.Message) bot.Reply
	Refused(adapter, reason string)
}

// Adapter serves the Bot Framework's messaging endpoint for Teams. It is safe
// for concurrent use.
type Adapter struct {
	cfg       Config
	bot       Bot
	log       *slog.Logger
	validator *validator
	conn      *connector
	sem       chan struct{}
}

// New returns an adapter answering with b. It does no I/O: the signing keys
// are fetched on the first request, the bot's token on the first reply.
func New(cfg Config, b Bot) (*Adapter, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if !cfg.Enabled() {
		return nil, errors.New("teams: the adapter is off: no credentials and no --teams-dev")
	}
	if b == nil {
		return nil, errors.New("teams: no bot")
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With(slog.String("adapter", adapterName))
	// No call follows redirects: a redirect would carry the bot's token or
	// its secret to an address nobody checked.
	client := &http.Client{Timeout: callTimeout, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	a := &Adapter{cfg: cfg, bot: b, log: log, sem: make(chan struct{}, maxInFlight)}
	var hosts []string
	for _, h := range cfg.ServiceURLAllow {
		hosts = append(hosts, strings.ToLower(strings.Trim(strings.TrimSpace(h), "[]")))
	}
	a.conn = &connector{client: client, hosts: hostPolicy{extra: hosts, dev: cfg.Dev}, now: time.Now}
	if cfg.AppID != "" && cfg.AppPassword != "" {
		a.validator = &validator{keys: newKeySet(cfg.metadataURL(), client, time.Now), appID: cfg.AppID, now: time.Now}
		if !cfg.Dev {
			a.conn.tokens = newTokenSource(cfg.tokenURL(), cfg.AppID, cfg.AppPassword, client, time.Now)
		}
	}
	return a, nil
}

// Name names the adapter in metrics, logs and /readyz: "teams".
func (a *Adapter) Name() string { return adapterName }

// Ready reports whether the adapter can take requests: in development
// always; otherwise unless fetching the channel's signing keys has failed
// with no keys at hand.
func (a *Adapter) Ready() error {
	if a.cfg.Dev || a.validator == nil {
		return nil
	}
	if k := a.validator.keys; !k.loaded() && k.failed.Load() {
		return errors.New("not connected: the channel's signing keys cannot be fetched")
	}
	return nil
}

// Routes mounts the Bot Framework's messaging endpoint.
func (a *Adapter) Routes(mux *http.ServeMux) {
	mux.Handle("POST /api/messages", a)
}

// dispatch handles one admitted activity: an invoke is answered in the HTTP
// body, a message or a conversation update by posting to the connector.
func (a *Adapter) dispatch(ctx context.Context, w http.ResponseWriter, r *http.Request, act *incoming) {
	switch act.Type {
	case schema.Invoke:
		ctx, cancel := context.WithTimeout(ctx, invokeDeadline)
		defer cancel()
		a.invoke(ctx, w, r, act)
		return
	case schema.Message, schema.ConversationUpdate:
	default:
		// typing, installationUpdate, messageReaction, …: nothing to do.
		w.WriteHeader(http.StatusOK)
		return
	}
	// The reply is delivered even if the channel hangs up first.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), messageDeadline)
	defer cancel()
	var err error
	if act.Type == schema.ConversationUpdate {
		err = a.conversationUpdate(ctx, act)
	} else {
		err = a.message(ctx, act)
	}
	if err != nil {
		a.deliveryFailed(ctx, err)
		w.WriteHeader(http.StatusBadGateway)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// deliveryFailed logs and counts a reply that could not be delivered:
// reason "service-url" (the serviceUrl is not allowed), "token-endpoint"
// (no bot token) or "connector".
func (a *Adapter) deliveryFailed(ctx context.Context, err error) {
	reason := "connector"
	var rh errRefusedHost
	var te errToken
	switch {
	case errors.As(err, &rh):
		reason = "service-url"
	case errors.As(err, &te):
		reason = "token-endpoint"
	}
	a.bot.Refused(adapterName, reason)
	a.log.LogAttrs(ctx, slog.LevelError, "reply not delivered", slog.String("reason", reason), slog.String("error", err.Error()))
}

// message answers a message: a question or command, or the press of one of
// the cards' buttons.
func (a *Adapter) message(ctx context.Context, act *incoming) error {
	if s, ok := act.submitted(); ok {
		return a.submit(ctx, act, s)
	}
	q, mentioned := act.question()
	via := bot.ViaDirect
	if !act.personal() {
		if !mentioned {
			// In a channel or group chat the bot answers when mentioned,
			// even if it is allowed to read everything.
			return nil
		}
		via = bot.ViaMention
	}
	if q == "" && len(act.Value) > 0 {
		return nil // a submission from a card that is not mmdbot's
	}
	r, err := a.bot.Handle(ctx, act.message(q, via))
	if err != nil && r.Kind != bot.KindError {
		return fmt.Errorf("handle message: %w", err)
	}
	return a.sendReply(ctx, act, r)
}

// sendReply renders a reply as cards and posts them, one message each; the
// thanks for a vote pressed on a card of an earlier version (an
// Action.Submit, which cannot change its card) is a line of text.
func (a *Adapter) sendReply(ctx context.Context, act *incoming, r bot.Reply) error {
	if r.Intent == bot.IntentVote {
		if r.Text == "" {
			return nil // an undo: nothing to say
		}
		o := act.reply()
		o.Text, o.TextFormat = r.Text, "plain"
		return a.conn.send(ctx, act.ServiceURL, act.Conversation.ID, act.ID, o)
	}
	summary := r.Summary()
	for _, c := range RenderCards(r) {
		if err := a.conn.send(ctx, act.ServiceURL, act.Conversation.ID, act.ID, act.cardMessage(c, summary)); err != nil {
			return err
		}
	}
	return nil
}

// submit hands the press of a card button to the bot. Data that is not
// one of mmdbot's actions is left unanswered.
func (a *Adapter) submit(ctx context.Context, act *incoming, s submission) error {
	r, err := a.bot.Act(ctx, act.message("", bot.ViaButton), s.action())
	switch {
	case errors.Is(err, bot.ErrBadInput):
		return nil
	case err != nil:
		return fmt.Errorf("handle button: %w", err)
	}
	return a.sendReply(ctx, act, r)
}

// conversationUpdate posts the bot's welcome when the bot is added.
func (a *Adapter) conversationUpdate(ctx context.Context, act *incoming) error {
	if !act.botAdded() {
		return nil
	}
	r := a.bot.Welcome(ctx, act.message("", bot.ViaDirect))
	o := act.cardMessage(WelcomeCard(r), r.Summary())
	o.ReplyToID = ""
	o.Recipient = schema.ChannelAccount{}
	return a.conn.send(ctx, act.ServiceURL, act.Conversation.ID, "", o)
}
