package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mmdbot/mmdbot/internal/pgtest"
	"github.com/mmdbot/mmdbot/store"
)

// The load run: signed slash commands and app_mention events at a fixed
// concurrency against mmdbot serve, Slack's Web API and response_urls
// answering 500 to the first attempt at every message. It is opt-in
// (MMD_LOAD=1), as it takes minutes; MMD_LOAD_COMMANDS and MMD_LOAD_EVENTS
// set its size (20,000 and 5,000), MMD_LOAD_CONCURRENCY its concurrency
// (50). docs/reliability.md has its figures.
//
//	MMD_LOAD=1 go test -run TestLoad -timeout 60m -v .

// loadSlack is the fake Slack of the load run: every message fails once
// with 500, then is counted, with when it arrived.
type loadSlack struct {
	mu   sync.Mutex
	seen map[string]int       // message → deliveries (a failed attempt is -1 → 0)
	last map[string]time.Time // request → when its last message arrived
	msgs map[string]int       // request → distinct messages delivered
	hits atomic.Int64
}

func newLoadSlack() *loadSlack {
	return &loadSlack{seen: map[string]int{}, last: map[string]time.Time{}, msgs: map[string]int{}}
}

func (f *loadSlack) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.hits.Add(1)
	body, _ := io.ReadAll(r.Body)
	var request, message string
	switch {
	case r.URL.Path == "/api/chat.postMessage":
		form, _ := url.ParseQuery(string(body))
		request = "event " + form.Get("thread_ts")
		message = request + " " + form.Get("text")
	case strings.HasPrefix(r.URL.Path, "/respond/"):
		request = "command " + r.URL.Path
		sum := sha256.Sum256(body)
		message = request + " " + hex.EncodeToString(sum[:8])
	default:
		http.NotFound(w, r)
		return
	}
	f.mu.Lock()
	n, tried := f.seen[message]
	if !tried {
		f.seen[message] = 0
		f.mu.Unlock()
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	f.seen[message] = n + 1
	if n == 0 {
		f.msgs[request]++
	}
	f.last[request] = time.Now()
	f.mu.Unlock()
	if strings.HasPrefix(r.URL.Path, "/respond/") {
		io.WriteString(w, "ok")
		return
	}
	fmt.Fprintf(w, `{"ok":true,"channel":"C1","ts":"%d.000100"}`, time.Now().UnixNano())
}

// loadResult is what a load run found.
type loadResult struct {
	sent, delivered, lost, duplicated int
	latencies                         []time.Duration
	elapsed                           time.Duration
	hits                              int64
}

func envInt(t *testing.T, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		t.Fatalf("%s=%q is not a count", name, v)
	}
	return n
}

func TestLoad(t *testing.T) {
	if os.Getenv("MMD_LOAD") != "1" {
		t.Skip("the load run is opt-in: MMD_LOAD=1 go test -run TestLoad -timeout 60m -v .")
	}
	commands := envInt(t, "MMD_LOAD_COMMANDS", 20_000)
	events := envInt(t, "MMD_LOAD_EVENTS", 5_000)
	concurrency := envInt(t, "MMD_LOAD_CONCURRENCY", 50)
	// A knowledge file whose table takes more than one message, so that
	// every command is answered through its response_url.
	kb := filepath.Join(t.TempDir(), "kb.yaml")
	var b strings.Builder
	b.WriteString("extends: default\nentries:\n")
	for i := range 60 {
		side := []string{"customer", "microsoft"}[i%2]
		fmt.Fprintf(&b, "  - id: %s/load-thing-%d\n    title: Load thing %d\n    side: %s\n    description: Load thing %d is looked after by its owner.\n", side, i, i, side, i)
	}
	if err := os.WriteFile(kb, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			args := []string{"--log-level", "error", "--kb", kb}
			env := map[string]string{}
			target := filepath.Join(t.TempDir(), "mmdbot.db")
			if backend == "postgres" {
				target = pgtest.URL(t)
				env["MMD_DATABASE_URL"] = target
			} else {
				args = append(args, "--data", target)
			}
			r := loadRun(t, args, env, target, commands, events, concurrency)
			slices.Sort(r.latencies)
			p := func(q float64) time.Duration {
				if len(r.latencies) == 0 {
					return 0
				}
				return r.latencies[int(q*float64(len(r.latencies)-1))].Round(time.Millisecond)
			}
			t.Logf("| %s | %d (%d commands, %d events) | %d | %d | %d | %s | %s | %s | %d |",
				backend, r.sent, commands, events, r.delivered, r.lost, r.duplicated, p(0.5), p(0.99), r.elapsed.Round(time.Second), r.hits)
			if r.lost != 0 || r.duplicated != 0 {
				t.Errorf("%d lost, %d duplicated, of %d", r.lost, r.duplicated, r.sent)
			}
		})
	}
}

// loadRun runs mmdbot serve against the fake Slack and sends the load.
func loadRun(t *testing.T, args []string, env map[string]string, target string, commands, events, concurrency int) loadResult {
	fake := newLoadSlack()
	slack := httptest.NewServer(fake)
	defer slack.Close()
	env["SLACK_BOT_TOKEN"] = "xoxb-load-token"
	env["SLACK_SIGNING_SECRET"] = slackE2ESecret
	env["SLACK_API_URL"] = slack.URL + "/api/"
	s := runServer(t, args, env)

	type job struct {
		key         string
		contentType string
		body        []byte
	}
	jobs := make(chan job, concurrency)
	sentAt := sync.Map{}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: concurrency}, Timeout: 30 * time.Second}
	var failed atomic.Int64
	var wg sync.WaitGroup
	for range concurrency {
		wg.Go(func() {
			for j := range jobs {
				path := "/slack/commands"
				if strings.HasPrefix(j.key, "event") {
					path = "/slack/events"
				}
				req, _ := http.NewRequest(http.MethodPost, s.URL+path, bytes.NewReader(j.body))
				ts := strconv.FormatInt(time.Now().Unix(), 10)
				mac := hmac.New(sha256.New, []byte(slackE2ESecret))
				fmt.Fprintf(mac, "v0:%s:%s", ts, j.body)
				req.Header.Set("Content-Type", j.contentType)
				req.Header.Set("X-Slack-Request-Timestamp", ts)
				req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
				sentAt.Store(j.key, time.Now())
				resp, err := client.Do(req)
				if err != nil {
					failed.Add(1)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					failed.Add(1)
				}
			}
		})
	}
	start := time.Now()
	go func() {
		defer close(jobs)
		for i := range commands + events {
			if i%(commands/max(events, 1)+1) == 0 && i/(commands/max(events, 1)+1) < events {
				n := i / (commands/max(events, 1) + 1)
				ts := fmt.Sprintf("1700000000.%06d", n)
				body := fmt.Appendf(nil, `{"token":"x","team_id":"T1","api_app_id":"A1","type":"event_callback","event_id":"EvLoad%d","event_time":1700000000,`+
					`"event":{"type":"app_mention","user":"U0ASKER","text":"<@UBOT> who handles VPN issues?","ts":%q,"channel":"C0GENERAL"}}`, n, ts)
				jobs <- job{"event " + ts, "application/json", body}
				continue
			}
			id := strconv.Itoa(i)
			form := url.Values{"command": {"/mmd"}, "text": {"table"}, "user_id": {"U1"}, "channel_id": {"C1"}, "team_id": {"T1"},
				"response_url": {slack.URL + "/respond/" + id}}
			jobs <- job{"command /respond/" + id, "application/x-www-form-urlencoded", []byte(form.Encode())}
		}
	}()
	wg.Wait()
	if n := failed.Load(); n > 0 {
		t.Errorf("%d requests not acknowledged with 200", n)
	}
	sent := 0
	sentAt.Range(func(any, any) bool { sent++; return true })
	// Wait for the outbox to be empty, or a quiet minute.
	st, err := store.Open(t.Context(), target, 0)
	if err != nil {
		t.Fatal(err)
	}
	quiet := time.Now()
	lastHits := fake.hits.Load()
	for {
		n, err := st.Pending(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if h := fake.hits.Load(); h != lastHits {
			lastHits, quiet = h, time.Now()
		} else if time.Since(quiet) > time.Minute {
			t.Errorf("%d replies still owed after a minute without a delivery", n)
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	st.Close()
	elapsed := time.Since(start)
	if err := s.Stop(); err != nil {
		t.Errorf("stop: %v", err)
	}
	fake.mu.Lock()
	defer fake.mu.Unlock()
	r := loadResult{sent: sent, elapsed: elapsed, hits: fake.hits.Load()}
	// Every command's table has as many messages as the first one's.
	want := map[string]int{}
	for req, n := range fake.msgs {
		if strings.HasPrefix(req, "command") {
			want["command"] = max(want["command"], n)
		}
	}
	want["event"] = 1
	sentAt.Range(func(k, v any) bool {
		key := k.(string)
		kind := strings.Fields(key)[0]
		got := fake.msgs[key]
		switch {
		case got < want[kind] || got == 0:
			r.lost++
		default:
			r.delivered++
			r.latencies = append(r.latencies, fake.last[key].Sub(v.(time.Time)))
		}
		return true
	})
	for msg, n := range fake.seen {
		if n > 1 {
			r.duplicated++
			t.Logf("delivered %d times: %s", n, msg)
		}
	}
	t.Logf("a command's table: %d messages to its response_url", want["command"])
	return r
}
