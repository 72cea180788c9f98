package teams_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"os"

	"github.com/mmdbot/mmdbot/adapters/teams"
	"github.com/mmdbot/mmdbot/bot"
	"github.com/mmdbot/mmdbot/knowledge"
)

// The adapter is an http.Handler for the Bot Framework's messaging endpoint.
// mmdbot serve fills its Config from the environment; New does no I/O.
func ExampleNew() {
	cfg := teams.Config{
		AppID:       "3f2504e0-4f89-11d3-9a0c-0305e82c3301", // MICROSOFT_APP_ID
		AppPassword: "from-the-secret-store",                // MICROSOFT_APP_PASSWORD
		TenantID:    "contoso.onmicrosoft.com",              // MICROSOFT_APP_TENANT_ID
		Logger:      slog.New(slog.NewTextHandler(os.Stderr, nil)),
	}
	if !cfg.Enabled() {
		return
	}
	a, err := teams.New(cfg, bot.New(knowledge.Default(), bot.Options{}))
	if err != nil {
		fmt.Println(err)
		return
	}
	mux := http.NewServeMux()
	mux.Handle("POST /api/messages", a)
	fmt.Println("ready:", a.Ready() == nil)
	// Output: ready: true
}

// A missing half of the credentials is named in one sentence.
func ExampleConfig_Validate() {
	fmt.Println(teams.Config{AppID: "3f2504e0-4f89-11d3-9a0c-0305e82c3301"}.Validate())
	// Output: teams: MICROSOFT_APP_ID is set without MICROSOFT_APP_PASSWORD
}

// RenderCards turns a reply into Adaptive Cards; the owner comes first.
func ExampleRenderCards() {
	b := bot.New(knowledge.Default(), bot.Options{})
	cards := teams.RenderCards(b.Show("customer/printing"))
	fmt.Println(len(cards), cards[0].Version)
	fmt.Println(cards[0].FallbackText[:len("YOUR ORGANISATION IS RESPONSIBLE — Printing")])
	// Output:
	// 1 1.5
	// YOUR ORGANISATION IS RESPONSIBLE — Printing
}
