package teams

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/mmdbot/mmdbot/bot"
)

// TestAnnounce: the digest goes to the admins' conversation as a proactive
// message, with the bot's token, to the fake connector's
// /v3/conversations/{id}/activities (answering no activity); a 500 on the
// way is retried and the card posted once.
func TestAnnounce(t *testing.T) {
	r := newRig(t)
	r.conn.answer = func(n int) (int, string) {
		if n == 1 {
			return http.StatusInternalServerError, ""
		}
		return http.StatusOK, ""
	}
	const conversation = "19:admins@thread.tacv2"
	d := bot.NewDigest(bot.Digest{Unanswered: 4, People: 3, URL: "https://mmd.example.com/admin",
		Top: []bot.DigestRow{{Question: "who runs [payroll](https://evil.example/)?", Count: 4, People: 3}}})
	if err := r.adapter.Announce(t.Context(), r.serviceURL(), conversation, d); err != nil {
		t.Fatal(err)
	}
	r.settle()
	got := r.conn.received()
	if len(got) != 1 || r.conn.attempts.Load() != 2 {
		t.Fatalf("%d activities in %d attempts, want 1 in 2", len(got), r.conn.attempts.Load())
	}
	p := got[0]
	if want := "/v3/conversations/" + conversation + "/activities"; p.Path != want {
		t.Errorf("posted to %q, want %q", p.Path, want)
	}
	if p.Auth != "Bearer bot-access-token-1" {
		t.Errorf("authorization %q", p.Auth)
	}
	if p.Activity["type"] != "message" || p.Activity["replyToId"] != nil || p.Activity["summary"] != d.Text {
		t.Errorf("activity %v", p.Activity)
	}
	if conv, _ := p.Activity["conversation"].(map[string]any); conv["id"] != conversation {
		t.Errorf("conversation %v", p.Activity["conversation"])
	}
	c := card(t, p)
	raw := string(p.Raw)
	for _, want := range []string{bot.DigestTitle, `"Action.OpenUrl"`, "https://mmd.example.com/admin", `\\[payroll\\]`} {
		if !strings.Contains(raw, want) {
			t.Errorf("the card lacks %s: %v", want, c)
		}
	}
}

// TestAnnounceServiceURLNotAllowed: a digest to a serviceUrl the host
// policy refuses is not owed, and neither the connector nor the token
// endpoint hears of it.
func TestAnnounceServiceURLNotAllowed(t *testing.T) {
	r := newRig(t)
	d := bot.NewDigest(bot.Digest{})
	for _, svc := range []string{"https://evil.example/teams/", strings.Replace(r.serviceURL(), "127.0.0.1", "localhost", 1), "not a url"} {
		err := r.adapter.Announce(t.Context(), svc, "19:admins@thread.tacv2", d)
		var rh errRefusedHost
		if !errors.As(err, &rh) {
			t.Errorf("%s: %v, want a refusal of the host", svc, err)
		}
	}
	if err := r.adapter.Announce(t.Context(), r.serviceURL(), "", d); err == nil {
		t.Error("a digest to no conversation was owed")
	}
	if n, _ := r.adapter.ownStore.Pending(t.Context()); n != 0 {
		t.Errorf("%d replies owed", n)
	}
	if r.conn.attempts.Load() != 0 || r.tokens.hits.Load() != 0 {
		t.Errorf("the connector got %d requests, the token endpoint %d", r.conn.attempts.Load(), r.tokens.hits.Load())
	}
}

// TestAllowsServiceURL: a configured serviceUrl is checked as every
// reply's is, before anything is sent.
func TestAllowsServiceURL(t *testing.T) {
	for _, tt := range []struct {
		cfg Config
		url string
		ok  bool
	}{
		{Config{}, "https://smba.trafficmanager.net/teams/", true},
		{Config{}, "https://smba.infra.gcc.teams.microsoft.com/teams", true},
		{Config{}, "https://evil.example/teams/", false},
		{Config{ServiceURLAllow: []string{"Connector.Example.com"}}, "https://connector.example.com/", true},
		{Config{}, "http://smba.trafficmanager.net/teams/", false},
		{Config{}, "http://127.0.0.1:3978/", false},
		{Config{Dev: true}, "http://127.0.0.1:3978/", true},
		{Config{}, "smba.trafficmanager.net", false},
	} {
		if err := tt.cfg.AllowsServiceURL(tt.url); (err == nil) != tt.ok {
			t.Errorf("%+v, %s: %v, want allowed %v", tt.cfg.ServiceURLAllow, tt.url, err, tt.ok)
		}
	}
}
