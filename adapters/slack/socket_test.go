package slack

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slacktest"

	"github.com/mmdbot/mmdbot/bot"
	"github.com/mmdbot/mmdbot/knowledge"
)

// ack is what the fake Socket Mode server read back from the adapter.
type ack struct {
	EnvelopeID string          `json:"envelope_id"`
	Payload    json.RawMessage `json:"payload"`
}

// socketServer plays Slack's side of Socket Mode on the fake Slack's /ws:
// the first connection is told to reconnect, the second gets the script.
type socketServer struct {
	conns  atomic.Int32
	script chan string // frames to send on the live connection
	acks   chan ack
}

func (s *socketServer) serve(conn *websocket.Conn) {
	n := s.conns.Add(1)
	hello := `{"type":"hello","num_connections":1,"debug_info":{"host":"applink-test"},"connection_info":{"app_id":"A1"}}`
	if err := conn.WriteMessage(websocket.TextMessage, []byte(hello)); err != nil {
		return
	}
	if n == 1 {
		// Slack rotates connections: the client must open a new one.
		_ = conn.WriteMessage(websocket.TextMessage, []byte(`{"type":"disconnect","reason":"refresh_requested","debug_info":{"host":"applink-test"}}`))
		_, _, _ = conn.ReadMessage() // until the client goes
		return
	}
	go func() {
		for {
			var a ack
			if err := conn.ReadJSON(&a); err != nil {
				return
			}
			s.acks <- a
		}
	}()
	for frame := range s.script {
		if err := conn.WriteMessage(websocket.TextMessage, []byte(frame)); err != nil {
			return
		}
	}
}

func envelope(id, typ string, payload any, retry int) string {
	p, _ := json.Marshal(payload)
	e, _ := json.Marshal(map[string]any{"envelope_id": id, "type": typ, "payload": json.RawMessage(p), "accepts_response_payload": typ != "events_api", "retry_attempt": retry})
	return string(e)
}

func (s *socketServer) waitAck(t *testing.T, id string) ack {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case a := <-s.acks:
			if a.EnvelopeID == id {
				return a
			}
			t.Errorf("ack for %q while waiting for %q", a.EnvelopeID, id)
		case <-timeout:
			t.Fatalf("no ack for envelope %q", id)
		}
	}
}

// TestSocketMode is a round trip over a real WebSocket: hello, a reconnect
// Slack asks for, an app_mention (acked at once, answered in its thread, its
// retry ignored), a slash command (answered in the ack) and a button.
func TestSocketMode(t *testing.T) {
	ss := &socketServer{script: make(chan string, 10), acks: make(chan ack, 10)}
	f := newFakeSlack(t, func(c slacktest.Customize) { c.Handle("/ws", slacktest.Websocket(ss.serve)) })
	h := startHarness(t, f, func(c *Config) { c.SigningSecret, c.AppToken = "", testAppToken })
	t.Cleanup(func() { close(ss.script) })
	if h.a.HTTPEnabled() {
		t.Error("HTTP enabled without a signing secret")
	}

	// Ready on the second connection, after the reconnect.
	waitState(t, h.a, "ready on the second connection", func() bool { return h.a.Ready() == nil && ss.conns.Load() == 2 })

	mention := json.RawMessage(eventBody("EvS1", `{"type":"app_mention","user":"U0ASKER","text":"<@UBOT0001> who handles VPN issues?","ts":"1700000002.000100","channel":"C0GENERAL"}`))
	ss.script <- envelope("env-1", "events_api", mention, 0)
	if a := ss.waitAck(t, "env-1"); len(a.Payload) != 0 && string(a.Payload) != "null" {
		t.Errorf("event ack carries %s", a.Payload)
	}
	ss.script <- envelope("env-2", "events_api", mention, 1) // Slack's retry
	ss.waitAck(t, "env-2")

	cmd := map[string]any{"command": "/mmd", "text": "table", "user_id": "U0ASKER", "channel_id": "C0GENERAL", "team_id": "T1", "response_url": f.responseURL("socket")}
	ss.script <- envelope("env-3", "slash_commands", cmd, 0)
	a := ss.waitAck(t, "env-3")
	var resp struct {
		ResponseType string            `json:"response_type"`
		Text         string            `json:"text"`
		Blocks       []json.RawMessage `json:"blocks"`
	}
	if err := json.Unmarshal(a.Payload, &resp); err != nil {
		t.Fatalf("slash command ack payload: %v (%s)", err, a.Payload)
	}
	if resp.ResponseType != "ephemeral" || !strings.Contains(resp.Text, "15 entries") || len(resp.Blocks) == 0 {
		t.Errorf("slash command ack: %q %q with %d blocks", resp.ResponseType, resp.Text, len(resp.Blocks))
	}
	if len(a.Payload) >= 20<<10 {
		t.Errorf("ack of %d bytes: Slack drops those", len(a.Payload))
	}

	vote := map[string]any{
		"type": "block_actions", "user": map[string]any{"id": "U0ASKER"}, "channel": map[string]any{"id": "C0GENERAL"},
		"container":    map[string]any{"type": "message", "is_ephemeral": false},
		"response_url": f.responseURL("socket-vote"),
		"actions":      []map[string]any{{"action_id": actionUp, "block_id": "b1", "type": "button", "value": actionValue{Q: "printing", ID: "customer/printing"}.encode()}},
	}
	ss.script <- envelope("env-4", "interactive", vote, 0)
	ss.waitAck(t, "env-4")
	f.wait(t, "/respond/socket-vote", 1)

	if p := h.exactly(t, "/chat.postMessage", 1)[0].Form; p.Get("channel") != "C0GENERAL" || p.Get("thread_ts") != "1700000002.000100" || !strings.Contains(p.Get("text"), "Your organisation") {
		t.Errorf("answer: channel %q thread %q text %q", p.Get("channel"), p.Get("thread_ts"), p.Get("text"))
	}
	fb, err := h.store.Feedback(t.Context(), time.Time{})
	if err != nil || len(fb) != 1 || fb[0].Up != 1 {
		t.Errorf("feedback over Socket Mode: %+v, %v", fb, err)
	}
}

// newSocketAdapter returns a Socket Mode adapter whose Slack API is at
// apiURL, and its log.
func newSocketAdapter(t *testing.T, apiURL string) (*Adapter, *syncWriter) {
	t.Helper()
	logs := &syncWriter{w: &bytes.Buffer{}}
	b := bot.New(knowledge.Default(), bot.Options{})
	a, err := New(Config{BotToken: testBotToken, AppToken: testAppToken, APIURL: apiURL, Workers: 1,
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}, b)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if strings.Contains(logs.String(), testAppToken) || strings.Contains(logs.String(), testBotToken) {
			t.Error("a token is in the log")
		}
	})
	return a, logs
}

// A token Slack refuses stops Socket Mode, and the log says it is the
// token and how to get the right one.
func TestSocketModeWrongToken(t *testing.T) {
	f := newFakeSlack(t, func(c slacktest.Customize) {
		c.Handle("/apps.connections.open", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, `{"ok":false,"error":"invalid_auth"}`)
		})
	})
	a, logs := newSocketAdapter(t, f.GetAPIURL())
	done := make(chan error, 1)
	go func() { done <- a.Run(t.Context()) }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "token") || !strings.Contains(err.Error(), "invalid_auth") {
			t.Errorf("Run: %v, want the token refused", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run goes on with a refused token")
	}
	for _, want := range []string{"level=ERROR", `msg="slack socket mode cannot connect"`, "reason=token", "error=invalid_auth", "connections:write"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
}

// A network that does not reach Slack is told apart from a wrong token:
// mmdbot keeps trying, and the log names the network and what to check.
func TestSocketModeUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String() + "/api/"
	ln.Close() // nothing listens there any more: connection refused
	a, logs := newSocketAdapter(t, closed)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	logs.waitFor(t, "reason=network")
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run after cancel: %v", err)
	}
	line := ""
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, "reason=network") {
			line = l
			break
		}
	}
	for _, want := range []string{"level=WARN", "cannot connect: retrying", "connection refused", "fix=", "wss-primary.slack.com", "attempt=", "retry_in="} {
		if !strings.Contains(line, want) {
			t.Errorf("log line lacks %q: %s", want, line)
		}
	}
	if a.Ready() == nil {
		t.Error("ready without a connection")
	}
}

func TestDiagnoseConnect(t *testing.T) {
	tests := []struct {
		err    error
		reason string
	}{
		{slack.SlackErrorResponse{Err: "invalid_auth"}, "token"},
		{fmt.Errorf("open: %w", slack.SlackErrorResponse{Err: "token_revoked"}), "token"},
		{slack.SlackErrorResponse{Err: "missing_scope"}, "token"},
		{slack.SlackErrorResponse{Err: "internal_error"}, "slack"},
		{slack.StatusCodeError{Code: 404, Status: "404 Not Found"}, "token"},
		{slack.StatusCodeError{Code: 503, Status: "503 Service Unavailable"}, "slack"},
		{&slack.RateLimitedError{RetryAfter: time.Second}, "rate-limited"},
		{&url.Error{Op: "Post", URL: "https://slack.com/api/apps.connections.open", Err: &net.DNSError{Err: "no such host", Name: "slack.com"}}, "network"},
		{&url.Error{Op: "Post", URL: "https://slack.com/api/apps.connections.open", Err: &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("i/o timeout")}}, "network"},
		{&url.Error{Op: "Post", URL: "https://slack.com/api/apps.connections.open", Err: &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}}, "certificate"},
	}
	for _, tt := range tests {
		if got := diagnoseConnect(tt.err); got.reason != tt.reason || got.fix == "" {
			t.Errorf("%v: %+v, want reason %s with a fix", tt.err, got, tt.reason)
		}
	}
	if got := safeError(errors.New(`dial "wss://wss-primary.slack.com/link/?ticket=secret-ticket&app_id=A1": refused`)); strings.Contains(got, "secret-ticket") {
		t.Errorf("safeError kept the ticket: %s", got)
	}
}
