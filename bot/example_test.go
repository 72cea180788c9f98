package bot_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/mmdbot/mmdbot/bot"
	"github.com/mmdbot/mmdbot/knowledge"
)

func ExampleBot_Handle() {
	b := bot.New(knowledge.Default(), bot.Options{})
	r, _ := b.Handle(context.Background(), bot.Message{Text: "<at>mmd</at> who handles VPN issues?", Via: bot.ViaMention, Adapter: "teams"})
	fmt.Println(r.Kind)
	fmt.Println(r.Summary())
	// Output:
	// answer
	// Your organisation: Network infrastructure, including VPN
}

func ExampleParse() {
	for _, text := range []string{"/mmd list shared", "table please", "who fixes the proxy?", "thanks!"} {
		p := bot.Parse(text)
		fmt.Println(strings.TrimSpace(string(p.Intent) + " " + string(p.Owner)))
	}
	// Output:
	// list shared
	// table
	// ask
	// smalltalk
}

// Middleware wraps a Handler as net/http's does: here it answers in
// capitals, and the bot does the rest.
func ExampleHandlerFunc() {
	b := bot.New(knowledge.Default(), bot.Options{})
	shout := func(next bot.Handler) bot.Handler {
		return bot.HandlerFunc(func(ctx context.Context, m bot.Message) (bot.Reply, error) {
			r, err := next.Handle(ctx, m)
			r.Text = strings.ToUpper(r.Text)
			return r, err
		})
	}
	r, _ := shout(b).Handle(context.Background(), bot.Message{Text: "who runs payroll?"})
	fmt.Println(r.Text)
	// Output: I DON'T KNOW WHO IS RESPONSIBLE FOR THAT.
}
