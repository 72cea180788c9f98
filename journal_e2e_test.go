package main

import (
	"bytes"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack/slacktest"
)

// TestEveryDoorJournals sends the same unanswerable question through every
// way in (Slack, a Teams message, Teams' messaging extension, the web API
// and the command line) and finds it journalled from each: every question
// goes through the bot.
func TestEveryDoorJournals(t *testing.T) {
	const q = "who feeds the office goldfish?"
	posts := &slackE2EPosts{added: make(chan struct{}, 100)}
	fake := slacktest.NewTestServer(func(c slacktest.Customize) { c.Handle("/chat.postMessage", posts.handler) })
	fake.Start()
	defer fake.Stop()
	f := newTeamsE2EFakes(t)
	s := runServer(t, nil, chatE2EEnv(fake.GetAPIURL(), f))

	// Slack: a mention, answered in its thread.
	body := []byte(`{"token":"x","team_id":"T1","api_app_id":"A1","type":"event_callback","event_id":"EvJ1","event_time":1700000000,` +
		`"event":{"type":"app_mention","user":"U0ASKER","text":"<@UBOT> ` + q + `","ts":"1700000000.000100","channel":"C0GENERAL"}}`)
	if code, _ := slackE2EPost(t, s.URL+"/slack/events", "application/json", body, slackE2ESecret, time.Now()); code != 200 {
		t.Fatalf("slack: status %d", code)
	}
	select {
	case <-posts.added:
	case <-time.After(patience):
		t.Fatal("slack: no reply posted")
	}

	// Teams: a mention in a channel, then a search of the extension.
	svc := f.connector.URL + "/"
	if code, _ := teamsE2EPostActivity(t, s.URL, f.token(t, svc, nil), teamsE2EActivity(svc, map[string]any{"text": "<at>mmd</at> " + q})); code != 200 {
		t.Fatalf("teams message: status %d", code)
	}
	search := teamsE2EActivity(svc, map[string]any{
		"type": "invoke", "name": "composeExtension/query", "text": "",
		"value": map[string]any{"commandId": "searchQuery", "parameters": []any{map[string]any{"name": "searchQuery", "value": q}}},
	})
	if code, _ := teamsE2EPostActivity(t, s.URL, f.token(t, svc, nil), search); code != 200 {
		t.Fatalf("teams search: status %d", code)
	}

	// The web API.
	if resp, _ := get(t, "GET", s.URL+"/api/ask?q="+url.QueryEscape(q)); resp.StatusCode != 200 {
		t.Fatalf("web: %s", resp.Status)
	}

	// The command line, recording where the server does.
	var out bytes.Buffer
	if err := run(t.Context(), []string{"ask", "--data", s.Data, q}, func(string) string { return "" }, nil, &out, &out); err != nil {
		t.Fatalf("cli: %v\n%s", err, out.String())
	}

	// Counted the same way, whatever the door.
	_, metrics := get(t, "GET", s.URL+"/metrics")
	for _, want := range []string{
		`mmdbot_questions_total{adapter="slack",band="unknown"} 1`,
		`mmdbot_questions_total{adapter="teams",band="unknown"} 2`,
		`mmdbot_questions_total{adapter="web",band="unknown"} 1`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	un := s.stopAndReadJournal(t)
	if len(un) != 1 || !strings.Contains(un[0].Question, "goldfish") {
		t.Fatalf("unanswered %+v, want the goldfish question alone", un)
	}
	slices.Sort(un[0].Adapters)
	if want := []string{"cli", "slack", "teams", "web"}; !slices.Equal(un[0].Adapters, want) || un[0].Count != 5 {
		t.Errorf("journalled %d times from %v, want 5 times (Teams twice) from %v", un[0].Count, un[0].Adapters, want)
	}
}
