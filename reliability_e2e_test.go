package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack/slacktest"
)

// slackCounter is a fake Slack whose chat.postMessage counts the replies
// per thread (one thread per event), taking delay to answer; a reply
// whose caller hung up before the answer is not counted, as the caller
// will send it again.
type slackCounter struct {
	mu      sync.Mutex
	threads map[string]int
	delay   time.Duration
	fail    map[string]bool // threads whose first post gets 500
	added   chan struct{}
}

func newSlackCounter(t *testing.T, delay time.Duration) (*slackCounter, *slacktest.Server) {
	c := &slackCounter{threads: map[string]int{}, delay: delay, fail: map[string]bool{}, added: make(chan struct{}, 100_000)}
	fake := slacktest.NewTestServer(func(cu slacktest.Customize) { cu.Handle("/chat.postMessage", c.handler) })
	fake.Start()
	t.Cleanup(fake.Stop)
	return c, fake
}

func (c *slackCounter) setDelay(d time.Duration) {
	c.mu.Lock()
	c.delay = d
	c.mu.Unlock()
}

func (c *slackCounter) handler(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	form, _ := url.ParseQuery(string(body))
	thread := form.Get("thread_ts")
	c.mu.Lock()
	delay, fail := c.delay, c.fail[thread]
	c.fail[thread] = false
	c.mu.Unlock()
	if fail {
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	select {
	case <-time.After(delay):
	case <-r.Context().Done():
		return
	}
	c.mu.Lock()
	c.threads[thread]++
	c.mu.Unlock()
	c.added <- struct{}{}
	fmt.Fprintf(w, `{"ok":true,"channel":%q,"ts":"1700000100.000100"}`, form.Get("channel"))
}

// counts returns how many threads got a reply, and how many got more than
// one.
func (c *slackCounter) counts() (answered, duplicated int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, n := range c.threads {
		answered++
		if n > 1 {
			duplicated++
		}
	}
	return answered, duplicated
}

// waitAnswered waits until n threads got a reply.
func (c *slackCounter) waitAnswered(t *testing.T, n int, logs fmt.Stringer) {
	t.Helper()
	deadline := time.After(patience)
	for {
		if got, _ := c.counts(); got >= n {
			return
		}
		select {
		case <-c.added:
		case <-deadline:
			got, _ := c.counts()
			t.Fatalf("%d of %d events answered after %s\n%s", got, n, patience, logs)
		}
	}
}

// mentionBody is an app_mention event of its own id and thread.
func mentionBody(i int) []byte {
	return fmt.Appendf(nil, `{"token":"x","team_id":"T1","api_app_id":"A1","type":"event_callback","event_id":"EvRel%d","event_time":1700000000,`+
		`"event":{"type":"app_mention","user":"U0ASKER","text":"<@UBOT> who handles VPN issues?","ts":"1700000000.%06d","channel":"C0GENERAL"}}`, i, i)
}

func slackEnv(fake *slacktest.Server) map[string]string {
	return map[string]string{
		"SLACK_BOT_TOKEN":      "xoxb-e2e-token",
		"SLACK_SIGNING_SECRET": slackE2ESecret,
		"SLACK_API_URL":        fake.GetAPIURL(),
	}
}

// TestShutdownKeepsAcknowledgedWork: events acknowledged while Slack is
// slow are not lost at SIGTERM: what is not delivered within
// --shutdown-timeout stays stored, the exit is clean, and the next start
// delivers it, each event answered once.
func TestShutdownKeepsAcknowledgedWork(t *testing.T) {
	counter, fake := newSlackCounter(t, 2*time.Second)
	data := filepath.Join(t.TempDir(), "mmdbot.db")
	args := []string{"--data", data, "--shutdown-timeout", "3s"}
	s := runServer(t, args, slackEnv(fake))
	const events = 40
	for i := range events {
		if code, _ := slackE2EPost(t, s.URL+"/slack/events", "application/json", mentionBody(i), slackE2ESecret, time.Now()); code != 200 {
			t.Fatalf("event %d: status %d", i, code)
		}
	}
	start := time.Now()
	if err := s.Stop(); err != nil {
		t.Fatalf("shutdown with replies owed: %v, want a clean exit\n%s", err, s.Logs)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("shutdown took %s with --shutdown-timeout 3s", d)
	}
	first, _ := counter.counts()
	if first == events {
		t.Fatalf("all %d delivered before the shutdown: the test proves nothing", events)
	}
	if !strings.Contains(s.Logs.String(), "stay stored") {
		t.Errorf("the shutdown does not say what it left stored\n%s", s.Logs)
	}
	counter.setDelay(0)
	s2 := runServer(t, args, slackEnv(fake))
	counter.waitAnswered(t, events, s2.Logs)
	if err := s2.Stop(); err != nil {
		t.Fatal(err)
	}
	answered, duplicated := counter.counts()
	if answered != events || duplicated != 0 {
		t.Errorf("%d events answered (%d before the restart), %d more than once; want %d, each once", answered, first, duplicated, events)
	}
}

// TestJournalDeletedWhileServing: a journal deleted under the server
// fails its writes, loudly: /readyz's store check fails and the failures
// are counted.
func TestJournalDeletedWhileServing(t *testing.T) {
	s := runServer(t, nil, nil)
	if resp, body := get(t, "GET", s.URL+"/readyz"); resp.StatusCode != 200 {
		t.Fatalf("readyz before: %d %s", resp.StatusCode, body)
	}
	for _, ext := range []string{"", "-wal", "-shm"} {
		os.Remove(s.Data + ext)
	}
	answerOf(t, s.URL, "asdfgh qwerty zxcvb") // unanswered: journalled
	resp, body := get(t, "GET", s.URL+"/readyz")
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, `"store":"failing"`) {
		t.Errorf("readyz after the journal was deleted: %d %s", resp.StatusCode, body)
	}
	_, metrics := get(t, "GET", s.URL+"/metrics")
	for _, want := range []string{`mmdbot_journal_failures_total{op="miss"} 1`, "mmdbot_store_write_failures_total 1"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if !strings.Contains(s.Logs.String(), "was deleted while in use") {
		t.Errorf("the log does not say the journal was deleted\n%s", s.Logs)
	}
}

// TestCorruptJournalAtStart: a corrupt journal does not stop the server:
// it is moved aside with an error in the log, and the server starts with a
// fresh one and answers.
func TestCorruptJournalAtStart(t *testing.T) {
	data := filepath.Join(t.TempDir(), "mmdbot.db")
	s := runServer(t, []string{"--data", data}, nil)
	answerOf(t, s.URL, "asdfgh qwerty zxcvb")
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(data)
	if err != nil {
		t.Fatal(err)
	}
	for i := 100; i < len(b); i++ {
		b[i] = 0x5A
	}
	os.WriteFile(data, b, 0o600)
	s = runServer(t, []string{"--data", data}, nil)
	if got := answerOf(t, s.URL, "who handles VPN issues?"); got == "" {
		t.Error("no answer after starting on a corrupt journal")
	}
	if resp, body := get(t, "GET", s.URL+"/readyz"); resp.StatusCode != 200 {
		t.Errorf("readyz: %d %s", resp.StatusCode, body)
	}
	if moved, _ := filepath.Glob(data + ".corrupt-*"); len(moved) != 1 || !strings.Contains(s.Logs.String(), "CORRUPT") {
		t.Errorf("moved aside: %v; log:\n%s", moved, s.Logs)
	}
}
