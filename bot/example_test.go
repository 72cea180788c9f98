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
	r, _ := b.Handle(context.Background(), bot.Message{Text: "<at>mmd</at> who handles user support?", Via: bot.ViaMention, Adapter: "teams"})
	fmt.Println(r.Kind)
	fmt.Println(r.Summary())
	// Output:
	// answer
	// Microsoft: User support; Your organisation: User support
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
