// Package slack speaks Slack for mmdbot: mentions in channels, direct
// messages, the /mmd slash command, buttons and the App Home tab, over
// Socket Mode or the Events API.
//
// What arrives is verified (HTTP requests by their signature, on the raw body,
// before anything is parsed) and parsed with slack-go; each question goes to
// the bot, and its platform-neutral Reply is rendered as Block Kit within
// Slack's limits and delivered within Slack's deadlines:
//
//	Slack ──► Events() / Commands() / Interactions()   (HTTP, signed)
//	      └─► Run: Socket Mode envelopes                (WebSocket)
//	             │ de-duplicate events by event_id (Seen, one hour)
//	             ▼
//	       bot.Handle ──► render (Block Kit) ──► Outbox.Owe, then the ack
//	             │        (a slash command's answer rides in the ack when
//	             │         ready in time and small enough)
//	             ▼
//	       outbox workers ──► Deliver: chat.postMessage (threaded),
//	       chat.postEphemeral, views.publish, response_url (5xx, 429
//	       Retry-After, timeouts retried until the reply's deadline)
//
// Only this package imports slack-go.
package slack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/slack-go/slack"

	"github.com/mmdbot/mmdbot/bot"
	"github.com/mmdbot/mmdbot/outbox"
	"github.com/mmdbot/mmdbot/store"
)

// adapterName names this adapter in messages to the bot, metrics and logs.
const adapterName = "slack"

// Timings and sizes. Slack wants an answer to every request within three
// seconds; the rest of the work happens on the pool.
const (
	ackBudget      = 2 * time.Second  // to answer a slash command in the response itself
	apiTimeout     = 10 * time.Second // one Web API or response_url call
	maxBody        = 1 << 20          // bytes of a request body
	defaultWorkers = 8
)

// Outbox takes the replies the adapter owes; *outbox.Runner implements it.
type Outbox interface {
	Owe(ctx context.Context, r outbox.Reply) error
}

// Seen remembers the event ids handled lately; *store.Store implements it.
type Seen interface {
	// First records id and reports whether it is new.
	First(ctx context.Context, id string) (bool, error)
	// Forget drops id, when its work could not be taken.
	Forget(ctx context.Context, id string) error
}

// Config configures the Slack adapter. Secrets come from the environment and
// are never logged nor shown.
type Config struct {
	BotToken        string   // SLACK_BOT_TOKEN, xoxb-…
	AppToken        string   // SLACK_APP_TOKEN, xapp-… (Socket Mode)
	SigningSecret   string   // SLACK_SIGNING_SECRET (HTTP)
	APIURL          string   // SLACK_API_URL, "" = Slack's
	AllowedChannels []string // SLACK_ALLOWED_CHANNELS, comma-separated ids; empty = all
	Workers         int      // deliveries at once of an outbox of its own; 0 = 8
	Logger          *slog.Logger
	// Outbox and Seen are the server's: its replies owed and the ids
	// handled, shared by replicas, with Deliver registered for "slack".
	// When both are nil, the adapter keeps them in memory and delivers
	// from Run.
	Outbox Outbox
	Seen   Seen
}

// Enabled reports whether any Slack credential is set: the adapter is
// meant to be on, and Validate then says what else it needs.
func (c Config) Enabled() bool {
	return c.BotToken != "" || c.AppToken != "" || c.SigningSecret != ""
}

var channelID = regexp.MustCompile(`^[A-Z0-9]{2,32}$`)

// Validate says in one sentence what is missing or wrong. It does no I/O and
// never repeats a secret.
func (c Config) Validate() error {
	switch {
	case c.BotToken == "" && (c.AppToken != "" || c.SigningSecret != ""):
		return errors.New("SLACK_BOT_TOKEN is not set: Slack needs the bot token (xoxb-…) to answer")
	case c.BotToken == "":
		return errors.New("SLACK_BOT_TOKEN is not set")
	case !strings.HasPrefix(c.BotToken, "xoxb-"):
		return errors.New("SLACK_BOT_TOKEN does not start with xoxb-: give the app's Bot User OAuth Token")
	case c.AppToken != "" && !strings.HasPrefix(c.AppToken, "xapp-"):
		return errors.New("SLACK_APP_TOKEN does not start with xapp-: give an app-level token with the connections:write scope")
	case c.AppToken == "" && c.SigningSecret == "":
		return errors.New("SLACK_BOT_TOKEN is set but neither SLACK_APP_TOKEN (Socket Mode) nor SLACK_SIGNING_SECRET (HTTP events) is")
	case strings.ContainsAny(c.SigningSecret, " \t\r\n"):
		return errors.New("SLACK_SIGNING_SECRET contains white space")
	case c.Workers < 0:
		return fmt.Errorf("the number of Slack workers is negative (%d)", c.Workers)
	}
	if c.APIURL != "" {
		u, err := url.Parse(c.APIURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return errors.New("SLACK_API_URL is not an absolute http(s) address")
		}
	}
	for _, id := range c.AllowedChannels {
		if !channelID.MatchString(strings.TrimSpace(id)) {
			return fmt.Errorf("SLACK_ALLOWED_CHANNELS holds %q, which is not a channel id such as C0123ABCD", id)
		}
	}
	return nil
}

// webAPI is the part of Slack's Web API the adapter calls; *slack.Client
// implements it.
type webAPI interface {
	PostMessageContext(ctx context.Context, channelID string, options ...slack.MsgOption) (string, string, error)
	PostEphemeralContext(ctx context.Context, channelID, userID string, options ...slack.MsgOption) (string, error)
	PublishViewContext(ctx context.Context, req slack.PublishViewContextRequest) (*slack.ViewResponse, error)
}

// Bot is what the adapter asks of mmdbot's bot: every message, button and
// App Home visit goes through it, so that each is answered, counted and
// journalled the same way as on every other platform. *bot.Bot implements
// it.
type Bot interface {
	bot.Handler
	Act(ctx context.Context, m bot.Message, a bot.Action) (bot.Reply, error)
	Welcome(ctx context.Context, m bot.Message) bot.Reply
	Refused(adapter, reason string)
}

// Adapter connects one Slack app to the bot. Make it with New; serve its
// handlers (when HTTPEnabled) and call Run.
type Adapter struct {
	cfg     Config
	bot     Bot
	log     *slog.Logger
	client  *slack.Client
	api     webAPI
	httpc   *http.Client
	allowed map[string]bool
	// hooks are the hosts response_url may point to besides Slack's.
	hooks map[string]bool

	outbox Outbox
	seen   Seen
	// own is the outbox the adapter runs itself, when not given one.
	own      *outbox.Runner
	ownStore *store.Store

	started   atomic.Bool
	closed    atomic.Bool // Run returned: its own outbox takes no more
	running   atomic.Bool
	connected atomic.Bool
	changes   changes
}

// New validates cfg and returns the adapter. It does no I/O.
func New(cfg Config, b Bot) (*Adapter, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("configure slack: %w", err)
	}
	if b == nil {
		return nil, errors.New("configure slack: no bot")
	}
	if cfg.Workers == 0 {
		cfg.Workers = defaultWorkers
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	log := cfg.Logger.With(slog.String("adapter", adapterName))
	httpc := &http.Client{Timeout: apiTimeout}
	opts := []slack.Option{
		slack.OptionHTTPClient(httpc),
		slack.OptionLog(slog.NewLogLogger(log.Handler(), slog.LevelDebug)),
	}
	hooks := map[string]bool{}
	if cfg.APIURL != "" {
		if !strings.HasSuffix(cfg.APIURL, "/") {
			cfg.APIURL += "/"
		}
		opts = append(opts, slack.OptionAPIURL(cfg.APIURL))
		if u, err := url.Parse(cfg.APIURL); err == nil {
			hooks[u.Host] = true
		}
	}
	if cfg.AppToken != "" {
		opts = append(opts, slack.OptionAppLevelToken(cfg.AppToken))
	}
	client := slack.New(cfg.BotToken, opts...)
	allowed := map[string]bool{}
	for _, id := range cfg.AllowedChannels {
		if id = strings.TrimSpace(id); id != "" {
			allowed[id] = true
		}
	}
	a := &Adapter{
		cfg:     cfg,
		bot:     b,
		log:     log,
		client:  client,
		api:     client,
		httpc:   httpc,
		allowed: allowed,
		hooks:   hooks,
		outbox:  cfg.Outbox,
		seen:    cfg.Seen,
	}
	if a.outbox == nil || a.seen == nil {
		if a.outbox != nil || a.seen != nil {
			return nil, errors.New("configure slack: an outbox without ids seen, or the other way round")
		}
		st, err := store.Open(context.Background(), store.Memory, 0)
		if err != nil {
			return nil, fmt.Errorf("configure slack: %w", err)
		}
		a.own = outbox.NewRunner(st, map[string]outbox.Deliverer{adapterName: a}, outbox.Options{Owner: "slack", Workers: cfg.Workers, Logger: log})
		a.outbox, a.seen, a.ownStore = a.own, st, st
	}
	return a, nil
}

// HTTPEnabled reports whether the signing secret is set, so that Events,
// Commands and Interactions are to be served.
func (a *Adapter) HTTPEnabled() bool { return a.cfg.SigningSecret != "" }

// SocketModeEnabled reports whether the app token is set, so that Run
// connects over Socket Mode.
func (a *Adapter) SocketModeEnabled() bool { return a.cfg.AppToken != "" }

// Name names the adapter in metrics, logs and /readyz: "slack".
func (a *Adapter) Name() string { return adapterName }

// errNotConnected is what Ready says of an adapter not running yet, or
// whose Socket Mode connection is down.
var errNotConnected = errors.New("not connected")

// Ready reports whether the adapter can take work: Run started and, when
// Socket Mode is on, connected.
func (a *Adapter) Ready() error {
	if !a.running.Load() || (a.SocketModeEnabled() && !a.connected.Load()) {
		return errNotConnected
	}
	return nil
}

// Changed returns a channel closed at the adapter's next change of state
// (running, connected): whoever waits for Ready waits on it rather than
// polling.
func (a *Adapter) Changed() <-chan struct{} { return a.changes.next() }

// setRunning and setConnected change the adapter's state and tell those
// waiting; setConnected returns whether it was connected.
func (a *Adapter) setRunning(v bool) {
	a.running.Store(v)
	a.changes.notify()
}

func (a *Adapter) setConnected(v bool) bool {
	was := a.connected.Swap(v)
	if was != v {
		a.changes.notify()
	}
	return was
}

// changes closes a channel at each change, for those waiting for one.
type changes struct {
	mu sync.Mutex
	ch chan struct{}
}

// next returns a channel closed at the next change.
func (c *changes) next() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ch == nil {
		c.ch = make(chan struct{})
	}
	return c.ch
}

// notify tells those waiting that a change happened.
func (c *changes) notify() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ch != nil {
		close(c.ch)
		c.ch = nil
	}
}

// Routes mounts the Events API, slash commands and interactions when the
// signing secret is set (Socket Mode needs no endpoint).
func (a *Adapter) Routes(mux *http.ServeMux) {
	if !a.HTTPEnabled() {
		return
	}
	mux.Handle("POST /slack/events", a.Events())
	mux.Handle("POST /slack/commands", a.Commands())
	mux.Handle("POST /slack/interactions", a.Interactions())
}

// Run runs Socket Mode when enabled, and the adapter's own outbox when it
// was given none, and blocks until ctx is done. It returns nil on a clean
// shutdown, an error when Socket Mode cannot go on (a revoked token, for
// one). Replies owed are the outbox's: they outlive Run.
func (a *Adapter) Run(ctx context.Context) error {
	if !a.started.CompareAndSwap(false, true) {
		return errors.New("run slack adapter: already running")
	}
	var wg sync.WaitGroup
	if a.own != nil {
		// Its own outbox drains when Run is asked to stop, within a
		// few seconds.
		work, stop := context.WithCancel(context.WithoutCancel(ctx))
		defer stop()
		wg.Go(func() { a.own.Run(work) })
		defer func() {
			a.closed.Store(true)
			a.own.Drain(time.Now().Add(ownDrain))
			t := time.AfterFunc(ownDrain, stop)
			wg.Wait()
			t.Stop()
		}()
	}
	a.setRunning(true)
	a.log.LogAttrs(ctx, slog.LevelInfo, "slack adapter running",
		slog.Bool("socket_mode", a.SocketModeEnabled()), slog.Bool("http", a.HTTPEnabled()))

	var err error
	if a.SocketModeEnabled() {
		err = a.runSocketMode(ctx)
	} else {
		<-ctx.Done()
	}
	a.setRunning(false)
	a.setConnected(false)
	return err
}

// ownDrain bounds the delivery of what the adapter's own outbox holds at
// shutdown.
const ownDrain = 10 * time.Second

// channelAllowed reports whether the bot answers visibly in a conversation:
// direct messages always, channels when SLACK_ALLOWED_CHANNELS is empty or
// lists them.
func (a *Adapter) channelAllowed(id string) bool {
	return len(a.allowed) == 0 || a.allowed[id] || strings.HasPrefix(id, "D")
}
