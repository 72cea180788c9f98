package slack

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slacktest"

	"github.com/mmdbot/mmdbot/bot"
	"github.com/mmdbot/mmdbot/knowledge"
	"github.com/mmdbot/mmdbot/store"
)

const (
	testSecret   = "8f742231b10e8888abcd99yyyzzz85a5"
	testBotToken = "xoxb-test-bot-token"
	testAppToken = "xapp-1-test-app-token"
	testBotUser  = "UBOT0001"
)

// call is one request the fake Slack received.
type call struct {
	Path string
	Form url.Values     // form-encoded Web API calls
	JSON map[string]any // JSON bodies (views.publish, response_url)
}

// fakeSlack is slack-go's slacktest server, with the Web API methods mmdbot
// calls recording what they receive, and a response_url endpoint under
// /respond/.
type fakeSlack struct {
	*slacktest.Server
	mu    sync.Mutex
	calls []call
	added chan struct{}
	// limited is how many chat.postMessage calls still get 429.
	limited atomic.Int32
	// failing is how many chat.postMessage and response_url calls still
	// get 500.
	failing atomic.Int32
}

func newFakeSlack(t *testing.T, custom ...slacktest.Binder) *fakeSlack {
	t.Helper()
	f := &fakeSlack{added: make(chan struct{}, 1000)}
	binders := append(custom, func(c slacktest.Customize) {
		c.Handle("/chat.postMessage", f.record(func(w http.ResponseWriter, r *http.Request, c call) {
			if f.limited.Add(-1) >= 0 {
				w.Header().Set("Retry-After", "1")
				http.Error(w, `{"ok":false,"error":"ratelimited"}`, http.StatusTooManyRequests)
				return
			}
			if f.failing.Add(-1) >= 0 {
				http.Error(w, "Internal Server Error", http.StatusInternalServerError)
				return
			}
			fmt.Fprintf(w, `{"ok":true,"channel":%q,"ts":"%d.000100"}`, c.Form.Get("channel"), time.Now().Unix())
		}))
		c.Handle("/chat.postEphemeral", f.record(func(w http.ResponseWriter, r *http.Request, c call) {
			fmt.Fprintf(w, `{"ok":true,"message_ts":"%d.000200"}`, time.Now().Unix())
		}))
		c.Handle("/views.publish", f.record(func(w http.ResponseWriter, r *http.Request, c call) {
			fmt.Fprint(w, `{"ok":true,"view":{"id":"V1","type":"home"}}`)
		}))
		c.Handle("/respond/", f.record(func(w http.ResponseWriter, r *http.Request, c call) {
			if f.failing.Add(-1) >= 0 {
				http.Error(w, "Internal Server Error", http.StatusInternalServerError)
				return
			}
			fmt.Fprint(w, "ok")
		}))
	})
	f.Server = slacktest.NewTestServer(binders...)
	f.limited.Store(0)
	f.Start()
	t.Cleanup(f.Stop)
	return f
}

func (f *fakeSlack) record(next func(http.ResponseWriter, *http.Request, call)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		c := call{Path: r.URL.Path}
		if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			_ = json.Unmarshal(body, &c.JSON)
		} else {
			c.Form, _ = url.ParseQuery(string(body))
		}
		f.mu.Lock()
		f.calls = append(f.calls, c)
		f.mu.Unlock()
		f.added <- struct{}{}
		next(w, r, c)
	}
}

// responseURL is a response_url on the fake Slack.
func (f *fakeSlack) responseURL(name string) string {
	return "http://" + f.ServerAddr + "/respond/" + name
}

// wait returns the calls to path once there are n of them.
func (f *fakeSlack) wait(t *testing.T, path string, n int) []call {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		if got := f.callsTo(path); len(got) >= n {
			return got
		}
		select {
		case <-f.added:
		case <-deadline:
			t.Fatalf("fake Slack got %d calls to %s, want %d", len(f.callsTo(path)), path, n)
		}
	}
}

// quietFor is how long exactly and nothingMore keep listening, once the
// adapter has finished its queued work, for a call that should not come.
const quietFor = 100 * time.Millisecond

// exactly waits for n calls to path, then for the adapter to finish every
// job queued so far, then quietFor more, and fails unless there are exactly
// n: a late duplicate is caught, and a slow machine only waits longer.
func (h *harness) exactly(t *testing.T, path string, n int) []call {
	t.Helper()
	h.slack.wait(t, path, n)
	return h.nothingMore(t, path, n)
}

// nothingMore waits for the adapter to finish every job queued so far, then
// quietFor more, and fails unless there are n calls to path; it returns them.
func (h *harness) nothingMore(t *testing.T, path string, n int) []call {
	t.Helper()
	settle(t, h.a)
	quiet := time.NewTimer(quietFor)
	defer quiet.Stop()
	for {
		if got := h.slack.callsTo(path); len(got) != n {
			t.Fatalf("fake Slack got %d calls to %s, want exactly %d", len(got), path, n)
		}
		select {
		case <-h.slack.added:
		case <-quiet.C:
			return h.slack.callsTo(path)
		}
	}
}

// settle returns once a has delivered (or given up on) every reply it
// owed before the call.
func settle(t *testing.T, a *Adapter) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		n, err := a.ownStore.Pending(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d replies still owed after 10 s", n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (f *fakeSlack) callsTo(path string) []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []call
	for _, c := range f.calls {
		if c.Path == path || (strings.HasSuffix(path, "/") && strings.HasPrefix(c.Path, path)) {
			out = append(out, c)
		}
	}
	return out
}

func (f *fakeSlack) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

// telemetry counts refusals and votes.
type telemetry struct {
	bot.NopTelemetry
	mu      sync.Mutex
	refused map[string]int
}

func (t *telemetry) Refused(adapter, reason string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.refused == nil {
		t.refused = map[string]int{}
	}
	t.refused[adapter+"/"+reason]++
}

func (t *telemetry) refusals(key string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.refused[key]
}

// harness is an adapter running against a fake Slack, with a real SQLite
// journal.
type harness struct {
	a     *Adapter
	bot   *bot.Bot
	slack *fakeSlack
	tel   *telemetry
	store *store.Store
	logs  *syncWriter
}

type option func(*Config)

func newHarness(t *testing.T, opts ...option) *harness {
	t.Helper()
	f := newFakeSlack(t)
	return startHarness(t, f, opts...)
}

func startHarness(t *testing.T, f *fakeSlack, opts ...option) *harness {
	t.Helper()
	st, err := store.Open(t.Context(), filepath.Join(t.TempDir(), "mmdbot.db"), 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	tel := &telemetry{}
	logs := &syncWriter{w: &bytes.Buffer{}}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	b := bot.New(knowledge.Default(), bot.Options{Journal: st, Telemetry: tel})
	cfg := Config{BotToken: testBotToken, SigningSecret: testSecret, APIURL: f.GetAPIURL(), Workers: 2, Logger: logger}
	for _, o := range opts {
		o(&cfg)
	}
	a, err := New(cfg, b)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("Run did not return after cancel")
		}
		for _, secret := range []string{testSecret, testBotToken, testAppToken} {
			if strings.Contains(logs.String(), secret) {
				t.Errorf("a secret is in the log")
			}
		}
	})
	return &harness{a: a, bot: b, slack: f, tel: tel, store: st, logs: logs}
}

// syncWriter is a log buffer safe for concurrent use; waitFor waits for
// what it is to hold.
type syncWriter struct {
	mu      sync.Mutex
	w       *bytes.Buffer
	changes changes
}

// waitFor returns once the log holds s, woken by each write.
func (s *syncWriter) waitFor(t *testing.T, want string) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		written := s.changes.next()
		if strings.Contains(s.String(), want) {
			return
		}
		select {
		case <-written:
		case <-timeout:
			t.Fatalf("the log lacks %q after 10s:\n%s", want, s.String())
		}
	}
}

// waitState returns once cond holds, woken by each change of the adapter's
// state (running, connected).
func waitState(t *testing.T, a *Adapter, what string, cond func() bool) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		changed := a.Changed()
		if cond() {
			return
		}
		select {
		case <-changed:
		case <-timeout:
			t.Fatalf("%s: not after 10s", what)
		}
	}
}

func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.String()
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.changes.notify()
	return s.w.Write(p)
}

// sign signs a request the way Slack does: HMAC-SHA256 of
// "v0:<timestamp>:<body>" with the signing secret, hex, prefixed "v0=".
func sign(h http.Header, body []byte, secret string, at time.Time) {
	ts := strconv.FormatInt(at.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%s:%s", ts, body)
	h.Set("X-Slack-Request-Timestamp", ts)
	h.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
}

// do sends a signed request to a handler and returns the response.
func do(t *testing.T, h http.Handler, contentType string, body []byte, mods ...func(*http.Request)) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/slack/x", bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	sign(req.Header, body, testSecret, time.Now())
	for _, m := range mods {
		m(req)
	}
	rec := httptest.NewRecorder()
	start := time.Now()
	h.ServeHTTP(rec, req)
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("answered in %v: Slack gives up after 3 s", d)
	}
	return rec
}

const formType = "application/x-www-form-urlencoded"

// eventBody is an Events API callback carrying one inner event.
func eventBody(id string, inner string) []byte {
	return []byte(`{"token":"x","team_id":"T1","api_app_id":"A1","type":"event_callback","event_id":"` + id +
		`","event_time":1700000000,"authorizations":[{"team_id":"T1","user_id":"` + testBotUser + `","is_bot":true}],"event":` + inner + `}`)
}

// commandBody is a slash command's form.
func commandBody(text, responseURL string) []byte {
	return []byte(url.Values{
		"token": {"x"}, "team_id": {"T1"}, "channel_id": {"C0GENERAL"}, "user_id": {"U0ASKER"},
		"command": {"/mmd"}, "text": {text}, "response_url": {responseURL}, "trigger_id": {"1.2.3"},
	}.Encode())
}

// interactionBody is a block_actions payload for one button.
func interactionBody(t *testing.T, actionID, value, responseURL string, ephemeral bool, container string) []byte {
	t.Helper()
	p := map[string]any{
		"type": "block_actions", "user": map[string]any{"id": "U0ASKER"},
		"team": map[string]any{"id": "T1"}, "channel": map[string]any{"id": "C0GENERAL"},
		"container":    map[string]any{"type": container, "channel_id": "C0GENERAL", "is_ephemeral": ephemeral, "message_ts": "1.2"},
		"response_url": responseURL, "trigger_id": "1.2.3",
		"actions": []map[string]any{{"action_id": actionID, "block_id": "b", "type": "button", "value": value, "action_ts": "1.3"}},
	}
	js, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return []byte(url.Values{"payload": {string(js)}}.Encode())
}

// blocksOf decodes the blocks of a recorded message.
func blocksOf(t *testing.T, c call) []map[string]any {
	t.Helper()
	var blocks []map[string]any
	if c.Form != nil {
		if err := json.Unmarshal([]byte(c.Form.Get("blocks")), &blocks); err != nil {
			t.Fatalf("blocks of %s: %v", c.Path, err)
		}
		return blocks
	}
	raw, _ := json.Marshal(c.JSON["blocks"])
	_ = json.Unmarshal(raw, &blocks)
	return blocks
}

// headerTexts returns the texts of the header blocks.
func headerTexts(blocks []map[string]any) []string {
	var out []string
	for _, b := range blocks {
		if b["type"] == "header" {
			s, _ := textOf(b["text"])
			out = append(out, s)
		}
	}
	return out
}

// slackBlock is a block as received, raw JSON, so that checkLimits can look
// at what went over the wire.
type slackBlock json.RawMessage

func (b slackBlock) BlockType() slack.MessageBlockType { return "raw" }
func (b slackBlock) ID() string                        { return "" }
func (b slackBlock) MarshalJSON() ([]byte, error)      { return b, nil }
