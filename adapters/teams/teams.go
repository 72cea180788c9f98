// Package teams is mmdbot's Microsoft Teams adapter: it serves the Bot
// Framework's POST /api/messages for Azure Bot Service.
//
// A request flows like this:
//
//	POST /api/messages (Authorization: Bearer <channel token>)
//	    │  token checked against the channel's cached OpenID keys before
//	    │  the body is read (at most 1 MiB, within 5 s) or a slot taken;
//	    │  activity ids seen in the last hour are answered once
//	    ▼
//	activity ── message ──────────► bot.Handle ─► Adaptive Card ─► outbox ─► connector
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
// other platform. Replies are stored in the outbox and tried at once; one
// that does not go is retried until its deadline (deliver.go). The files:
// endpoint.go admits requests (authenticated),
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
	"time"

	"github.com/infracloudio/msbotbuilder-go/schema"

	"github.com/mmdbot/mmdbot/bot"
	"github.com/mmdbot/mmdbot/outbox"
	"github.com/mmdbot/mmdbot/store"
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
	// bodyTimeout bounds reading an authenticated request's body.
	bodyTimeout = 5 * time.Second
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
	outbox    Outbox
	seen      Seen
	// own is the outbox the adapter runs itself, when not given one.
	own      *outbox.Runner
	ownStore *store.Store
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
	a := &Adapter{cfg: cfg, bot: b, log: log, sem: make(chan struct{}, maxInFlight), outbox: cfg.Outbox, seen: cfg.Seen}
	if a.outbox == nil || a.seen == nil {
		if a.outbox != nil || a.seen != nil {
			return nil, errors.New("teams: an outbox without ids seen, or the other way round")
		}
		st, err := store.Open(context.Background(), store.Memory, 0)
		if err != nil {
			return nil, fmt.Errorf("teams: %w", err)
		}
		a.own = outbox.NewRunner(st, map[string]outbox.Deliverer{adapterName: a}, outbox.Options{Owner: "teams", Logger: log})
		a.outbox, a.seen, a.ownStore = a.own, st, st
	}
	a.conn = &connector{client: client, hosts: cfg.hostPolicy(), now: time.Now}
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

// Run delivers the replies of the adapter's own outbox, when it was given
// none, until ctx is done, then what is due within a few seconds.
func (a *Adapter) Run(ctx context.Context) error {
	if a.own == nil {
		<-ctx.Done()
		return nil
	}
	work, stop := context.WithCancel(context.WithoutCancel(ctx))
	defer stop()
	done := make(chan struct{})
	go func() { a.own.Run(work); close(done) }()
	<-ctx.Done()
	a.own.Drain(time.Now().Add(ownDrain))
	t := time.AfterFunc(ownDrain, stop)
	defer t.Stop()
	<-done
	return nil
}

// ownDrain bounds the delivery of what the adapter's own outbox holds at
// shutdown.
const ownDrain = 10 * time.Second

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
	// The reply is owed even if the channel hangs up first.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), messageDeadline)
	defer cancel()
	key := ""
	if act.ID != "" {
		key = "teams:" + act.Conversation.ID + "/" + act.ID
		first, err := a.seen.First(ctx, key)
		if err != nil {
			a.log.LogAttrs(ctx, slog.LevelError, "teams activity not taken: the data store failed", slog.String("error", err.Error()))
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		if !first {
			a.log.LogAttrs(ctx, slog.LevelDebug, "duplicate activity ignored", slog.String("activity", clipID(act.ID)))
			w.WriteHeader(http.StatusOK)
			return
		}
	}
	var err error
	if act.Type == schema.ConversationUpdate {
		err = a.conversationUpdate(ctx, act)
	} else {
		err = a.message(ctx, act)
	}
	if err != nil {
		var rh errRefusedHost
		if errors.As(err, &rh) {
			// Nothing could deliver it: say so now.
			a.deliveryFailed(ctx, err)
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		a.log.LogAttrs(ctx, slog.LevelError, "teams reply not stored", slog.String("error", err.Error()))
		if key != "" {
			if err := a.seen.Forget(ctx, key); err != nil {
				a.log.LogAttrs(ctx, slog.LevelError, "forget teams activity id", slog.String("error", err.Error()))
			}
		}
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// clipID shortens an id from outside for a log line.
func clipID(id string) string {
	if len(id) > 64 {
		return id[:64]
	}
	return id
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

// sendReply renders a reply as cards, one message each, and owes them; the
// thanks for a vote pressed on a card of an earlier version (an
// Action.Submit, which cannot change its card) is a line of text.
func (a *Adapter) sendReply(ctx context.Context, act *incoming, r bot.Reply) error {
	to := target{ServiceURL: act.ServiceURL, Conversation: act.Conversation.ID, ReplyTo: act.ID}
	if r.Intent == bot.IntentVote {
		if r.Text == "" {
			return nil // an undo: nothing to say
		}
		o := act.reply()
		o.Text, o.TextFormat = r.Text, "plain"
		return a.owe(ctx, to, []outgoing{o})
	}
	summary := r.Summary()
	var msgs []outgoing
	for _, c := range RenderCards(r) {
		msgs = append(msgs, act.cardMessage(c, summary))
	}
	return a.owe(ctx, to, msgs)
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
	return a.owe(ctx, target{ServiceURL: act.ServiceURL, Conversation: act.Conversation.ID}, []outgoing{o})
}
