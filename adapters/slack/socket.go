package slack

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

// ackTimeout bounds the wait to queue a Socket Mode ack.
const ackTimeout = 2 * time.Second

// runSocketMode connects over Socket Mode (slack-go reconnects by itself)
// and handles envelopes until ctx is done.
func (a *Adapter) runSocketMode(ctx context.Context) error {
	sm := socketmode.New(a.client,
		socketmode.OptionLog(slog.NewLogLogger(a.log.Handler(), slog.LevelDebug)),
		socketmode.OptionReadLimit(maxBody))
	errc := make(chan error, 1)
	go func() { errc <- sm.RunContext(ctx) }()
	for {
		select {
		case err := <-errc:
			if ctx.Err() != nil {
				return nil
			}
			// slack-go gives up at once on a token Slack refuses.
			p := diagnoseConnect(err)
			a.log.LogAttrs(ctx, slog.LevelError, "slack socket mode cannot connect",
				slog.String("reason", p.reason), slog.String("error", safeError(err)), slog.String("fix", p.fix))
			return fmt.Errorf("run slack socket mode: %s: %w", p.reason, err)
		case evt := <-sm.Events:
			a.onSocketEvent(ctx, sm, evt)
		}
	}
}

// onSocketEvent handles one Socket Mode event: connection state, or an
// envelope to acknowledge and work on.
func (a *Adapter) onSocketEvent(ctx context.Context, sm *socketmode.Client, evt socketmode.Event) {
	switch evt.Type {
	case socketmode.EventTypeConnecting:
		a.setConnected(false)
		a.log.LogAttrs(ctx, slog.LevelDebug, "slack socket mode connecting")
	case socketmode.EventTypeConnected, socketmode.EventTypeHello:
		if !a.setConnected(true) {
			a.log.LogAttrs(ctx, slog.LevelInfo, "slack socket mode connected")
		}
	case socketmode.EventTypeConnectionError:
		a.setConnected(false)
		attrs := []slog.Attr{}
		if ce, ok := evt.Data.(*slack.ConnectionErrorEvent); ok && ce.ErrorObj != nil {
			p := diagnoseConnect(ce.ErrorObj)
			attrs = append(attrs, slog.String("reason", p.reason), slog.String("error", safeError(ce.ErrorObj)),
				slog.String("fix", p.fix), slog.Int("attempt", ce.Attempt), slog.Duration("retry_in", ce.Backoff))
		}
		a.log.LogAttrs(ctx, slog.LevelWarn, "slack socket mode cannot connect: retrying", attrs...)
	case socketmode.EventTypeInvalidAuth:
		a.setConnected(false)
		p := diagnoseConnect(slack.StatusCodeError{Code: http.StatusNotFound, Status: "404 Not Found"})
		a.log.LogAttrs(ctx, slog.LevelError, "slack socket mode refused", slog.String("reason", p.reason), slog.String("fix", p.fix))
	case socketmode.EventTypeDisconnect:
		// Slack closes connections now and then (refresh_requested) and
		// mmdbot opens a new one; link_disabled means Socket Mode was
		// turned off in the app's settings.
		a.setConnected(false)
		reason := ""
		if evt.Request != nil {
			reason = evt.Request.Reason
		}
		if reason == "link_disabled" {
			a.log.LogAttrs(ctx, slog.LevelWarn, "slack socket mode disconnected", slog.String("reason", reason),
				slog.String("fix", "turn Socket Mode on in the app's settings (Settings → Socket Mode)"))
		} else {
			a.log.LogAttrs(ctx, slog.LevelInfo, "slack socket mode reconnecting, as Slack asked", slog.String("reason", reason))
		}
	case socketmode.EventTypeEventsAPI:
		ev, ok := evt.Data.(slackevents.EventsAPIEvent)
		if !ok || evt.Request == nil {
			a.ack(ctx, sm, evt.Request, nil)
			return
		}
		// Unacknowledged, Slack sends the envelope again: that is what a
		// full queue wants.
		if a.onEvent(ctx, ev, evt.Request.RetryAttempt) {
			a.ack(ctx, sm, evt.Request, nil)
		}
	case socketmode.EventTypeSlashCommand:
		cmd, ok := evt.Data.(slack.SlashCommand)
		if !ok || evt.Request == nil {
			a.ack(ctx, sm, evt.Request, nil)
			return
		}
		a.socketCommand(ctx, sm, *evt.Request, cmd, time.Now())
	case socketmode.EventTypeInteractive:
		cb, ok := evt.Data.(slack.InteractionCallback)
		if !ok || evt.Request == nil {
			a.ack(ctx, sm, evt.Request, nil)
			return
		}
		if a.onInteraction(ctx, cb) {
			a.ack(ctx, sm, evt.Request, nil)
		}
	case socketmode.EventTypeErrorBadMessage:
		a.bot.Refused(adapterName, "bad-request")
		a.log.LogAttrs(ctx, slog.LevelWarn, "slack socket mode message not understood")
	case socketmode.EventTypeIncomingError:
		attrs := []slog.Attr{}
		if ie, ok := evt.Data.(*slack.IncomingEventError); ok && ie.ErrorObj != nil {
			attrs = append(attrs, slog.String("error", safeError(ie.ErrorObj)))
		}
		a.log.LogAttrs(ctx, slog.LevelDebug, "slack socket mode read failed: reconnecting", attrs...)
	}
}

// socketCommand answers a slash command that came over Socket Mode: in the
// ack when ready in time and small enough, otherwise through response_url,
// owed before the ack.
func (a *Adapter) socketCommand(ctx context.Context, sm *socketmode.Client, req socketmode.Request, cmd slack.SlashCommand, received time.Time) {
	actx, cancel := context.WithTimeout(ctx, ackBudget-time.Since(received))
	now, later := a.commandAnswer(actx, cmd, maxInline)
	cancel()
	if len(later) > 0 && a.respondOrLog(context.WithoutCancel(ctx), cmd.ResponseURL, later) != nil {
		now = &response{ResponseType: slack.ResponseTypeEphemeral, Text: "I'm busy: please ask again in a moment."}
	}
	if now != nil {
		a.ack(ctx, sm, &req, *now)
		return
	}
	a.ack(ctx, sm, &req, nil)
}

// ack acknowledges an envelope, with a payload or none.
func (a *Adapter) ack(ctx context.Context, sm *socketmode.Client, req *socketmode.Request, payload any) {
	if req == nil || req.EnvelopeID == "" {
		return
	}
	actx, cancel := context.WithTimeout(ctx, ackTimeout)
	defer cancel()
	if err := sm.AckCtx(actx, req.EnvelopeID, payload); err != nil {
		a.log.LogAttrs(ctx, slog.LevelWarn, "ack slack envelope", slog.String("error", err.Error()))
	}
}
