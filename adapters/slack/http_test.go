package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/mmdbot/mmdbot/bot"
	"github.com/mmdbot/mmdbot/knowledge"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string // part of the error; "" for none
	}{
		{"socket mode", Config{BotToken: testBotToken, AppToken: testAppToken}, ""},
		{"http", Config{BotToken: testBotToken, SigningSecret: testSecret}, ""},
		{"both", Config{BotToken: testBotToken, AppToken: testAppToken, SigningSecret: testSecret, AllowedChannels: []string{"C0123", " G456 "}}, ""},
		{"nothing", Config{}, "SLACK_BOT_TOKEN is not set"},
		{"app token only", Config{AppToken: testAppToken}, "SLACK_BOT_TOKEN is not set"},
		{"user token", Config{BotToken: "xoxp-1", SigningSecret: testSecret}, "xoxb-"},
		{"bot token as app token", Config{BotToken: testBotToken, AppToken: "xoxb-2"}, "xapp-"},
		{"bot token alone", Config{BotToken: testBotToken}, "neither SLACK_APP_TOKEN"},
		{"bad api url", Config{BotToken: testBotToken, SigningSecret: testSecret, APIURL: "slack.local"}, "SLACK_API_URL"},
		{"bad channel", Config{BotToken: testBotToken, SigningSecret: testSecret, AllowedChannels: []string{"#general"}}, "SLACK_ALLOWED_CHANNELS"},
		{"negative workers", Config{BotToken: testBotToken, SigningSecret: testSecret, Workers: -1}, "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Validate: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("Validate = %v, want an error about %q", err, tt.want)
			}
			if err != nil {
				for _, secret := range []string{testSecret, testBotToken, testAppToken} {
					if strings.Contains(err.Error(), secret) {
						t.Errorf("the error repeats a secret: %v", err)
					}
				}
			}
		})
	}
	a, err := New(Config{BotToken: testBotToken, AppToken: testAppToken, APIURL: "http://127.0.0.1:1/api"}, bot.New(knowledge.Default(), bot.Options{}))
	if err != nil {
		t.Fatal(err)
	}
	if a.HTTPEnabled() || !a.SocketModeEnabled() || a.Ready() == nil {
		t.Errorf("HTTPEnabled %v, SocketModeEnabled %v, Ready %v", a.HTTPEnabled(), a.SocketModeEnabled(), a.Ready())
	}
	if a.cfg.APIURL != "http://127.0.0.1:1/api/" {
		t.Errorf("APIURL %q does not end in /", a.cfg.APIURL)
	}
}

// TestRefused: forged, stale, unsigned, oversized and malformed requests get
// nothing but their status, on every route.
func TestRefused(t *testing.T) {
	h := newHarness(t)
	body := eventBody("Ev1", `{"type":"app_mention","user":"U0ASKER","text":"<@UBOT0001> who handles VPN issues?","ts":"1.1","channel":"C0GENERAL"}`)
	tests := []struct {
		name   string
		body   []byte
		mod    func(*http.Request)
		status int
		reason string
	}{
		{"forged", body, func(r *http.Request) { sign(r.Header, body, "not-the-secret", time.Now()) }, 401, "signature"},
		{"tampered", body, func(r *http.Request) {
			sign(r.Header, bytes.Replace(body, []byte("VPN"), []byte("WiFi"), 1), testSecret, time.Now())
		}, 401, "signature"},
		{"stale", body, func(r *http.Request) { sign(r.Header, body, testSecret, time.Now().Add(-6*time.Minute)) }, 401, "stale"},
		{"from the future", body, func(r *http.Request) { sign(r.Header, body, testSecret, time.Now().Add(6*time.Minute)) }, 401, "stale"},
		{"unsigned", body, func(r *http.Request) {
			r.Header.Del("X-Slack-Signature")
			r.Header.Del("X-Slack-Request-Timestamp")
		}, 401, "unsigned"},
		{"no signature", body, func(r *http.Request) { r.Header.Del("X-Slack-Signature") }, 401, "unsigned"},
		{"not hex", body, func(r *http.Request) { r.Header.Set("X-Slack-Signature", "v0=zz") }, 401, "signature"},
		{"v1", body, func(r *http.Request) {
			r.Header.Set("X-Slack-Signature", strings.Replace(r.Header.Get("X-Slack-Signature"), "v0=", "v1=", 1))
		}, 401, "signature"},
		{"too large", bytes.Repeat([]byte("x"), maxBody+1), nil, 413, "too-large"},
		{"get", nil, func(r *http.Request) { r.Method = http.MethodGet }, 405, "method"},
		{"signed nonsense", []byte("{not json"), nil, 400, "bad-request"},
	}
	routes := map[string]http.Handler{"events": h.a.Events(), "commands": h.a.Commands(), "interactions": h.a.Interactions()}
	for _, tt := range tests {
		for name, route := range routes {
			if tt.name == "signed nonsense" && name != "events" {
				continue
			}
			t.Run(tt.name+"/"+name, func(t *testing.T) {
				before := h.tel.refusals("slack/" + tt.reason)
				var mods []func(*http.Request)
				if tt.mod != nil {
					mods = append(mods, tt.mod)
				}
				rec := do(t, route, "application/json", tt.body, mods...)
				if rec.Code != tt.status {
					t.Errorf("status %d, want %d", rec.Code, tt.status)
				}
				if got := h.tel.refusals("slack/" + tt.reason); got != before+1 {
					t.Errorf("refusals for %q: %d, want %d", tt.reason, got, before+1)
				}
			})
		}
	}
	settle(t, h.a)
	if n := h.slack.count(); n != 0 {
		t.Errorf("refused requests made %d calls to Slack", n)
	}
}

func TestURLVerification(t *testing.T) {
	h := newHarness(t)
	rec := do(t, h.a.Events(), "application/json", []byte(`{"token":"x","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`))
	if rec.Code != 200 || rec.Body.String() != "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" {
		t.Fatalf("url_verification: %d %q", rec.Code, rec.Body.String())
	}
}

// TestMention: a question in a channel is answered once, in its thread, with
// the owner first; retries, edits, bots and the bot itself are ignored.
func TestMention(t *testing.T) {
	h := newHarness(t)
	mention := eventBody("Ev0001", `{"type":"app_mention","user":"U0ASKER","text":"<@UBOT0001> who handles VPN issues? <!channel>","ts":"1700000000.000100","channel":"C0GENERAL","event_ts":"1700000000.000100"}`)
	if rec := do(t, h.a.Events(), "application/json", mention); rec.Code != 200 {
		t.Fatalf("status %d", rec.Code)
	}
	// Slack retries: the same event again, twice.
	for _, n := range []string{"1", "2"} {
		rec := do(t, h.a.Events(), "application/json", mention, func(r *http.Request) { r.Header.Set("X-Slack-Retry-Num", n) })
		if rec.Code != 200 {
			t.Fatalf("retry: status %d", rec.Code)
		}
	}
	// Ignored: an edit, a bot's mention, the bot's own message, an unknown event.
	for i, inner := range []string{
		`{"type":"app_mention","user":"U0ASKER","text":"<@UBOT0001> printing","ts":"1.2","channel":"C0GENERAL","edited":{"user":"U0ASKER","ts":"1.3"}}`,
		`{"type":"app_mention","user":"U0OTHERBOT","bot_id":"B123","text":"<@UBOT0001> printing","ts":"1.4","channel":"C0GENERAL"}`,
		`{"type":"app_mention","user":"` + testBotUser + `","text":"<@UBOT0001> printing","ts":"1.5","channel":"C0GENERAL"}`,
		`{"type":"reaction_added","user":"U0ASKER","reaction":"thumbsup","item":{"type":"message","channel":"C0GENERAL","ts":"1.1"},"event_ts":"1.6"}`,
		`{"type":"some_future_event","user":"U0ASKER"}`,
	} {
		if rec := do(t, h.a.Events(), "application/json", eventBody("EvIgnored"+string(rune('a'+i)), inner)); rec.Code != 200 {
			t.Fatalf("ignored event %d: status %d", i, rec.Code)
		}
	}
	p := h.exactly(t, "/chat.postMessage", 1)[0]
	if p.Form.Get("channel") != "C0GENERAL" || p.Form.Get("thread_ts") != "1700000000.000100" {
		t.Errorf("posted to %q thread %q, want C0GENERAL thread 1700000000.000100", p.Form.Get("channel"), p.Form.Get("thread_ts"))
	}
	if got := p.Form.Get("text"); got != "Your organisation: Network infrastructure, including VPN" {
		t.Errorf("notification text %q", got)
	}
	blocks := blocksOf(t, p)
	if hs := headerTexts(blocks); len(hs) == 0 || !strings.Contains(hs[0], "Your organisation is responsible") {
		t.Errorf("the owner does not come first: headers %q", hs)
	}
	if strings.Contains(p.Form.Get("blocks"), "<!channel>") {
		t.Error("the reply echoes <!channel> unescaped")
	}
	checkLimits(t, "mention", []message{{Text: p.Form.Get("text"), Blocks: mustBlocks(t, p.Form.Get("blocks"))}}, maxBlocks)
}

func mustBlocks(t *testing.T, js string) (out []slack.Block) {
	t.Helper()
	var raw []json.RawMessage
	if err := json.Unmarshal([]byte(js), &raw); err != nil {
		t.Fatal(err)
	}
	for _, r := range raw {
		out = append(out, slackBlock(r))
	}
	return out
}

func TestDirectMessage(t *testing.T) {
	h := newHarness(t)
	for i, inner := range []string{
		// Answered: a person's message in a DM.
		`{"type":"message","channel_type":"im","channel":"D0DM","user":"U0ASKER","text":"who looks after printers?","ts":"1700000001.000100"}`,
		// Ignored: edits, deletions, the bot's own posts, channel messages.
		`{"type":"message","channel_type":"im","channel":"D0DM","subtype":"message_changed","message":{"type":"message","user":"U0ASKER","text":"printing?","ts":"1.1"},"ts":"1.2"}`,
		`{"type":"message","channel_type":"im","channel":"D0DM","subtype":"message_deleted","deleted_ts":"1.1","ts":"1.3"}`,
		`{"type":"message","channel_type":"im","channel":"D0DM","bot_id":"B0MMD","user":"` + testBotUser + `","text":"Your organisation: Printing","ts":"1.4"}`,
		`{"type":"message","channel_type":"im","channel":"D0DM","subtype":"bot_message","bot_id":"B0OTHER","text":"hello","ts":"1.5"}`,
		`{"type":"message","channel_type":"channel","channel":"C0GENERAL","user":"U0ASKER","text":"printing","ts":"1.6"}`,
	} {
		if rec := do(t, h.a.Events(), "application/json", eventBody("EvDM"+string(rune('a'+i)), inner)); rec.Code != 200 {
			t.Fatalf("event %d: status %d", i, rec.Code)
		}
	}
	if p := h.exactly(t, "/chat.postMessage", 1)[0]; p.Form.Get("channel") != "D0DM" || p.Form.Get("thread_ts") != "" || !strings.Contains(p.Form.Get("text"), "Printing") {
		t.Errorf("DM answer: channel %q thread %q text %q", p.Form.Get("channel"), p.Form.Get("thread_ts"), p.Form.Get("text"))
	}
}

// TestAllowedChannels: in a channel not listed the bot answers no one, and
// tells the asker privately; direct messages always work.
func TestAllowedChannels(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.AllowedChannels = []string{"C0HELPDESK"} })
	do(t, h.a.Events(), "application/json", eventBody("EvA1", `{"type":"app_mention","user":"U0ASKER","text":"<@UBOT0001> printing","ts":"1.1","channel":"C0GENERAL"}`))
	do(t, h.a.Events(), "application/json", eventBody("EvA2", `{"type":"app_mention","user":"U0ASKER","text":"<@UBOT0001> printing","ts":"1.2","channel":"C0HELPDESK"}`))
	do(t, h.a.Events(), "application/json", eventBody("EvA3", `{"type":"message","channel_type":"im","channel":"D0DM","user":"U0ASKER","text":"printing","ts":"1.3"}`))
	eph := h.slack.wait(t, "/chat.postEphemeral", 1)
	if e := eph[0].Form; e.Get("channel") != "C0GENERAL" || e.Get("user") != "U0ASKER" {
		t.Errorf("ephemeral hint to %q in %q", e.Get("user"), e.Get("channel"))
	}
	posts := h.slack.wait(t, "/chat.postMessage", 2)
	for _, p := range posts {
		if ch := p.Form.Get("channel"); ch == "C0GENERAL" {
			t.Errorf("answered in a channel that is not allowed")
		}
	}
}

// TestRateLimited: a 429 with Retry-After is waited out, then the answer goes.
func TestRateLimited(t *testing.T) {
	h := newHarness(t)
	h.slack.limited.Store(1)
	start := time.Now()
	do(t, h.a.Events(), "application/json", eventBody("EvR1", `{"type":"app_mention","user":"U0ASKER","text":"<@UBOT0001> printing","ts":"1.1","channel":"C0GENERAL"}`))
	posts := h.slack.wait(t, "/chat.postMessage", 2)
	if d := time.Since(start); d < time.Second {
		t.Errorf("retried after %v, before Retry-After's second", d)
	}
	if posts[1].Form.Get("channel") != "C0GENERAL" {
		t.Errorf("second attempt went to %q", posts[1].Form.Get("channel"))
	}
}

// TestSlashCommand: /mmd answers ephemerally in the response itself, with a
// button to share; the table fits Block Kit's limits.
func TestSlashCommand(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		text, header string
	}{
		{"who handles VPN issues?", "Your organisation is responsible"},
		{"table", bot.TableTitle},
		{"list microsoft", "Responsibilities: Microsoft"},
		{"list shared", "Responsibilities: Shared: Microsoft and your organisation"},
		{"help", ""}, // no header: the help begins with bot.HelpIntro
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			rec := do(t, h.a.Commands(), formType, commandBody(tt.text, h.slack.responseURL("cmd")))
			if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
				t.Fatalf("status %d, %q", rec.Code, rec.Header().Get("Content-Type"))
			}
			var got struct {
				ResponseType string            `json:"response_type"`
				Text         string            `json:"text"`
				Blocks       []json.RawMessage `json:"blocks"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			if got.ResponseType != "ephemeral" {
				t.Errorf("response_type %q, want ephemeral", got.ResponseType)
			}
			blocks := make([]slack.Block, len(got.Blocks))
			for i, b := range got.Blocks {
				blocks[i] = slackBlock(b)
			}
			checkLimits(t, tt.text, []message{{Text: got.Text, Blocks: blocks}}, maxBlocks)
			var raw []map[string]any
			_ = json.Unmarshal(mustJSON(t, got.Blocks), &raw)
			if hs := headerTexts(raw); tt.header != "" && (len(hs) == 0 || !strings.Contains(hs[0], tt.header)) {
				t.Errorf("headers %q, want first %q", hs, tt.header)
			}
			if tt.header == "" && !strings.Contains(rec.Body.String(), bot.HelpIntro) {
				t.Errorf("the help does not begin with %q", bot.HelpIntro)
			}
			if !strings.Contains(rec.Body.String(), `"mmd_share"`) {
				t.Error("no Share in channel button")
			}
		})
	}
}

// TestButtons: feedback is recorded with question and entry; "did you mean"
// shows the answer in place; Share posts visibly and removes the ephemeral;
// a Details button in the App Home answers in the app's DM.
func TestButtons(t *testing.T) {
	h := newHarness(t)
	vote := actionValue{Q: "who handles VPN issues?", ID: "customer/network-infrastructure-including-vpn"}.encode()
	if rec := do(t, h.a.Interactions(), formType, interactionBody(t, actionDown, vote, h.slack.responseURL("vote"), false, "message")); rec.Code != 200 {
		t.Fatalf("vote: status %d", rec.Code)
	}
	// The answer is replaced in place: its 👍/👎 become the thanks and an
	// undo.
	thanks := h.slack.wait(t, "/respond/vote", 1)
	if blocks := mustString(t, thanks[0].JSON["blocks"]); thanks[0].JSON["replace_original"] != true ||
		!strings.Contains(blocks, bot.Thanks(false, nil)) || !strings.Contains(blocks, actionUndo) || strings.Contains(blocks, actionUp) {
		t.Errorf("vote acknowledgement %v", thanks[0].JSON)
	}
	fb, err := h.store.Feedback(t.Context(), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(fb) != 1 || fb[0].EntryID != "customer/network-infrastructure-including-vpn" || fb[0].Down != 1 || len(fb[0].Downvoted) != 1 || fb[0].Downvoted[0] != "who handles VPN issues?" {
		t.Errorf("feedback recorded: %+v", fb)
	}
	// A change of mind replaces the vote; undo takes it back.
	do(t, h.a.Interactions(), formType, interactionBody(t, actionUp, vote, h.slack.responseURL("vote"), false, "message"))
	h.slack.wait(t, "/respond/vote", 2)
	if fb, _ := h.store.Feedback(t.Context(), time.Time{}); len(fb) != 1 || fb[0].Up != 1 || fb[0].Down != 0 {
		t.Errorf("after a change of mind: %+v, want the 👍 alone", fb)
	}
	do(t, h.a.Interactions(), formType, interactionBody(t, actionUndo, vote, h.slack.responseURL("vote"), false, "message"))
	undone := h.slack.wait(t, "/respond/vote", 3)[2]
	if blocks := mustString(t, undone.JSON["blocks"]); !strings.Contains(blocks, actionUp) || strings.Contains(blocks, "Thanks") {
		t.Errorf("after undo the answer has its 👍/👎 again: %v", blocks)
	}
	if fb, _ := h.store.Feedback(t.Context(), time.Time{}); len(fb) != 0 {
		t.Errorf("after undo: %+v, want no vote", fb)
	}

	choice := actionValue{Q: "monitoring", ID: "customer/security-monitoring-and-response"}.encode()
	do(t, h.a.Interactions(), formType, interactionBody(t, actionShow+"_2", choice, h.slack.responseURL("choice"), true, "message"))
	shown := h.slack.wait(t, "/respond/choice", 1)[0]
	if shown.JSON["replace_original"] != true || !strings.Contains(shown.JSON["text"].(string), "Security monitoring and response") {
		t.Errorf("choice: %v", shown.JSON["text"])
	}
	if !strings.Contains(mustString(t, shown.JSON["blocks"]), `\"q\":\"monitoring\"`) {
		t.Error("the shown answer's buttons lost the question")
	}

	share := actionValue{C: "who handles VPN issues?", Q: "who handles VPN issues?"}.encode()
	do(t, h.a.Interactions(), formType, interactionBody(t, actionShare, share, h.slack.responseURL("share"), true, "message"))
	shared := h.slack.wait(t, "/respond/share", 2)
	if shared[0].JSON["response_type"] != "in_channel" || strings.Contains(mustString(t, shared[0].JSON["blocks"]), "mmd_share") {
		t.Errorf("shared answer: %v", shared[0].JSON)
	}
	if shared[1].JSON["delete_original"] != true {
		t.Errorf("the ephemeral answer is not removed: %v", shared[1].JSON)
	}

	details := actionValue{ID: "customer/printing"}.encode()
	do(t, h.a.Interactions(), formType, interactionBody(t, actionDetails+"_11", details, "", false, "view"))
	dm := h.slack.wait(t, "/chat.postMessage", 1)[0]
	if dm.Form.Get("channel") != "U0ASKER" || !strings.Contains(dm.Form.Get("text"), "Printing") {
		t.Errorf("details from Home: channel %q text %q", dm.Form.Get("channel"), dm.Form.Get("text"))
	}

	// A response_url that is not Slack's gets nothing.
	do(t, h.a.Interactions(), formType, interactionBody(t, actionRun+"_table", `{"c":"table"}`, "https://evil.example/respond", true, "message"))
	settle(t, h.a)
	if !strings.Contains(h.logs.String(), "response_url is not a Slack address") {
		t.Error("a foreign response_url was not refused")
	}
}

func mustString(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestAppHome(t *testing.T) {
	h := newHarness(t)
	do(t, h.a.Events(), "application/json", eventBody("EvH1", `{"type":"app_home_opened","user":"U0ASKER","channel":"D0DM","tab":"home","event_ts":"1.1"}`))
	do(t, h.a.Events(), "application/json", eventBody("EvH2", `{"type":"app_home_opened","user":"U0ASKER","channel":"D0DM","tab":"messages","event_ts":"1.2"}`))
	pub := h.exactly(t, "/views.publish", 1)
	if pub[0].JSON["user_id"] != "U0ASKER" {
		t.Errorf("published for %v", pub[0].JSON["user_id"])
	}
	view, _ := pub[0].JSON["view"].(map[string]any)
	raw, _ := json.Marshal(view["blocks"])
	var blocks []map[string]any
	_ = json.Unmarshal(raw, &blocks)
	hs := headerTexts(blocks)
	if view["type"] != "home" || len(hs) != 4 || hs[0] != bot.Greeting || !strings.Contains(strings.Join(hs, "|"), "🟦 Microsoft") {
		t.Errorf("home view: type %v, headers %q", view["type"], hs)
	}
}

// bigKnowledge is a knowledge base of n entries in mmdbot's YAML schema.
func bigKnowledge(t *testing.T, n int) *knowledge.Base {
	t.Helper()
	var b strings.Builder
	b.WriteString("page:\n  title: Contoso responsibilities\n  description: Who does what.\n  date: 2025-01-31\n  url: https://intranet.contoso.example/it\nentries:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - title: Responsibility number %d with a long title & <angle brackets>\n    side: customer\n    owner: customer\n    description: %s\n",
			i, strings.Repeat("Contoso's IT does this part of the work. ", 20))
	}
	kb, err := knowledge.Load(knowledge.File{Name: "big.yaml", Data: []byte(b.String())})
	if err != nil {
		t.Fatal(err)
	}
	return kb
}

// TestSlashCommandLargeTable: a table too large for one message is
// acknowledged at once and delivered through response_url, split within
// Block Kit's limits, every entry present.
func TestSlashCommandLargeTable(t *testing.T) {
	h := newHarness(t)
	h.bot.SetKnowledge(bigKnowledge(t, 150))
	rec := do(t, h.a.Commands(), formType, commandBody("table", h.slack.responseURL("big")))
	if rec.Code != 200 || rec.Body.Len() != 0 {
		t.Fatalf("status %d, body %q: want an empty acknowledgement", rec.Code, rec.Body.String())
	}
	var msgs []message
	rows := 0
	deadline := time.Now().Add(10 * time.Second)
	for rows < 150 && time.Now().Before(deadline) {
		calls := h.slack.wait(t, "/respond/big", len(msgs)+1)
		c := calls[len(msgs)]
		if c.JSON["response_type"] != "ephemeral" {
			t.Errorf("page %d is %v, want ephemeral", len(msgs)+1, c.JSON["response_type"])
		}
		raw, _ := json.Marshal(c.JSON["blocks"])
		text, _ := c.JSON["text"].(string)
		m := message{Text: text, Blocks: mustBlocks(t, string(raw))}
		msgs = append(msgs, m)
		rows += strings.Count(string(raw), `"mmd_details_`)
	}
	if rows != 150 {
		t.Fatalf("%d entries delivered in %d messages, want 150", rows, len(msgs))
	}
	if len(msgs) < 4 {
		t.Errorf("150 entries in %d messages", len(msgs))
	}
	checkLimits(t, "large table", msgs, maxBlocks)
}

// BenchmarkSlashCommand measures a signed /mmd question from the raw request
// to the answer in the response: verification, parsing, the bot, Block Kit.
func BenchmarkSlashCommand(b *testing.B) {
	a, err := New(Config{BotToken: testBotToken, SigningSecret: testSecret}, bot.New(knowledge.Default(), bot.Options{}))
	if err != nil {
		b.Fatal(err)
	}
	h := a.Commands()
	body := commandBody("who handles VPN issues?", "https://hooks.slack.com/commands/T1/1/x")
	var worst time.Duration
	size := 0
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/slack/commands", bytes.NewReader(body))
		req.Header.Set("Content-Type", formType)
		sign(req.Header, body, testSecret, time.Now())
		rec := httptest.NewRecorder()
		start := time.Now()
		h.ServeHTTP(rec, req)
		worst = max(worst, time.Since(start))
		if rec.Code != 200 {
			b.Fatalf("status %d", rec.Code)
		}
		size = rec.Body.Len()
	}
	b.ReportMetric(float64(worst.Microseconds())/1000, "worst-ms")
	b.ReportMetric(float64(size), "response-bytes")
}

// BenchmarkEventAck measures the acknowledgement of a signed app_mention:
// what must stay far below Slack's three seconds.
func BenchmarkEventAck(b *testing.B) {
	a, err := New(Config{BotToken: testBotToken, SigningSecret: testSecret, Workers: 1}, bot.New(knowledge.Default(), bot.Options{}))
	if err != nil {
		b.Fatal(err)
	}
	h := a.Events()
	i := 0
	for b.Loop() {
		i++
		body := eventBody(fmt.Sprintf("EvB%d", i), `{"type":"app_mention","user":"U1","text":"<@U2> printing","ts":"1.1","channel":"C1"}`)
		req := httptest.NewRequest(http.MethodPost, "/slack/events", bytes.NewReader(body))
		sign(req.Header, body, testSecret, time.Now())
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
	}
}

// TestRunDrains: Run is ready once started, and at shutdown finishes the
// answers in flight (here one waiting out a 429) before it returns.
func TestRunDrains(t *testing.T) {
	f := newFakeSlack(t)
	f.limited.Store(1)
	a, err := New(Config{BotToken: testBotToken, SigningSecret: testSecret, APIURL: f.GetAPIURL()}, bot.New(knowledge.Default(), bot.Options{}))
	if err != nil {
		t.Fatal(err)
	}
	if a.Ready() == nil {
		t.Error("ready before Run")
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	waitState(t, a, "ready once Run starts", func() bool { return a.Ready() == nil })
	do(t, a.Events(), "application/json", eventBody("EvD1", `{"type":"app_mention","user":"U0ASKER","text":"<@UBOT0001> printing","ts":"1.1","channel":"C0GENERAL"}`))
	f.wait(t, "/chat.postMessage", 1) // the 429
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if n := len(f.callsTo("/chat.postMessage")); n != 2 {
		t.Errorf("Run returned with %d calls made, want the answer delivered first (2)", n)
	}
	if a.Ready() == nil {
		t.Error("ready after Run returned")
	}
	if rec := do(t, a.Events(), "application/json", eventBody("EvD2", `{"type":"app_mention","user":"U0ASKER","text":"<@UBOT0001> printing","ts":"1.2","channel":"C0GENERAL"}`)); rec.Code != http.StatusServiceUnavailable {
		t.Errorf("an event after shutdown: status %d, want 503 so that Slack retries", rec.Code)
	}
}

// TestLinkMarkupNotEchoed: Slack's link markup in a question, <https://…|label>
// or <mailto:…|label>, never comes back as a link of the asker's making,
// whether the reply is posted in a channel, in a DM or answers a command:
// the question is echoed as its words (the label), escaped.
func TestLinkMarkupNotEchoed(t *testing.T) {
	tests := []struct {
		q, echo string // the question, and what its echo shows
	}{
		{"<https://evil.example/login|click here> who handles VPN issues?", "click here"},
		{"<mailto:boss@evil.example|mail me> <http://evil.example/x|this> zzqx blorf?", "mail me this zzqx"},
		{"<https://evil.example/a|&lt;!channel&gt;> printing <mailto:boss@evil.example|<@U0BOSS>>", "printing"},
	}
	// The asker's links: their targets never show, their markup never
	// reaches Slack unescaped.
	bad := []string{"evil.example", "<!channel", "<@U0BOSS", "|click", "|mail"}
	check := func(t *testing.T, where, echo string, texts []string) {
		t.Helper()
		echoed := false
		for _, s := range texts {
			for _, b := range bad {
				if strings.Contains(s, b) {
					t.Errorf("%s: %q unescaped in %.120q", where, b, s)
				}
			}
			echoed = echoed || strings.Contains(s, echo)
		}
		if !echoed {
			t.Errorf("%s: the question is not echoed as %q, so this test checks nothing: %q", where, echo, texts)
		}
	}
	for i, tt := range tests {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			h := newHarness(t)
			inner, _ := json.Marshal(map[string]any{"type": "app_mention", "user": "U0ASKER", "text": "<@UBOT0001> " + tt.q, "ts": "1700000000.000100", "channel": "C0GENERAL"})
			do(t, h.a.Events(), "application/json", eventBody("EvL1", string(inner)))
			inner, _ = json.Marshal(map[string]any{"type": "message", "channel_type": "im", "user": "U0ASKER", "text": tt.q, "ts": "1700000001.000100", "channel": "D0DM"})
			do(t, h.a.Events(), "application/json", eventBody("EvL2", string(inner)))
			for _, p := range h.exactly(t, "/chat.postMessage", 2) {
				check(t, "post to "+p.Form.Get("channel"), tt.echo, append(mrkdwnTexts(t, []byte(p.Form.Get("blocks"))), p.Form.Get("text")))
			}
			rec := do(t, h.a.Commands(), formType, commandBody(tt.q, h.slack.responseURL("cmd")))
			var got struct {
				Text   string          `json:"text"`
				Blocks json.RawMessage `json:"blocks"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatalf("command answer %q: %v", rec.Body.String(), err)
			}
			check(t, "command", tt.echo, append(mrkdwnTexts(t, got.Blocks), got.Text))
		})
	}
}

// mrkdwnTexts returns the mrkdwn texts of blocks as sent: where Slack would
// make a link of <https://…|label>.
func mrkdwnTexts(t *testing.T, blocks []byte) []string {
	t.Helper()
	var raw any
	if err := json.Unmarshal(blocks, &raw); err != nil {
		t.Fatalf("blocks %.80q: %v", blocks, err)
	}
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if s, ok := v["text"].(string); ok && v["type"] == "mrkdwn" {
				out = append(out, s)
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(raw)
	return out
}
