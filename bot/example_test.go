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
