package slack_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/mmdbot/mmdbot/adapters/slack"
	"github.com/mmdbot/mmdbot/bot"
	"github.com/mmdbot/mmdbot/knowledge"
)

// Wiring the adapter: the three HTTP routes when the signing secret is set,
// and Run for the workers and Socket Mode.
func ExampleNew() {
	b := bot.New(knowledge.Default(), bot.Options{})
	a, err := slack.New(slack.Config{
		BotToken:      "xoxb-from-the-environment",
		SigningSecret: "from-the-environment",
		Logger:        slog.New(slog.DiscardHandler), // the program's logger

	}, b)
	if err != nil {
		fmt.Println(err)
		return
	}
	mux := http.NewServeMux()
	if a.HTTPEnabled() {
		mux.Handle("POST /slack/events", a.Events())
		mux.Handle("POST /slack/commands", a.Commands())
		mux.Handle("POST /slack/interactions", a.Interactions())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // a real program runs until a signal
	fmt.Println(a.Run(ctx), a.SocketModeEnabled())
	// Output: <nil> false
}

// Validate says what is wrong in one sentence, without repeating secrets.
func ExampleConfig_Validate() {
	fmt.Println(slack.Config{BotToken: "xoxb-1"}.Validate())
	fmt.Println(slack.Config{BotToken: "xoxp-1", AppToken: "xapp-1"}.Validate())
	// Output:
	// SLACK_BOT_TOKEN is set but neither SLACK_APP_TOKEN (Socket Mode) nor SLACK_SIGNING_SECRET (HTTP events) is
	// SLACK_BOT_TOKEN does not start with xoxb-: give the app's Bot User OAuth Token
}
