package slack

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"strings"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/mmdbot/mmdbot/bot"
)

// onEvent takes one Events API callback, from HTTP or Socket Mode: the
// reply it calls for is owed (written to the outbox) before it returns. It
// returns false only when that could not be done, so that the caller lets
// Slack retry; ignored and duplicate events return true.
func (a *Adapter) onEvent(ctx context.Context, ev slackevents.EventsAPIEvent, retry int) bool {
	cb, ok := ev.Data.(*slackevents.EventsAPICallbackEvent)
	if !ok || ev.Type != slackevents.CallbackEvent {
		return true
	}
	work := a.eventWork(cb, ev.InnerEvent.Data)
	if work == nil {
		return true
	}
	if id := cb.EventID; id != "" {
		first, err := a.seen.First(ctx, "slack:"+id)
		if err != nil {
			a.log.LogAttrs(ctx, slog.LevelError, "slack event not taken: the data store failed; Slack will send it again",
				slog.String("event_id", id), slog.String("error", err.Error()))
			return false
		}
		if !first {
			a.log.LogAttrs(ctx, slog.LevelDebug, "duplicate event ignored", slog.String("event_id", id), slog.Int("retry", retry))
			return true
		}
		if err := work(ctx); err != nil {
			a.log.LogAttrs(ctx, slog.LevelError, "slack reply not stored: Slack will send the event again",
				slog.String("event_id", id), slog.String("error", err.Error()))
			if err := a.seen.Forget(context.WithoutCancel(ctx), "slack:"+id); err != nil {
				a.log.LogAttrs(ctx, slog.LevelError, "forget slack event id", slog.String("error", err.Error()))
			}
			return false
		}
		return true
	}
	if err := work(ctx); err != nil {
		a.log.LogAttrs(ctx, slog.LevelError, "slack reply not stored", slog.String("error", err.Error()))
		return false
	}
	return true
}

// eventWork returns what an inner event calls for (nil: nothing): asking
// the bot and owing its reply.
func (a *Adapter) eventWork(cb *slackevents.EventsAPICallbackEvent, inner any) func(context.Context) error {
	switch e := inner.(type) {
	case *slackevents.AppMentionEvent:
		if e.BotID != "" || e.Edited != nil || e.User == "" || isOwnUser(cb, e.User) {
			return nil
		}
		thread := e.ThreadTimeStamp
		if thread == "" {
			thread = e.TimeStamp
		}
		if !a.channelAllowed(e.Channel) {
			return func(ctx context.Context) error { return a.notHere(ctx, e.Channel, e.User, thread) }
		}
		return func(ctx context.Context) error {
			return a.answer(ctx, bot.Message{Text: e.Text, User: e.User, Conversation: e.Channel, Via: bot.ViaMention, Adapter: adapterName}, thread)
		}
	case *slackevents.MessageEvent:
		// Direct messages only: new messages from people, no edits,
		// deletions, bots (this one included) or other subtypes.
		if e.ChannelType != "im" || e.SubType != "" || e.BotID != "" || e.User == "" || isOwnUser(cb, e.User) {
			return nil
		}
		return func(ctx context.Context) error {
			return a.answer(ctx, bot.Message{Text: e.Text, User: e.User, Conversation: e.Channel, Via: bot.ViaDirect, Adapter: adapterName}, e.ThreadTimeStamp)
		}
	case *slackevents.AppHomeOpenedEvent:
		if e.Tab != "home" || e.User == "" {
			return nil
		}
		return func(ctx context.Context) error { return a.publishHome(ctx, e.User) }
	}
	return nil
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

// answer asks the bot and owes its reply in the conversation, in the
// thread when thread is set.
func (a *Adapter) answer(ctx context.Context, m bot.Message, thread string) error {
	r, err := a.bot.Handle(ctx, m)
	if err != nil {
		a.log.LogAttrs(ctx, slog.LevelInfo, "message not understood", slog.String("error", err.Error()))
	}
	return a.owePost(ctx, m.Conversation, thread, render(r, renderOptions{surface: surfaceVisible}))
}

// notHere tells someone, privately, that the bot does not answer in this
// channel.
func (a *Adapter) notHere(ctx context.Context, channel, user, thread string) error {
	text := "I don't answer in this channel. Ask me in a direct message, or type `/mmd <question>` here: only you will see the answer."
	return a.owe(ctx, kindEphemeral, target{Channel: channel, User: user, Thread: thread}, []wireMessage{{Text: text}}, respondDeadline)
}

// publishHome owes the App Home tab of one user: the bot's welcome, help
// and table.
func (a *Adapter) publishHome(ctx context.Context, user string) error {
	r := a.bot.Welcome(ctx, bot.Message{User: user, Via: bot.ViaDirect, Adapter: adapterName})
	return a.owe(ctx, kindHome, target{User: user}, homeView(r), respondDeadline)
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

// errResponseURL is returned for a response_url that is not Slack's.
var errResponseURL = errors.New("response_url is not a Slack address")

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

// onInteraction takes one interaction payload (a button pressed), from
// HTTP or Socket Mode, and owes its answers. It returns false when one
// could not be stored.
func (a *Adapter) onInteraction(ctx context.Context, cb slack.InteractionCallback) bool {
	if cb.Type != slack.InteractionTypeBlockActions {
		return true
	}
	for _, act := range cb.ActionCallback.BlockActions {
		if act == nil || act.ActionID == "" || strings.HasPrefix(act.ActionID, actionLearn) || act.ActionID == actionReview {
			continue
		}
		if err := a.act(ctx, cb, *act); err != nil {
			a.log.LogAttrs(ctx, slog.LevelError, "slack answer to a button not stored", slog.String("error", err.Error()))
			return false
		}
	}
	return true
}

// act does what a pressed button asks, through the bot: a "did you mean"
// choice replaces its question's message with the answer, a vote replaces
// the answer's buttons with the thanks and an undo, a shared answer is
// posted for everyone, anything else answers only whoever pressed it.
func (a *Adapter) act(ctx context.Context, cb slack.InteractionCallback, act slack.BlockAction) error {
	action, replace, ok := decodeAction(act.ActionID, act.Value)
	if !ok {
		a.log.LogAttrs(ctx, slog.LevelDebug, "unknown slack action ignored", slog.String("action_id", clip(act.ActionID, 64)))
		return nil
	}
	channel := cb.Channel.ID
	if channel == "" {
		channel = cb.Container.ChannelID
	}
	if action.Kind == bot.ActShare && !a.channelAllowed(channel) {
		return a.tell(ctx, cb, "I don't post in this channel, so I can't share this here.")
	}
	r, err := a.bot.Act(ctx, bot.Message{User: cb.User.ID, Conversation: channel, Via: bot.ViaButton, Adapter: adapterName}, action)
	if errors.Is(err, bot.ErrBadInput) {
		return nil // a button value that is not mmdbot's
	}
	switch {
	case r.Kind == bot.KindThanks:
		return a.tell(ctx, cb, r.Text)
	case action.Kind == bot.ActVote:
		// The answer voted on, in place: its 👍/👎 become the thanks and
		// an undo.
		return a.reply(ctx, cb, r, r.Question, true)
	case action.Kind == bot.ActShare:
		return a.share(ctx, cb, r)
	default:
		return a.reply(ctx, cb, r, commandOf(action), replace)
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
func (a *Adapter) reply(ctx context.Context, cb slack.InteractionCallback, r bot.Reply, command string, replace bool) error {
	if cb.ResponseURL == "" {
		return a.owePost(ctx, cb.User.ID, "", render(r, renderOptions{surface: surfaceVisible}))
	}
	o := renderOptions{surface: surfaceEphemeral, command: command, question: r.Question}
	if replace && !cb.Container.IsEphemeral {
		o.surface = surfaceVisible
	}
	rs := responses(render(r, o), slack.ResponseTypeEphemeral)
	if replace {
		rs[0].ResponseType, rs[0].ReplaceOriginal = "", true
	}
	return a.respondOrLog(ctx, cb.ResponseURL, rs)
}

// respondOrLog owes responses to a response_url; one that is not Slack's
// is logged and dropped, as nothing could ever deliver it.
func (a *Adapter) respondOrLog(ctx context.Context, responseURL string, rs []response) error {
	err := a.oweResponses(ctx, responseURL, rs)
	if errors.Is(err, errResponseURL) {
		a.log.LogAttrs(ctx, slog.LevelWarn, "slack answer not sent", slog.String("error", err.Error()))
		return nil
	}
	return err
}

// tell sends a short sentence only the person who pressed a button sees.
func (a *Adapter) tell(ctx context.Context, cb slack.InteractionCallback, text string) error {
	if cb.ResponseURL == "" {
		return nil
	}
	return a.respondOrLog(ctx, cb.ResponseURL, []response{{ResponseType: slack.ResponseTypeEphemeral, Text: esc(text, maxText)}})
}

// share posts an ephemeral answer visibly in its conversation and removes
// the ephemeral one.
func (a *Adapter) share(ctx context.Context, cb slack.InteractionCallback, r bot.Reply) error {
	if cb.ResponseURL == "" {
		return nil
	}
	rs := responses(render(r, renderOptions{surface: surfaceVisible}), slack.ResponseTypeInChannel)
	rs = append(rs, response{DeleteOriginal: true})
	return a.respondOrLog(ctx, cb.ResponseURL, rs)
}
