package teams

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mmdbot/mmdbot/bot"
	"github.com/mmdbot/mmdbot/knowledge"
)

// card returns the Adaptive Card of a posted activity.
func card(t *testing.T, p posted) map[string]any {
	t.Helper()
	atts, _ := p.Activity["attachments"].([]any)
	if len(atts) != 1 {
		t.Fatalf("activity has %d attachments, want 1: %s", len(atts), p.Raw)
	}
	att := atts[0].(map[string]any)
	if att["contentType"] != CardContentType {
		t.Fatalf("attachment type %v", att["contentType"])
	}
	return att["content"].(map[string]any)
}

func TestMentionInChannel(t *testing.T) {
	r := newRig(t)
	act := message(r.serviceURL(), "<at>mmd</at> who handles VPN issues?", true)
	act["id"] = "1700000000001"
	resp, _ := r.post("Bearer "+r.token(), act)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d; log:\n%s", resp.StatusCode, r.logs.String())
	}
	got := r.conn.received()
	if len(got) != 1 {
		t.Fatalf("connector got %d posts, want 1", len(got))
	}
	p := got[0]
	if want := "/v3/conversations/19:general@thread.tacv2;messageid=1700000000001/activities/1700000000001"; p.Path != want {
		t.Errorf("posted to %q, want %q", p.Path, want)
	}
	if p.Auth != "Bearer bot-access-token-1" {
		t.Errorf("Authorization %q", p.Auth)
	}
	if p.Activity["replyToId"] != "1700000000001" || p.Activity["type"] != "message" {
		t.Errorf("activity %s", p.Raw)
	}
	c := card(t, p)
	if c["version"] != "1.5" {
		t.Errorf("card version %v", c["version"])
	}
	raw := string(p.Raw)
	for _, want := range []string{"Your organisation", "Action.OpenUrl", "Action.Execute", "learn.microsoft.com", "fallbackText"} {
		if !strings.Contains(raw, want) {
			t.Errorf("reply lacks %q: %s", want, raw)
		}
	}
	// In a channel, a message that does not mention the bot gets nothing.
	quiet := message(r.serviceURL(), "who handles VPN issues?", true)
	delete(quiet, "entities")
	if resp, _ := r.post("Bearer "+r.token(), quiet); resp.StatusCode != http.StatusOK || len(r.conn.received()) != 1 {
		t.Errorf("unmentioned channel message: status %d, %d posts", resp.StatusCode, len(r.conn.received()))
	}
	// The owner comes first in the card.
	body := c["body"].([]any)
	head, _ := json.Marshal(body[0])
	if !strings.Contains(string(head), "Your organisation") {
		t.Errorf("first element %s does not name the owner", head)
	}
}

func TestMentionStripping(t *testing.T) {
	mention := func(id, name, text string) entity {
		e := entity{Type: "mention", Text: text}
		e.Mentioned.ID, e.Mentioned.Name = id, name
		return e
	}
	tests := []struct {
		name      string
		text      string
		entities  []entity
		want      string
		mentioned bool
	}{
		{"bot mention first", "<at>mmd</at> who handles VPN issues?", []entity{mention(botID, "mmd", "<at>mmd</at>")}, "who handles VPN issues?", true},
		{"bot mention last", "who handles printing <at>mmd</at>", []entity{mention(botID, "mmd", "<at>mmd</at>")}, "who handles printing", true},
		{"renamed bot", "<at>Responsibility Bot</at> table", []entity{mention(botID, "Responsibility Bot", "<at>Responsibility Bot</at>")}, "table", true},
		{"another person kept by name", "<at>mmd</at> does <at>Ada Lovelace</at> own VPN?", []entity{mention(botID, "mmd", "<at>mmd</at>"), mention("29:ada", "Ada Lovelace", "<at>Ada Lovelace</at>")}, "does Ada Lovelace own VPN?", true},
		{"no entity, no guessing", "<at>mmd</at> help", nil, "<at>mmd</at> help", false},
		{"entity text absent", "help", []entity{mention(botID, "mmd", "<at>mmd</at>")}, "help", false},
		{"html entities", "<at>mmd</at> who does VPN &amp; proxy?", []entity{mention(botID, "mmd", "<at>mmd</at>")}, "who does VPN & proxy?", true},
		{"other entity types ignored", "help", []entity{{Type: "clientInfo"}}, "help", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &incoming{Entities: tt.entities}
			a.Text = tt.text
			a.Recipient.ID = botID
			got, mentioned := a.question()
			if got != tt.want || mentioned != tt.mentioned {
				t.Errorf("question() = %q, %v; want %q, %v", got, mentioned, tt.want, tt.mentioned)
			}
		})
	}
}

func TestConnectorRetriesAfter429(t *testing.T) {
	r := newRig(t)
	r.conn.answer = func(n int) (int, string) {
		if n == 1 {
			return http.StatusTooManyRequests, "1"
		}
		return http.StatusOK, ""
	}
	start := time.Now()
	resp, _ := r.post("Bearer "+r.token(), message(r.serviceURL(), "who handles VPN issues?", false))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d; log:\n%s", resp.StatusCode, r.logs.String())
	}
	r.settle()
	elapsed := time.Since(start)
	if n := r.conn.attempts.Load(); n != 2 {
		t.Errorf("connector tried %d times, want 2", n)
	}
	if len(r.conn.received()) != 1 {
		t.Errorf("connector got %d replies, want 1", len(r.conn.received()))
	}
	if elapsed < time.Second {
		t.Errorf("retried after %s, before Retry-After's second", elapsed)
	}
}

// A connector answering 500 does not lose the reply: the activity is
// acknowledged once the reply is stored, and the reply retried until it
// goes.
func TestConnectorFailingThenWorking(t *testing.T) {
	r := newRig(t)
	r.conn.answer = func(n int) (int, string) {
		if n <= 2 {
			return http.StatusInternalServerError, ""
		}
		return http.StatusOK, ""
	}
	resp, _ := r.post("Bearer "+r.token(), message(r.serviceURL(), "help", false))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200", resp.StatusCode)
	}
	r.settle()
	if n := len(r.conn.received()); n != 1 || r.conn.attempts.Load() != 3 {
		t.Fatalf("%d replies in %d attempts, want 1 in 3", n, r.conn.attempts.Load())
	}
	if !strings.Contains(r.logs.String(), "reply not delivered: will retry") {
		t.Errorf("the failed attempts are not logged:\n%s", r.logs.String())
	}
}

func TestTokenEndpointDownThenUp(t *testing.T) {
	r := newRig(t)
	r.tokens.down.Store(true)
	resp, _ := r.post("Bearer "+r.token(), message(r.serviceURL(), "help", false))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200: the reply is stored", resp.StatusCode)
	}
	if n := r.conn.attempts.Load(); n != 0 {
		t.Errorf("connector reached %d times without a token", n)
	}
	if n := r.tokens.hits.Load(); n < attempts {
		t.Errorf("token endpoint tried %d times, want at least %d", n, attempts)
	}
	r.tokens.down.Store(false)
	r.settle()
	if got := r.conn.received(); len(got) != 1 || got[0].Auth != "Bearer bot-access-token-1" {
		t.Errorf("after recovery: %d replies", len(got))
	}
}

func TestTokenEndpointUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	ts := newTokenSource(srv.URL, testAppID, testSecret, &http.Client{}, time.Now)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	tok, err := ts.Token(ctx)
	if err == nil || tok != "" {
		t.Fatalf("Token() = %q, %v; want an error", tok, err)
	}
	if strings.Contains(err.Error(), testSecret) {
		t.Errorf("error holds the secret: %v", err)
	}
}

func TestTokenCachedAndRenewedEarly(t *testing.T) {
	te := newTokenEndpoint(t)
	clock := time.Now()
	ts := newTokenSource(te.srv.URL, testAppID, testSecret, &http.Client{}, func() time.Time { return clock })
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			if tok, err := ts.Token(context.Background()); err != nil || tok != "bot-access-token-1" {
				t.Errorf("Token() = %q, %v", tok, err)
			}
		})
	}
	wg.Wait()
	if n := te.hits.Load(); n != 1 {
		t.Fatalf("50 concurrent callers fetched %d tokens, want 1", n)
	}
	te.token.Store("bot-access-token-2")
	clock = clock.Add(time.Hour - tokenEarly - time.Second)
	if tok, _ := ts.Token(context.Background()); tok != "bot-access-token-1" {
		t.Errorf("renewed too early: %q", tok)
	}
	clock = clock.Add(2 * time.Second)
	if tok, _ := ts.Token(context.Background()); tok != "bot-access-token-2" {
		t.Errorf("not renewed %s before expiry: %q", tokenEarly, tok)
	}
}

func TestServiceURLNotAllowed(t *testing.T) {
	r := newRig(t)
	// The connector's own address, but named by a host that is not allowed.
	svc := strings.Replace(r.serviceURL(), "127.0.0.1", "localhost", 1)
	tok := sign(t, r.kid, r.key, goodClaims(svc))
	resp, _ := r.post("Bearer "+tok, message(svc, "help", false))
	if resp.StatusCode != http.StatusBadGateway {
		t.Fatalf("status %d, want 502", resp.StatusCode)
	}
	if n := r.conn.attempts.Load(); n != 0 {
		t.Errorf("%d requests reached the disallowed serviceUrl", n)
	}
	if n := r.tokens.hits.Load(); n != 0 {
		t.Errorf("a token was fetched %d times for a disallowed serviceUrl", n)
	}
	if r.tel.count("service-url") != 1 {
		t.Errorf("refusal not counted: %v", r.tel.refused)
	}
}

func TestHostPolicy(t *testing.T) {
	p := hostPolicy{extra: []string{"127.0.0.1", ".example.org"}}
	tests := []struct {
		url string
		ok  bool
	}{
		{"https://smba.trafficmanager.net/amer/", true},
		{"https://smba.trafficmanager.net/teams/", true},
		{"https://europe.webchat.botframework.com/", true},
		{"https://smba.infra.gcc.teams.microsoft.com/", true},
		{"http://smba.trafficmanager.net/amer/", false},
		{"https://smba.trafficmanager.net.evil.com/", false},
		{"https://evilbotframework.com/", false},
		{"https://user@smba.trafficmanager.net/", false},
		{"http://127.0.0.1:3978/", true},
		{"http://127.0.0.2/", false},
		{"http://localhost/", false},
		{"https://bots.example.org/", true},
		{"https://example.org/", false},
		{"ftp://smba.trafficmanager.net/", false},
		{"not a url", false},
	}
	for _, tt := range tests {
		if _, err := p.allow(tt.url); (err == nil) != tt.ok {
			t.Errorf("allow(%q) = %v, want ok=%v", tt.url, err, tt.ok)
		}
	}
	dev := hostPolicy{dev: true}
	if _, err := dev.allow("http://localhost:56150/_connector"); err != nil {
		t.Errorf("development: %v", err)
	}
}

// An allowed host that is not loopback gets the bot's token only over
// https: plain http is for loopback alone.
func TestHostPolicyPlainHTTPOnlyToLoopback(t *testing.T) {
	p := hostPolicy{extra: []string{"127.0.0.1", "127.0.0.5", "::1", "localhost", "connector.example.com", ".example.org", "10.0.0.7"}}
	tests := []struct {
		url string
		ok  bool
	}{
		{"http://127.0.0.1:3978/", true},
		{"http://127.0.0.5/", true},
		{"http://[::1]:3978/", true},
		{"http://localhost:3978/", true},
		{"http://LOCALHOST./", true},
		{"https://127.0.0.1/", true},
		{"https://connector.example.com/", true},
		{"http://connector.example.com/", false},
		{"https://bots.example.org/", true},
		{"http://bots.example.org/", false},
		{"https://10.0.0.7/", true},
		{"http://10.0.0.7/", false},
		{"http://localhost.example.org/", false},
	}
	for _, tt := range tests {
		if _, err := p.allow(tt.url); (err == nil) != tt.ok {
			t.Errorf("allow(%q) = %v, want ok=%v", tt.url, err, tt.ok)
		}
	}
	if _, err := p.allow("http://connector.example.com/"); err == nil || !strings.Contains(err.Error(), "https") {
		t.Errorf("refusal of plain http = %v, want it to say https", err)
	}
}

func TestBodyTooLarge(t *testing.T) {
	r := newRig(t)
	big := message(r.serviceURL(), strings.Repeat("a", MaxBody), false)
	resp, _ := r.post("Bearer "+r.token(), big)
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d, want 413", resp.StatusCode)
	}
	if r.tel.count("too-large") != 1 {
		t.Errorf("not counted: %v", r.tel.refused)
	}
}

func TestBadActivity(t *testing.T) {
	r := newRig(t)
	req, _ := http.NewRequest(http.MethodPost, r.srv.URL+"/api/messages", strings.NewReader(`{"type":"message","text":`))
	req.Header.Set("Authorization", "Bearer "+r.token())
	resp, err := r.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("status %d, want 400", resp.StatusCode)
	}
}

func TestWelcome(t *testing.T) {
	r := newRig(t)
	act := message(r.serviceURL(), "", true)
	act["type"] = "conversationUpdate"
	delete(act, "text")
	act["membersAdded"] = []any{map[string]any{"id": botID}}
	resp, _ := r.post("Bearer "+r.token(), act)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	got := r.conn.received()
	if len(got) != 1 {
		t.Fatalf("%d posts, want the welcome card", len(got))
	}
	if want := "/v3/conversations/19:general@thread.tacv2;messageid=1700000000001/activities"; got[0].Path != want {
		t.Errorf("posted to %q, want %q", got[0].Path, want)
	}
	if !strings.Contains(string(got[0].Raw), "Hi, I'm mmd") {
		t.Errorf("not a welcome: %s", got[0].Raw)
	}
	// Someone else joining gets nothing.
	act["membersAdded"] = []any{map[string]any{"id": "29:someone"}}
	r.post("Bearer "+r.token(), act)
	if len(r.conn.received()) != 1 {
		t.Error("welcomed someone else")
	}
}

func TestSubmissions(t *testing.T) {
	r := newRig(t)
	submitAct := func(v map[string]any) map[string]any {
		a := message(r.serviceURL(), "", true)
		delete(a, "text")
		delete(a, "entities")
		a["value"] = v
		return a
	}
	// A "did you mean" choice shows the entry.
	resp, _ := r.post("Bearer "+r.token(), submitAct(map[string]any{"mmd": "show", "id": "customer/network-infrastructure-including-vpn"}))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("show: status %d", resp.StatusCode)
	}
	got := r.conn.received()
	if len(got) != 1 || !strings.Contains(string(got[0].Raw), "Network infrastructure") {
		t.Fatalf("show: %d posts", len(got))
	}
	// 👎 is recorded with the question.
	resp, _ = r.post("Bearer "+r.token(), submitAct(map[string]any{"mmd": "vote", "id": "customer/network-infrastructure-including-vpn", "vote": "down", "q": "who fixes the wifi?"}))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("vote: status %d", resp.StatusCode)
	}
	fb, err := r.store.Feedback(context.Background(), time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(fb) != 1 || fb[0].EntryID != "customer/network-infrastructure-including-vpn" || fb[0].Down != 1 || len(fb[0].Downvoted) != 1 || fb[0].Downvoted[0] != "who fixes the wifi?" {
		t.Errorf("feedback recorded: %+v", fb)
	}
	got = r.conn.received()
	if len(got) != 2 || got[1].Activity["text"] != bot.Thanks(false, nil) {
		t.Errorf("vote acknowledgement: %+v", got[len(got)-1].Activity)
	}
	// A command button runs the command; the table may take several cards.
	r.post("Bearer "+r.token(), submitAct(map[string]any{"mmd": "ask", "q": "table"}))
	if got = r.conn.received(); len(got) < 3 || !strings.Contains(string(got[2].Raw), "Microsoft Managed Desktop responsibilities") {
		t.Errorf("table button: %d posts", len(got))
	}
	// Foreign or broken submissions are ignored.
	before := len(r.conn.received())
	for _, v := range []map[string]any{{"mmd": "vote", "id": "x", "vote": "sideways"}, {"other": "card"}, {"mmd": 42}} {
		if resp, _ := r.post("Bearer "+r.token(), submitAct(v)); resp.StatusCode != http.StatusOK {
			t.Errorf("%v: status %d", v, resp.StatusCode)
		}
	}
	if len(r.conn.received()) != before {
		t.Error("replied to a foreign submission")
	}
}

// TestVoteInPlace: a 👍 or 👎 (Action.Execute) is answered in the invoke's
// response with the card that replaces the pressed one, the vote
// acknowledged with an undo; nothing is posted to the conversation. One
// vote per person per answer: a change of mind replaces it, undo takes it
// back.
func TestVoteInPlace(t *testing.T) {
	r := newRig(t)
	vpn := "customer/network-infrastructure-including-vpn"
	press := func(verb string, data map[string]any) (cardResponse, string) {
		t.Helper()
		a := message(r.serviceURL(), "", true)
		delete(a, "text")
		delete(a, "entities")
		a["type"], a["name"] = "invoke", "adaptiveCard/action"
		a["value"] = map[string]any{"action": map[string]any{"type": "Action.Execute", "verb": verb, "data": data}, "trigger": "manual"}
		resp, body := r.post("Bearer "+r.token(), a)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d: %s", resp.StatusCode, body)
		}
		var res cardResponse
		if err := json.Unmarshal(body, &res); err != nil {
			t.Fatalf("%v: %s", err, body)
		}
		return res, string(body)
	}
	votes := func() (up, down int) {
		t.Helper()
		fb, err := r.store.Feedback(context.Background(), time.Now().Add(-time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fb {
			up, down = up+f.Up, down+f.Down
		}
		return up, down
	}
	vote := func(v string) map[string]any {
		return map[string]any{"mmd": "vote", "id": vpn, "vote": v, "q": "who handles VPN issues?"}
	}

	res, body := press(voteVerb, vote("up"))
	if res.StatusCode != http.StatusOK || res.Type != CardContentType || !strings.Contains(body, bot.Thanks(true, nil)) ||
		!strings.Contains(body, `"vote":"undo"`) || strings.Contains(body, `"vote":"up"`) || !strings.Contains(body, "Network infrastructure") {
		t.Errorf("👍: %s", body)
	}
	if _, body = press(voteVerb, vote("down")); !strings.Contains(body, bot.Thanks(false, nil)) {
		t.Errorf("👎: %s", body)
	}
	if up, down := votes(); up != 0 || down != 1 {
		t.Errorf("after 👍 then 👎: %d 👍 and %d 👎 recorded, want the 👎 alone", up, down)
	}
	if _, body = press(voteVerb, vote("undo")); strings.Contains(body, "Thanks") || !strings.Contains(body, `"vote":"up"`) {
		t.Errorf("undo: %s", body)
	}
	if up, down := votes(); up != 0 || down != 0 {
		t.Errorf("after undo: %d 👍 and %d 👎 recorded, want none", up, down)
	}
	if got := r.conn.received(); len(got) != 0 {
		t.Errorf("voting posted %d messages to the conversation", len(got))
	}
	// A verb or data that is not mmdbot's is refused in the response.
	if res, _ = press("approve", vote("up")); res.StatusCode != http.StatusBadRequest {
		t.Errorf("foreign verb: %+v", res)
	}
	if res, _ = press(voteVerb, map[string]any{"mmd": "vote", "vote": "up"}); res.Type == CardContentType {
		t.Errorf("vote without an entry: %+v", res)
	}
}

func TestComposeExtensionQuery(t *testing.T) {
	r := newRig(t)
	invoke := func(params []any, opts map[string]any) map[string]any {
		a := message(r.serviceURL(), "", false)
		delete(a, "text")
		a["type"] = "invoke"
		a["name"] = "composeExtension/query"
		a["value"] = map[string]any{"commandId": SearchCommand, "parameters": params, "queryOptions": opts}
		return a
	}
	start := time.Now()
	resp, body := r.post("Bearer "+r.token(), invoke([]any{map[string]any{"name": "searchQuery", "value": "vpn"}}, map[string]any{"skip": 0, "count": 25}))
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("answered in %s", elapsed)
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("status %d, %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var res invokeResponse
	if err := json.Unmarshal(body, &res); err != nil {
		t.Fatal(err)
	}
	atts := res.ComposeExtension.Attachments
	if res.ComposeExtension.Type != "result" || len(atts) == 0 {
		t.Fatalf("response %s", body)
	}
	if atts[0].Preview.Content.Title != "Network infrastructure, including VPN" {
		t.Errorf("first result %q", atts[0].Preview.Content.Title)
	}
	if strings.Contains(string(body), "Action.Submit") {
		t.Error("an inserted card carries feedback buttons")
	}
	if n := len(r.conn.received()); n != 0 {
		t.Errorf("the invoke posted %d activities to the connector", n)
	}
	// Opening the extension lists entries, as many as asked.
	_, body = r.post("Bearer "+r.token(), invoke([]any{map[string]any{"name": "initialRun", "value": "true"}}, map[string]any{"skip": 0, "count": 3}))
	json.Unmarshal(body, &res)
	if len(res.ComposeExtension.Attachments) != 3 {
		t.Errorf("initial run: %d results, want 3", len(res.ComposeExtension.Attachments))
	}
	// Unknown invokes are not implemented.
	a := invoke(nil, nil)
	a["name"] = "task/fetch"
	if resp, _ := r.post("Bearer "+r.token(), a); resp.StatusCode != http.StatusNotImplemented {
		t.Errorf("task/fetch: status %d", resp.StatusCode)
	}
}

func TestDevMode(t *testing.T) {
	conn := newConnector(t)
	tel := &telemetry{}
	a, err := New(Config{Dev: true}, bot.New(knowledge.Default(), bot.Options{Telemetry: tel}))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a)
	defer srv.Close()
	body, _ := json.Marshal(message(conn.srv.URL+"/", "who handles printing?", false))
	resp, err := http.Post(srv.URL, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	got := conn.received()
	if len(got) != 1 || got[0].Auth != "" {
		t.Fatalf("dev reply: %d posts, auth %q", len(got), got[0].Auth)
	}
	// Not from loopback, or through a proxy: refused.
	for _, req := range []*http.Request{
		httptest.NewRequest(http.MethodPost, "/api/messages", bytes.NewReader(body)),
		func() *http.Request {
			r := httptest.NewRequest(http.MethodPost, "/api/messages", bytes.NewReader(body))
			r.RemoteAddr = "127.0.0.1:5555"
			r.Header.Set("X-Forwarded-For", "203.0.113.9")
			return r
		}(),
	} {
		w := httptest.NewRecorder()
		a.ServeHTTP(w, req)
		if w.Code != http.StatusForbidden {
			t.Errorf("from %s: status %d, want 403", req.RemoteAddr, w.Code)
		}
	}
	if tel.count("not-loopback") != 2 {
		t.Errorf("refusals: %v", tel.refused)
	}
}

func TestConfig(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		enabled bool
		err     string
	}{
		{"nothing", Config{}, false, "not set"},
		// Any of its settings turns the adapter on; Validate says what
		// else it needs.
		{"id without password", Config{AppID: "x"}, true, "without MICROSOFT_APP_PASSWORD"},
		{"password without id", Config{AppPassword: "x"}, true, "without MICROSOFT_APP_ID"},
		{"tenant alone", Config{TenantID: "t"}, true, "MICROSOFT_APP_TENANT_ID is set without"},
		{"credentials", Config{AppID: testAppID, AppPassword: "y"}, true, ""},
		{"upper-case id", Config{AppID: strings.ToUpper(testAppID), AppPassword: "y"}, true, ""},
		{"id not a GUID", Config{AppID: "x", AppPassword: "y"}, true, "MICROSOFT_APP_ID is not a GUID"},
		{"id a GUID in braces", Config{AppID: "{" + testAppID + "}", AppPassword: "y"}, true, "MICROSOFT_APP_ID is not a GUID"},
		{"id a GUID without hyphens", Config{AppID: strings.ReplaceAll(testAppID, "-", ""), AppPassword: "y"}, true, "MICROSOFT_APP_ID is not a GUID"},
		{"id in development", Config{Dev: true, AppID: "my-bot", AppPassword: "y"}, true, "MICROSOFT_APP_ID is not a GUID"},
		{"tenant a GUID", Config{AppID: testAppID, AppPassword: "y", TenantID: "72f988bf-86f1-41af-91ab-2d7cd011db47"}, true, ""},
		{"tenant a domain", Config{AppID: testAppID, AppPassword: "y", TenantID: "contoso.onmicrosoft.com"}, true, ""},
		{"tenant botframework.com", Config{AppID: testAppID, AppPassword: "y", TenantID: DefaultTokenTenant}, true, ""},
		{"tenant a word", Config{AppID: testAppID, AppPassword: "y", TenantID: "tenant"}, true, "MICROSOFT_APP_TENANT_ID is neither a GUID nor a domain name"},
		{"tenant a path", Config{AppID: testAppID, AppPassword: "y", TenantID: "contoso.com/../common"}, true, "MICROSOFT_APP_TENANT_ID is neither a GUID nor a domain name"},
		{"tenant a broken GUID", Config{AppID: testAppID, AppPassword: "y", TenantID: "72f988bf-86f1-41af-91ab"}, true, "MICROSOFT_APP_TENANT_ID is neither a GUID nor a domain name"},
		{"dev", Config{Dev: true}, true, ""},
		{"bad allow", Config{Dev: true, ServiceURLAllow: []string{"http://x/"}}, true, "host names"},
		{"bad token url", Config{AppID: testAppID, AppPassword: "y", TokenURL: "login.example"}, true, "TEAMS_TOKEN_URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.cfg.Enabled(); got != tt.enabled {
				t.Errorf("Enabled() = %v", got)
			}
			err := tt.cfg.Validate()
			if (tt.err == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tt.err) {
				t.Errorf("Validate() = %v, want %q", err, tt.err)
			}
		})
	}
	c := Config{AppID: testAppID, AppPassword: "pw", TenantID: "contoso.onmicrosoft.com"}
	if got := c.tokenURL(); got != "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token" {
		t.Errorf("token URL of a single-tenant bot: %s", got)
	}
	if (Config{}).tokenURL() != "https://login.microsoftonline.com/botframework.com/oauth2/v2.0/token" || (Config{}).metadataURL() != DefaultOpenIDMetadataURL {
		t.Error("defaults")
	}
	if _, err := New(Config{}, bot.New(knowledge.Default(), bot.Options{})); err == nil {
		t.Error("New without credentials")
	}
}

func TestConnectorRedirectNotFollowed(t *testing.T) {
	r := newRig(t)
	elsewhere := newConnector(t)
	r.conn.srv.Config.Handler = http.RedirectHandler(elsewhere.srv.URL+"/v3/conversations/x/activities", http.StatusTemporaryRedirect)
	resp, _ := r.post("Bearer "+r.token(), message(r.serviceURL(), "help", false))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200", resp.StatusCode)
	}
	r.settle()
	if r.tel.count("connector") != 1 {
		t.Errorf("the refused reply is not counted: %v", r.tel.refused)
	}
	if n := elsewhere.attempts.Load(); n != 0 {
		t.Errorf("the redirect was followed: %d requests elsewhere", n)
	}
}
