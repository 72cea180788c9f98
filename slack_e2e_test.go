package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack/slacktest"
)

const slackE2ESecret = "e2e-signing-secret-0123456789abcdef"

// slackE2EPosts records what chat.postMessage received on the fake Slack.
type slackE2EPosts struct {
	mu    sync.Mutex
	forms []url.Values
	added chan struct{}
}

func (p *slackE2EPosts) handler(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	form, _ := url.ParseQuery(string(body))
	p.mu.Lock()
	p.forms = append(p.forms, form)
	p.mu.Unlock()
	p.added <- struct{}{}
	fmt.Fprintf(w, `{"ok":true,"channel":%q,"ts":"1700000100.000100"}`, form.Get("channel"))
}

// slackE2EPost sends a request to mmdbot serve, signed with secret at the
// given time the way Slack signs: "v0=" + hex HMAC-SHA256 of
// "v0:<timestamp>:<body>".
func slackE2EPost(t *testing.T, u, contentType string, body []byte, secret string, at time.Time) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	ts := strconv.FormatInt(at.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%s:%s", ts, body)
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("answered in %v: Slack gives up after 3 s", d)
	}
	return resp.StatusCode, string(b)
}

// TestSlackEndToEnd runs mmdbot serve with the Slack adapter over HTTP and
// slack-go's slacktest server as Slack's Web API.
func TestSlackEndToEnd(t *testing.T) {
	posts := &slackE2EPosts{added: make(chan struct{}, 100)}
	fake := slacktest.NewTestServer(func(c slacktest.Customize) { c.Handle("/chat.postMessage", posts.handler) })
	fake.Start()
	defer fake.Stop()
	base, stop := startServer(t, nil, map[string]string{
		"SLACK_BOT_TOKEN":      "xoxb-e2e-token",
		"SLACK_SIGNING_SECRET": slackE2ESecret,
		"SLACK_API_URL":        fake.GetAPIURL(),
	})
	defer stop()

	t.Run("url_verification", func(t *testing.T) {
		code, body := slackE2EPost(t, base+"/slack/events", "application/json",
			[]byte(`{"token":"x","challenge":"e2e-challenge","type":"url_verification"}`), slackE2ESecret, time.Now())
		if code != 200 || body != "e2e-challenge" {
			t.Fatalf("url_verification: %d %q", code, body)
		}
	})

	t.Run("refused", func(t *testing.T) {
		body := []byte(url.Values{"command": {"/mmd"}, "text": {"table"}, "user_id": {"U1"}, "channel_id": {"C1"}}.Encode())
		for name, c := range map[string]struct {
			secret string
			at     time.Time
		}{
			"forged": {"another-secret", time.Now()},
			"stale":  {slackE2ESecret, time.Now().Add(-10 * time.Minute)},
		} {
			for _, path := range []string{"/slack/events", "/slack/commands", "/slack/interactions"} {
				if code, _ := slackE2EPost(t, base+path, "application/x-www-form-urlencoded", body, c.secret, c.at); code != 401 {
					t.Errorf("%s request to %s: status %d, want 401", name, path, code)
				}
			}
		}
	})

	t.Run("table", func(t *testing.T) {
		body := []byte(url.Values{"command": {"/mmd"}, "text": {"table"}, "user_id": {"U1"}, "channel_id": {"C1"},
			"response_url": {fake.GetAPIURL() + "respond/1"}}.Encode())
		code, resp := slackE2EPost(t, base+"/slack/commands", "application/x-www-form-urlencoded", body, slackE2ESecret, time.Now())
		if code != 200 {
			t.Fatalf("/mmd table: status %d", code)
		}
		var msg struct {
			ResponseType string           `json:"response_type"`
			Blocks       []map[string]any `json:"blocks"`
		}
		if err := json.Unmarshal([]byte(resp), &msg); err != nil {
			t.Fatalf("/mmd table: %v in %q", err, resp)
		}
		if msg.ResponseType != "ephemeral" || len(msg.Blocks) == 0 || len(msg.Blocks) > 50 {
			t.Fatalf("/mmd table: %q with %d blocks", msg.ResponseType, len(msg.Blocks))
		}
		for i, b := range msg.Blocks {
			text, _ := b["text"].(map[string]any)
			s, _ := text["text"].(string)
			limit := map[string]int{"header": 150, "section": 3000}[b["type"].(string)]
			if n := utf8.RuneCountInString(s); limit > 0 && n > limit {
				t.Errorf("block %d (%v): %d characters, limit %d", i, b["type"], n, limit)
			}
		}
		if !strings.Contains(resp, "Network infrastructure, including VPN") {
			t.Error("the table lacks an entry")
		}
	})

	t.Run("app_mention", func(t *testing.T) {
		body := []byte(`{"token":"x","team_id":"T1","api_app_id":"A1","type":"event_callback","event_id":"EvE2E1","event_time":1700000000,` +
			`"event":{"type":"app_mention","user":"U0ASKER","text":"<@UBOT> who handles VPN issues?","ts":"1700000000.000100","channel":"C0GENERAL"}}`)
		if code, _ := slackE2EPost(t, base+"/slack/events", "application/json", body, slackE2ESecret, time.Now()); code != 200 {
			t.Fatalf("app_mention: status %d", code)
		}
		select {
		case <-posts.added:
		case <-time.After(10 * time.Second):
			t.Fatal("no chat.postMessage on the fake Slack")
		}
		posts.mu.Lock()
		defer posts.mu.Unlock()
		p := posts.forms[0]
		if p.Get("channel") != "C0GENERAL" || p.Get("thread_ts") != "1700000000.000100" || !strings.Contains(p.Get("text"), "Your organisation") {
			t.Errorf("reply: channel %q thread %q text %q", p.Get("channel"), p.Get("thread_ts"), p.Get("text"))
		}
	})
}
