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
// connector client are replaced by hardened ones (see DESIGN.md).
package teams

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/infracloudio/msbotbuilder-go/schema"
	"github.com/mmdbot/mmdbot/bot"
)

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

// Adapter serves the Bot Framework's messaging endpoint for Teams. It is safe
// for concurrent use.
type Adapter struct {
	cfg       Config
	bot       *bot.Bot
	log       *slog.Logger
	validator *validator
	conn      *connector
	sem       chan struct{}
}

// New returns an adapter answering with b. It does no I/O: the signing keys
// are fetched on the first request, the bot's token on the first reply.
func New(cfg Config, b *bot.Bot) (*Adapter, error) {
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
	log = log.With(slog.String("adapter", "teams"))
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

// Ready reports whether the adapter can take requests: in development
// always; otherwise unless fetching the channel's signing keys has failed
// with no keys at hand.
func (a *Adapter) Ready() bool {
	if a.cfg.Dev || a.validator == nil {
		return true
	}
	k := a.validator.keys
	return k.loaded() || !k.failed.Load()
}

// refuse answers a request the adapter will not handle, counts it and logs
// why. The token and the body are never logged.
func (a *Adapter) refuse(ctx context.Context, w http.ResponseWriter, r *http.Request, code int, reason string, err error) {
	a.bot.Telemetry().Refused("teams", reason)
	attrs := []slog.Attr{slog.String("reason", reason), slog.Int("status", code), slog.String("remote", r.RemoteAddr)}
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	a.log.LogAttrs(ctx, slog.LevelWarn, "refused request", attrs...)
	switch code {
	case http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", "1")
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", "Bearer")
	}
	http.Error(w, http.StatusText(code), code)
}

// ServeHTTP handles POST /api/messages.
func (a *Adapter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		a.refuse(ctx, w, r, http.StatusMethodNotAllowed, "method", nil)
		return
	}
	var tok string
	if a.cfg.Dev {
		if err := loopbackOnly(r); err != nil {
			a.refuse(ctx, w, r, http.StatusForbidden, "not-loopback", err)
			return
		}
	} else {
		t, err := bearer(r.Header.Get("Authorization"))
		if err != nil {
			reason := "no-token"
			if errors.Is(err, errMalformed) {
				reason = "malformed-token"
			}
			a.refuse(ctx, w, r, http.StatusUnauthorized, reason, err)
			return
		}
		tok = t
	}
	select {
	case a.sem <- struct{}{}:
		defer func() { <-a.sem }()
	default:
		a.refuse(ctx, w, r, http.StatusServiceUnavailable, "busy", nil)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			a.refuse(ctx, w, r, http.StatusRequestEntityTooLarge, "too-large", err)
			return
		}
		a.refuse(ctx, w, r, http.StatusBadRequest, "body", err)
		return
	}
	var id *identity
	if !a.cfg.Dev {
		if id, err = a.validator.verify(ctx, tok); err != nil {
			a.refuse(ctx, w, r, http.StatusForbidden, "token", err)
			return
		}
	}
	act, err := parseActivity(body)
	if err != nil {
		a.refuse(ctx, w, r, http.StatusBadRequest, "activity", err)
		return
	}
	if id != nil {
		if err := id.check(act.ChannelID, act.ServiceURL); err != nil {
			a.refuse(ctx, w, r, http.StatusForbidden, "token", err)
			return
		}
	}
	a.dispatch(ctx, w, r, act)
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
	a.bot.Telemetry().Refused("teams", reason)
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
	r, err := a.bot.Handle(ctx, bot.Message{Text: q, User: act.user(), Conversation: act.Conversation.ID, Via: via, Adapter: "teams"})
	if err != nil && r.Kind != bot.KindError {
		return fmt.Errorf("handle message: %w", err)
	}
	return a.sendReply(ctx, act, r)
}

// sendReply renders a reply as cards and posts them, one message each.
func (a *Adapter) sendReply(ctx context.Context, act *incoming, r bot.Reply) error {
	cards := RenderCards(r)
	summary := r.Summary()
	for _, c := range cards {
		if err := a.conn.send(ctx, act.ServiceURL, act.Conversation.ID, act.ID, act.cardMessage(c, summary)); err != nil {
			return err
		}
	}
	return nil
}

// submit handles the press of a card button.
func (a *Adapter) submit(ctx context.Context, act *incoming, s submission) error {
	switch s.Action {
	case "show":
		if s.ID == "" || len(s.ID) > 200 {
			return nil
		}
		return a.sendReply(ctx, act, a.bot.Show(s.ID))
	case "ask":
		r, err := a.bot.Handle(ctx, bot.Message{Text: s.Question, User: act.user(), Conversation: act.Conversation.ID, Via: bot.ViaDirect, Adapter: "teams"})
		if err != nil && r.Kind != bot.KindError {
			return fmt.Errorf("handle button: %w", err)
		}
		return a.sendReply(ctx, act, r)
	case "vote":
		if s.ID == "" || len(s.ID) > 200 || (s.Vote != "up" && s.Vote != "down") || len(s.Question) > 4*bot.MaxQuestion {
			return nil
		}
		msg := "Thanks for the feedback."
		if err := a.bot.Feedback(ctx, bot.Vote{Question: s.Question, EntryID: s.ID, Up: s.Vote == "up", Adapter: "teams", User: act.user()}); err != nil {
			msg = "Thanks. Your feedback could not be recorded just now."
		}
		o := act.reply()
		o.Text, o.TextFormat = msg, "plain"
		return a.conn.send(ctx, act.ServiceURL, act.Conversation.ID, act.ID, o)
	}
	return nil
}

// conversationUpdate posts the welcome card when the bot is added.
func (a *Adapter) conversationUpdate(ctx context.Context, act *incoming) error {
	if !act.botAdded() {
		return nil
	}
	r := bot.Reply{Kind: bot.KindHelp, Intent: bot.IntentHelp, Commands: bot.Commands(), Source: a.bot.Knowledge().Page()}
	o := act.cardMessage(WelcomeCard(r), "Hi, I'm mmd: ask me who is responsible for something under Microsoft Managed Desktop.")
	o.ReplyToID = ""
	o.Recipient = schema.ChannelAccount{}
	return a.conn.send(ctx, act.ServiceURL, act.Conversation.ID, "", o)
}
