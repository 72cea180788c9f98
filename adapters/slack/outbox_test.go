package slack

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/mmdbot/mmdbot/bot"
	"github.com/mmdbot/mmdbot/internal/replytest"
)

// TestServerErrorRetried: a 500 from the Web API or a response_url is not
// the end of an answer already acknowledged: it is delivered on the next
// attempt, once.
func TestServerErrorRetried(t *testing.T) {
	h := newHarness(t)
	h.slack.failing.Store(1)
	if rec := do(t, h.a.Events(), "application/json", eventBody("Ev500", `{"type":"app_mention","user":"U0ASKER","text":"<@UBOT0001> who handles VPN issues?","ts":"1.1","channel":"C0GENERAL"}`)); rec.Code != 200 {
		t.Fatalf("event: status %d", rec.Code)
	}
	posts := h.slack.wait(t, "/chat.postMessage", 2)
	if !strings.Contains(posts[1].Form.Get("text"), "Your organisation") || posts[1].Form.Get("thread_ts") != "1.1" {
		t.Errorf("the answer retried: %v", posts[1].Form)
	}

	h.slack.failing.Store(1)
	vote := actionValue{Q: "who handles VPN issues?", ID: "customer/network-infrastructure-including-vpn"}.encode()
	if rec := do(t, h.a.Interactions(), formType, interactionBody(t, actionUp, vote, h.slack.responseURL("vote500"), false, "message")); rec.Code != 200 {
		t.Fatalf("vote: status %d", rec.Code)
	}
	// The vote is acknowledged in place: the answer again, its buttons
	// become the thanks and an undo.
	thanks := h.slack.wait(t, "/respond/vote500", 2)
	if thanks[1].JSON["replace_original"] != true || !strings.Contains(fmt.Sprint(thanks[1].JSON["blocks"]), "marked helpful") {
		t.Errorf("the thanks retried: %v", thanks[1].JSON)
	}
	settle(t, h.a)
	if n := len(h.slack.callsTo("/chat.postMessage")); n != 2 {
		t.Errorf("%d calls to chat.postMessage, want 2 (one failed, one delivered)", n)
	}
}

// TestAnnounce: the digest is posted to the admins' channel, not in a
// thread, by chat.postMessage on slacktest; a 500 on the way is retried,
// and the message posted once.
func TestAnnounce(t *testing.T) {
	h := newHarness(t)
	h.slack.failing.Store(1)
	r := bot.NewDigest(bot.Digest{Unanswered: 3, People: 2, URL: "https://mmd.example.com/admin",
		Top: []bot.DigestRow{{Question: "<!channel> who runs payroll?", Count: 3, People: 2}}})
	if err := h.a.Announce(t.Context(), "C0ADMINS", r); err != nil {
		t.Fatal(err)
	}
	posts := h.exactly(t, "/chat.postMessage", 2)
	p := posts[1].Form
	if p.Get("channel") != "C0ADMINS" || p.Get("thread_ts") != "" || p.Get("text") != r.Text {
		t.Errorf("posted to %q (thread %q): %q", p.Get("channel"), p.Get("thread_ts"), p.Get("text"))
	}
	var blocks []map[string]any
	if err := json.Unmarshal([]byte(p.Get("blocks")), &blocks); err != nil {
		t.Fatal(err)
	}
	text := replytest.JSONText(t, blocks, "text", "url")
	for _, want := range []string{bot.DigestTitle, "&lt;!channel&gt; who runs payroll?", "https://mmd.example.com/admin"} {
		if !strings.Contains(text, want) {
			t.Errorf("the digest lacks %q: %s", want, text)
		}
	}
	if strings.Contains(text, "<!channel>") {
		t.Errorf("the digest pings the channel: %s", text)
	}
	if err := h.a.Announce(t.Context(), "", r); err == nil {
		t.Error("a digest to no channel was owed")
	}
}
