package slack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/mmdbot/mmdbot/bot"
	"github.com/mmdbot/mmdbot/internal/jsonout"
)

// onEvent takes one Events API callback, from HTTP or Socket Mode. It
// returns false only when the work could not be queued, so that the caller
// lets Slack retry; ignored and duplicate events return true.
func (a *Adapter) onEvent(ev slackevents.EventsAPIEvent, retry int) bool {
	cb, ok := ev.Data.(*slackevents.EventsAPICallbackEvent)
	if !ok || ev.Type != slackevents.CallbackEvent {
		return true
	}
	var job func(context.Context)
	switch e := ev.InnerEvent.Data.(type) {
	case *slackevents.AppMentionEvent:
		if e.BotID != "" || e.Edited != nil || e.User == "" || isOwnUser(cb, e.User) {
			return true
		}
		thread := e.ThreadTimeStamp
		if thread == "" {
			thread = e.TimeStamp
		}
		if !a.channelAllowed(e.Channel) {
			job = func(ctx context.Context) { a.notHere(ctx, e.Channel, e.User, thread) }
			break
		}
		job = func(ctx context.Context) {
			a.answer(ctx, bot.Message{Text: e.Text, User: e.User, Conversation: e.Channel, Via: bot.ViaMention, Adapter: adapterName}, thread)
		}
	case *slackevents.MessageEvent:
		// Direct messages only: new messages from people, no edits,
		// deletions, bots (this one included) or other subtypes.
		if e.ChannelType != "im" || e.SubType != "" || e.BotID != "" || e.User == "" || isOwnUser(cb, e.User) {
			return true
		}
		job = func(ctx context.Context) {
			a.answer(ctx, bot.Message{Text: e.Text, User: e.User, Conversation: e.Channel, Via: bot.ViaDirect, Adapter: adapterName}, e.ThreadTimeStamp)
		}
	case *slackevents.AppHomeOpenedEvent:
		if e.Tab != "home" || e.User == "" {
			return true
		}
		job = func(ctx context.Context) { a.publishHome(ctx, e.User) }
	default:
		return true
	}
	if id := cb.EventID; id != "" {
		if !a.seen.first(id, time.Now()) {
			a.log.LogAttrs(context.Background(), slog.LevelDebug, "duplicate event ignored",
				slog.String("event_id", id), slog.Int("retry", retry))
			return true
		}
		if !a.jobs.submit(job) {
			a.seen.forget(id)
			a.log.LogAttrs(context.Background(), slog.LevelWarn, "slack work queue full: event left for Slack to retry", slog.String("event_id", id))
			return false
		}
		return true
	}
	return a.jobs.submit(job)
}

// isOwnUser reports whether user is the bot user the event was delivered to.
func isOwnUser(cb *slackevents.EventsAPICallbackEvent, user string) bool {
	for _, au := range cb.Authorizations {
		if au.IsBot && au.UserID == user {
			return true
		}
	}
	return false
}

// answer asks the bot and posts its reply in the conversation, in the thread
// when thread is set.
func (a *Adapter) answer(ctx context.Context, m bot.Message, thread string) {
	r, err := a.bot.Handle(ctx, m)
	if err != nil {
		a.log.LogAttrs(ctx, slog.LevelInfo, "message not understood", slog.String("error", err.Error()))
	}
	a.post(ctx, m.Conversation, thread, render(r, renderOptions{surface: surfaceVisible}))
}

// post sends messages to a conversation with chat.postMessage, in order.
func (a *Adapter) post(ctx context.Context, channel, thread string, msgs []message) {
	for _, m := range msgs {
		opts := []slack.MsgOption{
			slack.MsgOptionText(m.Text, false),
			slack.MsgOptionBlocks(m.Blocks...),
			slack.MsgOptionDisableLinkUnfurl(),
			slack.MsgOptionDisableMediaUnfurl(),
		}
		if thread != "" {
			opts = append(opts, slack.MsgOptionTS(thread))
		}
		if _, _, err := a.api.PostMessageContext(ctx, channel, opts...); err != nil {
			a.log.LogAttrs(ctx, slog.LevelError, "post slack message", slog.String("channel", channel), slog.String("error", err.Error()))
			return
		}
	}
}

// notHere tells someone, privately, that the bot does not answer in this
// channel.
func (a *Adapter) notHere(ctx context.Context, channel, user, thread string) {
	text := "I don't answer in this channel. Ask me in a direct message, or type `/mmd <question>` here: only you will see the answer."
	opts := []slack.MsgOption{slack.MsgOptionText(text, false)}
	if thread != "" {
		opts = append(opts, slack.MsgOptionTS(thread))
	}
	if _, err := a.api.PostEphemeralContext(ctx, channel, user, opts...); err != nil {
		a.log.LogAttrs(ctx, slog.LevelError, "post slack ephemeral message", slog.String("channel", channel), slog.String("error", err.Error()))
	}
}

// publishHome publishes the App Home tab for one user: the bot's welcome,
// help and table.
func (a *Adapter) publishHome(ctx context.Context, user string) {
	r := a.bot.Welcome(ctx, bot.Message{User: user, Via: bot.ViaDirect, Adapter: adapterName})
	view := homeView(r)
	if _, err := a.api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: user, View: view}); err != nil {
		a.log.LogAttrs(ctx, slog.LevelError, "publish slack home tab", slog.String("error", err.Error()))
	}
}

// commandReply asks the bot a slash command and renders its ephemeral
// answer, with a "Share in channel" button.
func (a *Adapter) commandReply(ctx context.Context, cmd slack.SlashCommand) []message {
	r, err := a.bot.Handle(ctx, bot.Message{Text: cmd.Text, User: cmd.UserID, Conversation: cmd.ChannelID, Via: bot.ViaCommand, Adapter: adapterName})
	if err != nil {
		a.log.LogAttrs(ctx, slog.LevelInfo, "command not understood", slog.String("error", err.Error()))
	}
	return render(r, renderOptions{surface: surfaceEphemeral, command: cmd.Text, question: r.Question})
}

// response is a message given in answer to a slash command or a button, in
// the HTTP response, a Socket Mode ack or a POST to response_url.
type response struct {
	ResponseType    string        `json:"response_type,omitempty"`
	Text            string        `json:"text"`
	Blocks          []slack.Block `json:"blocks,omitempty"`
	ReplaceOriginal bool          `json:"replace_original,omitempty"`
	DeleteOriginal  bool          `json:"delete_original,omitempty"`
}

// responses turns messages into responses of one type ("ephemeral",
// "in_channel").
func responses(msgs []message, responseType string) []response {
	rs := make([]response, len(msgs))
	for i, m := range msgs {
		rs[i] = response{ResponseType: responseType, Text: m.Text, Blocks: m.Blocks}
	}
	return rs
}

// respondLater posts the messages to a response_url, in order.
func (a *Adapter) respondLater(ctx context.Context, responseURL string, rs []response) {
	for _, r := range rs {
		if err := a.respond(ctx, responseURL, r); err != nil {
			a.log.LogAttrs(ctx, slog.LevelError, "post to slack response_url", slog.String("error", err.Error()))
			return
		}
	}
}

// errResponseURL is returned for a response_url that is not Slack's.
var errResponseURL = errors.New("response_url is not a Slack address")

// respond posts one message to a response_url, waiting as Slack asks when
// it answers 429.
func (a *Adapter) respond(ctx context.Context, responseURL string, r response) error {
	if !a.slackHook(responseURL) {
		return errResponseURL
	}
	body, err := jsonout.Marshal(r, false)
	if err != nil {
		return fmt.Errorf("encode response: %w", err)
	}
	for attempt := 0; ; attempt++ {
		err := a.postJSON(ctx, responseURL, body)
		var rl *slack.RateLimitedError
		if !errors.As(err, &rl) || attempt == 3 {
			return err
		}
		wait := max(rl.RetryAfter, time.Second)
		a.log.LogAttrs(ctx, slog.LevelWarn, "slack rate limit: waiting", slog.Duration("retry_after", wait))
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("wait for slack rate limit: %w", ctx.Err())
		case <-t.C:
		}
	}
}

// slackHook reports whether a response_url points to Slack (or to the
// SLACK_API_URL host, for a test or proxy), so that answers never go
// anywhere else.
func (a *Adapter) slackHook(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return false
	}
	if a.hooks[u.Host] && (u.Scheme == "http" || u.Scheme == "https") {
		return true
	}
	host := u.Hostname()
	return u.Scheme == "https" && (host == "slack.com" || strings.HasSuffix(host, ".slack.com"))
}

// onInteraction takes one interaction payload (a button pressed), from HTTP
// or Socket Mode, and queues its work. It returns false when the queue is
// full.
func (a *Adapter) onInteraction(cb slack.InteractionCallback) bool {
	if cb.Type != slack.InteractionTypeBlockActions {
		return true
	}
	for _, act := range cb.ActionCallback.BlockActions {
		if act == nil || act.ActionID == "" || strings.HasPrefix(act.ActionID, actionLearn) {
			continue
		}
		act := *act
		if !a.jobs.submit(func(ctx context.Context) { a.act(ctx, cb, act) }) {
			return false
		}
	}
	return true
}

// act does what a pressed button asks, through the bot: a "did you mean"
// choice replaces its question's message with the answer, a vote replaces
// the answer's buttons with the thanks and an undo, a shared answer is posted for everyone, anything else
// answers only whoever pressed it.
func (a *Adapter) act(ctx context.Context, cb slack.InteractionCallback, act slack.BlockAction) {
	action, replace, ok := decodeAction(act.ActionID, act.Value)
	if !ok {
		a.log.LogAttrs(ctx, slog.LevelDebug, "unknown slack action ignored", slog.String("action_id", clip(act.ActionID, 64)))
		return
	}
	channel := cb.Channel.ID
	if channel == "" {
		channel = cb.Container.ChannelID
	}
	if action.Kind == bot.ActShare && !a.channelAllowed(channel) {
		a.tell(ctx, cb, "I don't post in this channel, so I can't share this here.")
		return
	}
	r, err := a.bot.Act(ctx, bot.Message{User: cb.User.ID, Conversation: channel, Via: bot.ViaButton, Adapter: adapterName}, action)
	if errors.Is(err, bot.ErrBadInput) {
		return // a button value that is not mmdbot's
	}
	switch {
	case r.Kind == bot.KindThanks:
		a.tell(ctx, cb, r.Text)
	case action.Kind == bot.ActVote:
		// The answer voted on, in place: its 👍/👎 become the thanks and
		// an undo.
		a.reply(ctx, cb, r, r.Question, true)
	case action.Kind == bot.ActShare:
		a.share(ctx, cb, r)
	default:
		a.reply(ctx, cb, r, commandOf(action), replace)
	}
}

// commandOf is what a button's answer runs again when shared: the command
// or question, or "show <id>".
func commandOf(a bot.Action) string {
	if a.Kind == bot.ActShow {
		return "show " + a.ID
	}
	return a.Text
}

// reply shows a reply to whoever pressed a button: in place of the message
// when replace is set (a "did you mean" becomes its answer), otherwise as a
// new message only they see. A button in the App Home tab has nowhere to
// answer but the app's direct messages.
func (a *Adapter) reply(ctx context.Context, cb slack.InteractionCallback, r bot.Reply, command string, replace bool) {
	if cb.ResponseURL == "" {
		a.post(ctx, cb.User.ID, "", render(r, renderOptions{surface: surfaceVisible}))
		return
	}
	o := renderOptions{surface: surfaceEphemeral, command: command, question: r.Question}
	if replace && !cb.Container.IsEphemeral {
		o.surface = surfaceVisible
	}
	rs := responses(render(r, o), slack.ResponseTypeEphemeral)
	if replace {
		rs[0].ResponseType, rs[0].ReplaceOriginal = "", true
	}
	a.respondLater(ctx, cb.ResponseURL, rs)
}

// tell sends a short sentence only the person who pressed a button sees.
func (a *Adapter) tell(ctx context.Context, cb slack.InteractionCallback, text string) {
	if cb.ResponseURL == "" {
		return
	}
	a.respondLater(ctx, cb.ResponseURL, []response{{ResponseType: slack.ResponseTypeEphemeral, Text: esc(text, maxText)}})
}

// share posts an ephemeral answer visibly in its conversation and removes
// the ephemeral one.
func (a *Adapter) share(ctx context.Context, cb slack.InteractionCallback, r bot.Reply) {
	if cb.ResponseURL == "" {
		return
	}
	rs := responses(render(r, renderOptions{surface: surfaceVisible}), slack.ResponseTypeInChannel)
	rs = append(rs, response{DeleteOriginal: true})
	a.respondLater(ctx, cb.ResponseURL, rs)
}
