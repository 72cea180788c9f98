package slack

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/mmdbot/mmdbot/bot"
	"github.com/mmdbot/mmdbot/knowledge"
)

// Seeds shaped like what Slack sends.
var eventSeeds = []string{
	`{"token":"x","challenge":"abc","type":"url_verification"}`,
	string(eventBody("Ev1", `{"type":"app_mention","user":"U1","text":"<@U2> who handles VPN issues?","ts":"1.1","channel":"C1"}`)),
	string(eventBody("Ev2", `{"type":"message","channel_type":"im","channel":"D1","user":"U1","text":"printing","ts":"1.2"}`)),
	string(eventBody("Ev3", `{"type":"message","channel_type":"im","channel":"D1","subtype":"message_changed","message":{"text":"x"},"ts":"1.3"}`)),
	string(eventBody("Ev4", `{"type":"app_home_opened","user":"U1","tab":"home"}`)),
	string(eventBody("Ev5", `null`)),
	`{"type":"event_callback"}`,
	`{"type":"app_rate_limited","minute_rate_limited":1518467820}`,
	`[]`, `{}`, `"x"`,
}

// FuzzParseEvent: no Events API body makes the parser, or the adapter's
// handling of what it parses, panic.
func FuzzParseEvent(f *testing.F) {
	for _, s := range eventSeeds {
		f.Add([]byte(s))
	}
	a, err := New(Config{BotToken: testBotToken, SigningSecret: testSecret, Workers: 1}, bot.New(knowledge.Default(), bot.Options{}))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := parseEvent(body)
		if err != nil {
			return
		}
		a.onEvent(t.Context(), ev, 0)
	})
}

// FuzzEventsHandler: signed bodies of any shape get a status, never a panic,
// and only url_verification gets a body.
func FuzzEventsHandler(f *testing.F) {
	for _, s := range eventSeeds {
		f.Add([]byte(s))
	}
	a, err := New(Config{BotToken: testBotToken, SigningSecret: testSecret, Workers: 1}, bot.New(knowledge.Default(), bot.Options{}))
	if err != nil {
		f.Fatal(err)
	}
	h := a.Events()
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "/slack/events", bytes.NewReader(body))
		sign(req.Header, body, testSecret, time.Now())
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case 200, 400, 503:
		default:
			t.Fatalf("status %d", rec.Code)
		}
	})
}

// FuzzParseCommand: no slash command body makes the parser panic, and what
// it parses renders within Block Kit's limits.
func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{
		string(commandBody("who handles VPN issues?", "https://hooks.slack.com/commands/T1/1/x")),
		string(commandBody("table", "")),
		string(commandBody("list everyone", "")),
		"command=%2Fmmd&text=%3C%21channel%3E",
		"command=/mmd&text=%zz", "", "=&&=", "command=&text=help",
	} {
		f.Add([]byte(s))
	}
	b := bot.New(knowledge.Default(), bot.Options{})
	f.Fuzz(func(t *testing.T, body []byte) {
		cmd, err := parseCommand(body)
		if err != nil {
			return
		}
		r, _ := b.Handle(t.Context(), bot.Message{Text: cmd.Text, Via: bot.ViaCommand, Adapter: adapterName})
		for _, m := range render(r, renderOptions{surface: surfaceEphemeral, command: cmd.Text, question: r.Question}) {
			if len(m.Blocks) > maxBlocks || utf8.RuneCountInString(m.Text) > maxText {
				t.Fatalf("%d blocks, text of %d characters", len(m.Blocks), utf8.RuneCountInString(m.Text))
			}
			for _, s := range texts(t, m.Blocks) {
				if strings.Contains(s, "<!") || strings.Contains(s, "<@") {
					t.Fatalf("unescaped mention in %q", s)
				}
			}
		}
	})
}

// FuzzParseInteraction: no interaction body makes the parser, or the
// reading of button values, panic.
func FuzzParseInteraction(f *testing.F) {
	f.Add([]byte("payload=" + `{"type":"block_actions","user":{"id":"U1"},"actions":[{"action_id":"mmd_vote_up","block_id":"b","value":"{\"q\":\"x\",\"id\":\"customer/printing\"}"}]}`))
	f.Add([]byte("payload=" + `{"type":"block_actions","actions":[{"action_id":"mmd_show_1","block_id":"b","value":"nonsense"}]}`))
	f.Add([]byte("payload=" + `{"type":"view_submission"}`))
	f.Add([]byte("payload=null"))
	f.Add([]byte("payload=%7B"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, body []byte) {
		cb, err := parseInteraction(body)
		if err != nil {
			return
		}
		for _, act := range cb.ActionCallback.BlockActions {
			if act == nil {
				continue
			}
			_ = kindOf(act.ActionID)
			v := decodeValue(act.Value)
			if len(v.encode()) > maxValue {
				t.Fatal("value too long after encoding")
			}
		}
	})
}

// FuzzVerify: no header or body makes verification panic, and nothing but
// the right signature passes.
func FuzzVerify(f *testing.F) {
	f.Add([]byte("body"), "v0=abc", "1700000000")
	f.Add([]byte(""), "", "")
	f.Add([]byte("x"), "v0=", "-1")
	f.Fuzz(func(t *testing.T, body []byte, sig, ts string) {
		h := http.Header{}
		h.Set("X-Slack-Signature", sig)
		h.Set("X-Slack-Request-Timestamp", ts)
		if verify(h, body, testSecret) == "" {
			t.Fatalf("forged signature %q accepted", sig)
		}
	})
}
