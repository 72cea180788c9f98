package slack

import (
	"fmt"
	"strings"
	"testing"
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
