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

// loadJob is one signed request of the load run.
type loadJob struct {
	key         string // "event <thread>" or "command /respond/<id>"
	contentType string
	body        []byte
}

// loadJobs sends commands and events, mixed evenly, to jobs and closes it.
func loadJobs(jobs chan<- loadJob, respond string, commands, events int) {
	defer close(jobs)
	every := commands/max(events, 1) + 1
	for i := range commands + events {
		if i%every == 0 && i/every < events {
			n := i / every
			ts := fmt.Sprintf("1700000000.%06d", n)
			body := fmt.Appendf(nil, `{"token":"x","team_id":"T1","api_app_id":"A1","type":"event_callback","event_id":"EvLoad%d","event_time":1700000000,`+
				`"event":{"type":"app_mention","user":"U0ASKER","text":"<@UBOT> who handles VPN issues?","ts":%q,"channel":"C0GENERAL"}}`, n, ts)
			jobs <- loadJob{"event " + ts, "application/json", body}
			continue
		}
		id := strconv.Itoa(i)
		form := url.Values{"command": {"/mmd"}, "text": {"table"}, "user_id": {"U1"}, "channel_id": {"C1"}, "team_id": {"T1"},
			"response_url": {respond + id}}
		jobs <- loadJob{"command /respond/" + id, "application/x-www-form-urlencoded", []byte(form.Encode())}
	}
}

// sendLoad signs and sends the jobs at the given concurrency, recording
// when each was sent; it returns how many were not acknowledged with 200.
func sendLoad(base string, jobs <-chan loadJob, concurrency int, sentAt *sync.Map) int64 {
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
				req, _ := http.NewRequest(http.MethodPost, base+path, bytes.NewReader(j.body))
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
	wg.Wait()
	return failed.Load()
}

// waitOutbox waits until the store at target owes nothing, or a minute
// passes without a call to the fake Slack.
func waitOutbox(t *testing.T, target string, fake *loadSlack) {
	st, err := store.Open(t.Context(), target, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	quiet := time.Now()
	lastHits := fake.hits.Load()
	for {
		n, err := st.Pending(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if h := fake.hits.Load(); h != lastHits {
			lastHits, quiet = h, time.Now()
		} else if time.Since(quiet) > time.Minute {
			t.Errorf("%d replies still owed after a minute without a delivery", n)
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// tally counts, per request sent, what the fake Slack received: every
// command's table has as many messages as the largest one delivered.
func (f *loadSlack) tally(t *testing.T, sentAt *sync.Map, r *loadResult) {
	f.mu.Lock()
	defer f.mu.Unlock()
	want := map[string]int{"event": 1}
	for req, n := range f.msgs {
		if strings.HasPrefix(req, "command") {
			want["command"] = max(want["command"], n)
		}
	}
	sentAt.Range(func(k, v any) bool {
		key := k.(string)
		r.sent++
		if got := f.msgs[key]; got == 0 || got < want[strings.Fields(key)[0]] {
			r.lost++
			return true
		}
		r.delivered++
		r.latencies = append(r.latencies, f.last[key].Sub(v.(time.Time)))
		return true
	})
	for msg, n := range f.seen {
		if n > 1 {
			r.duplicated++
			t.Logf("delivered %d times: %s", n, msg)
		}
	}
	t.Logf("a command's table: %d messages to its response_url", want["command"])
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

	jobs := make(chan loadJob, concurrency)
	var sentAt sync.Map
	start := time.Now()
	go loadJobs(jobs, slack.URL+"/respond/", commands, events)
	if n := sendLoad(s.URL, jobs, concurrency, &sentAt); n > 0 {
		t.Errorf("%d requests not acknowledged with 200", n)
	}
	waitOutbox(t, target, fake)
	r := loadResult{elapsed: time.Since(start)}
	if err := s.Stop(); err != nil {
		t.Errorf("stop: %v", err)
	}
	r.hits = fake.hits.Load()
	fake.tally(t, &sentAt, &r)
	return r
}
