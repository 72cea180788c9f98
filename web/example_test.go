package web_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"

	"github.com/mmdbot/mmdbot/bot"
	"github.com/mmdbot/mmdbot/knowledge"
	"github.com/mmdbot/mmdbot/web"
)

// Mount the site's handlers on a mux, the way the serve command does, and
// ask the API a question.
func ExampleNew() {
	b := bot.New(knowledge.Default(), bot.Options{})
	site := web.New(b, web.Options{Logger: slog.New(slog.DiscardHandler)})

	mux := http.NewServeMux()
	mux.Handle("GET /{$}", site.Page())
	mux.Handle("GET /api/ask", site.Ask())
	mux.Handle("GET /api/entries", site.Entries())
	mux.Handle("GET /static/", site.Static())
	srv := httptest.NewServer(mux)
	defer srv.Close()

	res, err := http.Get(srv.URL + "/api/ask?q=who+fixes+printers%3F")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer res.Body.Close()
	var reply bot.ReplyJSON
	if err := json.NewDecoder(res.Body).Decode(&reply); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.StatusCode, reply.Answer.Title, "—", reply.Answer.Owner.Label())
	// Output:
	// 200 Printing — Your organisation
}
