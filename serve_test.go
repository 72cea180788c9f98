package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mmdbot/mmdbot/store"
)

// syncBuffer is a bytes.Buffer that the server writes from many goroutines
// while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testServer is `mmdbot serve` running in-process, on a port of its own.
type testServer struct {
	// URL is the base address, such as http://127.0.0.1:41234, with no
	// trailing slash.
	URL string
	// Logs is what the server wrote to stderr; Stdout what it wrote there.
	Logs, Stdout *syncBuffer
	// Data is the SQLite file the server records to.
	Data string
	// Reloads receives the result of each attempt to reload --kb.
	Reloads chan error

	cancel context.CancelFunc
	done   chan error
	once   sync.Once
	err    error
}

// serverOption adjusts the trace of a test server before it starts.
type serverOption func(*serveTrace)

// runServer runs run(ctx, ["serve", args...], env) in-process and returns
// once the server accepts connections. Unless args say otherwise it listens
// on 127.0.0.1:0 and records to a file in t.TempDir(). The environment is
// env alone: nothing leaks in from the environment of the test process. The
// server stops when the test ends, if Stop was not called before.
func runServer(t testing.TB, args []string, env map[string]string, opts ...serverOption) *testServer {
	t.Helper()
	s := &testServer{Logs: &syncBuffer{}, Stdout: &syncBuffer{}, Reloads: make(chan error, 16), done: make(chan error, 1)}
	if !hasFlag(args, "addr") {
		args = append([]string{"--addr", "127.0.0.1:0"}, args...)
	}
	if !hasFlag(args, "data") {
		s.Data = filepath.Join(t.TempDir(), "mmdbot.db")
		args = append([]string{"--data", s.Data}, args...)
	} else {
		s.Data = flagValue(args, "data")
	}
	listening := make(chan string, 1)
	trace := &serveTrace{
		listening: func(addr string) { listening <- addr },
		reloaded: func(err error) {
			select {
			case s.Reloads <- err:
			default:
			}
		},
	}
	for _, o := range opts {
		o(trace)
	}
	ctx, cancel := context.WithCancel(withServeTrace(context.Background(), trace))
	s.cancel = cancel
	getenv := func(k string) string { return env[k] }
	go func() {
		s.done <- run(ctx, append([]string{"serve"}, args...), getenv, strings.NewReader(""), s.Stdout, s.Logs)
	}()
	t.Cleanup(func() { s.Stop() })
	select {
	case addr := <-listening:
		s.URL = "http://" + addr
	case err := <-s.done:
		s.err = err
		s.once.Do(func() {})
		t.Fatalf("mmdbot serve %s: did not start: %v\n%s", strings.Join(args, " "), err, s.Logs)
	case <-time.After(10 * time.Second):
		t.Fatalf("mmdbot serve %s: not listening after 10s\n%s", strings.Join(args, " "), s.Logs)
	}
	return s
}

// Stop shuts the server down as SIGTERM does and returns what run returned.
// It can be called more than once.
func (s *testServer) Stop() error {
	s.once.Do(func() {
		s.cancel()
		select {
		case s.err = <-s.done:
		case <-time.After(30 * time.Second):
			s.err = errors.New("mmdbot serve did not stop within 30s")
		}
	})
	return s.err
}

// startServer runs `mmdbot serve` in-process with args (flags after
// "serve") and env (the whole environment it sees), on 127.0.0.1 at a free
// port and with its data in t.TempDir() unless args set --addr or --data.
// It returns the base URL (http://127.0.0.1:PORT, no trailing slash) and a
// stop function that shuts the server down gracefully and fails the test
// if run returned an error. The server also stops when the test ends.
//
//	base, stop := startServer(t, nil, map[string]string{"SLACK_BOT_TOKEN": "xoxb-test", ...})
//	defer stop()
//	resp, err := http.Post(base+"/slack/events", ...)
func startServer(t testing.TB, args []string, env map[string]string) (baseURL string, stop func()) {
	t.Helper()
	s := runServer(t, args, env)
	return s.URL, func() {
		t.Helper()
		if err := s.Stop(); err != nil {
			t.Errorf("mmdbot serve: %v\n%s", err, s.Logs)
		}
	}
}

func hasFlag(args []string, name string) bool {
	for _, a := range args {
		if a == "--"+name || a == "-"+name || strings.HasPrefix(a, "--"+name+"=") || strings.HasPrefix(a, "-"+name+"=") {
			return true
		}
	}
	return false
}

func flagValue(args []string, name string) string {
	for i, a := range args {
		if v, ok := strings.CutPrefix(a, "--"+name+"="); ok {
			return v
		}
		if (a == "--"+name || a == "-"+name) && i+1 < len(args) {
			return args[i+1]
		}
	}
	return ""
}

// get fetches base+path and returns the response and its body.
func get(t testing.TB, method, u string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, u, err)
	}
	// JSON is compacted, so that tests need not know its indentation.
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		var c bytes.Buffer
		if err := json.Compact(&c, body); err == nil {
			body = c.Bytes()
		}
	}
	return resp, string(body)
}

func TestServeEndpoints(t *testing.T) {
	s := runServer(t, nil, nil)
	long := url.QueryEscape(strings.Repeat("vpn ", 600))
	tests := []struct {
		name     string
		method   string
		path     string
		code     int
		ctype    string
		contains string
	}{
		{"page", "GET", "/", 200, "text/html", "<form"},
		// The privacy statement says what this server records: here, a
		// data file, kept 90 days.
		{"privacy", "GET", "/privacy", 200, "text/html", "deleted after 90 days"},
		{"terms", "GET", "/terms", 200, "text/html", "Terms of use"},
		{"ask", "GET", "/api/ask?q=" + url.QueryEscape("who handles VPN issues?"), 200, "application/json", `"answered":true`},
		{"ask unknown", "GET", "/api/ask?q=" + url.QueryEscape("where is the canteen menu?"), 200, "application/json", `"answered":false`},
		{"ask without question", "GET", "/api/ask", 400, "application/json", "error"},
		{"ask too long", "GET", "/api/ask?q=" + long, 400, "application/json", "too long"},
		{"ask not UTF-8", "GET", "/api/ask?q=%ff%fe", 400, "application/json", "not valid text"},
		{"healthz", "GET", "/healthz", 200, "text/plain", "ok"},
		{"healthz head", "HEAD", "/healthz", 200, "text/plain", ""},
		{"readyz", "GET", "/readyz", 200, "application/json", `"store":"ok"`},
		{"metrics", "GET", "/metrics", 200, "text/plain", "mmdbot_knowledge_entries"},
		{"wrong method", "POST", "/healthz", 405, "", ""},
		{"unknown path", "GET", "/nope", 404, "", ""},
		{"slack off", "POST", "/slack/events", 404, "", ""},
		{"teams off", "POST", "/api/messages", 404, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := get(t, tt.method, s.URL+tt.path)
			if resp.StatusCode != tt.code {
				t.Fatalf("%s %s: status %d, want %d\n%s", tt.method, tt.path, resp.StatusCode, tt.code, body)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, tt.ctype) {
				t.Errorf("Content-Type %q, want %s", ct, tt.ctype)
			}
			if !strings.Contains(body, tt.contains) {
				t.Errorf("body lacks %q:\n%.500s", tt.contains, body)
			}
		})
	}
	if err := s.Stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
}

// A bare `mmdbot` with flags is `mmdbot serve`.
func TestServeIsTheDefault(t *testing.T) {
	listening := make(chan string, 1)
	ctx, cancel := context.WithCancel(withServeTrace(context.Background(), &serveTrace{listening: func(a string) { listening <- a }}))
	done := make(chan error, 1)
	logs := &syncBuffer{}
	go func() {
		done <- run(ctx, []string{"--addr", "127.0.0.1:0", "--data", filepath.Join(t.TempDir(), "d.db")}, func(string) string { return "" }, nil, io.Discard, logs)
	}()
	select {
	case addr := <-listening:
		if resp, _ := get(t, "GET", "http://"+addr+"/healthz"); resp.StatusCode != 200 {
			t.Errorf("/healthz: %s", resp.Status)
		}
	case err := <-done:
		t.Fatalf("mmdbot: %v\n%s", err, logs)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("mmdbot: %v", err)
	}
}

func TestServeMetricsAndLogs(t *testing.T) {
	s := runServer(t, []string{"--log-format", "json"}, nil)
	get(t, "GET", s.URL+"/api/ask?q="+url.QueryEscape("who handles VPN issues?"))
	get(t, "GET", s.URL+"/api/ask?q="+url.QueryEscape("who feeds the office goldfish?"))
	req, _ := http.NewRequest("GET", s.URL+"/api/ask?q=printers", nil)
	req.Header.Set("Authorization", "Bearer sekret-token-value")
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}
	_, body := get(t, "GET", s.URL+"/metrics")
	for _, want := range []string{
		`mmdbot_questions_total{adapter="web",band="answer"} 2`,
		`mmdbot_questions_total{adapter="web",band="unknown"} 1`,
		`mmdbot_answer_seconds_count{adapter="web"} 3`,
		`mmdbot_http_requests_total{code="200",route="GET /api/ask"} 3`,
		`mmdbot_knowledge_reloads_total{result="failed"} 0`,
		"go_goroutines",
		"process_resident_memory_bytes",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	logs := s.Logs.String()
	var requests, questions int
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		switch rec["msg"] {
		case "request":
			requests++
			if l, ok := rec["latency"].(float64); !ok || l <= 0 || l > 10 {
				t.Errorf("request latency %v is not in seconds: %s", rec["latency"], line)
			}
			for _, k := range []string{"method", "path", "status", "bytes", "latency"} {
				if _, ok := rec[k]; !ok {
					t.Errorf("request log line lacks %s: %s", k, line)
				}
			}
		case "question":
			questions++
			for _, k := range []string{"adapter", "band", "entry", "latency"} {
				if _, ok := rec[k]; !ok {
					t.Errorf("question log line lacks %s: %s", k, line)
				}
			}
		}
	}
	if requests < 3 || questions != 3 {
		t.Errorf("logged %d requests and %d questions, want at least 3 and 3", requests, questions)
	}
	for _, secret := range []string{"sekret-token-value", "goldfish", "q="} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log holds %q", secret)
		}
	}
}

func TestServeRecordsUnanswered(t *testing.T) {
	s := runServer(t, []string{"--record-users"}, nil)
	get(t, "GET", s.URL+"/api/ask?q="+url.QueryEscape("who feeds the office goldfish?"))
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(t.Context(), s.Data, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	un, err := st.Unanswered(t.Context(), time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(un) != 1 || !strings.Contains(un[0].Question, "goldfish") || !slices.Equal(un[0].Adapters, []string{"web"}) {
		t.Errorf("unanswered = %+v, want the goldfish question from web", un)
	}
}

const goodKB = `extends: default
entries:
  - id: customer/quokka-badge-readers
    title: Quokka badge readers
    side: customer
    description: Your organisation installs and maintains Quokka badge readers on managed devices.
    keywords: [quokka, badge reader]
`

const betterKB = goodKB + `  - id: customer/wombat-docking-stations
    title: Wombat docking stations
    side: customer
    description: Your organisation buys and replaces Wombat docking stations.
    keywords: [wombat, docking station]
`

const badKB = `extends: default
entries:
  - id: customer/broken
    title: Broken
    side: nowhere
    description: x
`

// answerOf asks the running server and returns the id of its answer ("" if
// it does not know).
func answerOf(t *testing.T, base, q string) string {
	t.Helper()
	resp, body := get(t, "GET", base+"/api/ask?q="+url.QueryEscape(q))
	if resp.StatusCode != 200 {
		t.Fatalf("ask %q: %s", q, resp.Status)
	}
	var r struct {
		Answer *struct{ ID string } `json:"answer"`
	}
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatal(err)
	}
	if r.Answer == nil {
		return ""
	}
	return r.Answer.ID
}

func waitReload(t *testing.T, s *testServer) error {
	t.Helper()
	select {
	case err := <-s.Reloads:
		return err
	case <-time.After(10 * time.Second):
		t.Fatalf("no reload within 10s\n%s", s.Logs)
		return nil
	}
}

func TestServeReload(t *testing.T) {
	dir := t.TempDir()
	kb := filepath.Join(dir, "kb.yaml")
	if err := os.WriteFile(kb, []byte(goodKB), 0o644); err != nil {
		t.Fatal(err)
	}
	s := runServer(t, []string{"--kb", kb}, nil)
	const wombat = "who replaces wombat docking stations?"
	if got := answerOf(t, s.URL, "who maintains quokka badge readers?"); got != "customer/quokka-badge-readers" {
		t.Fatalf("before reload: answer %q", got)
	}
	if got := answerOf(t, s.URL, wombat); got != "" {
		t.Fatalf("before reload: answer %q to %q", got, wombat)
	}

	// A good file answers at once.
	if err := os.WriteFile(kb, []byte(betterKB), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := waitReload(t, s); err != nil {
		t.Fatalf("reload of a good file: %v", err)
	}
	if got := answerOf(t, s.URL, wombat); got != "customer/wombat-docking-stations" {
		t.Errorf("after reload: answer %q to %q", got, wombat)
	}

	// A bad file, replaced by renaming as editors do, is refused.
	tmp := filepath.Join(dir, ".kb.yaml.tmp")
	if err := os.WriteFile(tmp, []byte(badKB), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, kb); err != nil {
		t.Fatal(err)
	}
	if err := waitReload(t, s); err == nil {
		t.Fatal("reload of a bad file: no error")
	}
	if got := answerOf(t, s.URL, wombat); got != "customer/wombat-docking-stations" {
		t.Errorf("after a refused reload: answer %q to %q, want the knowledge loaded before", got, wombat)
	}
	_, body := get(t, "GET", s.URL+"/metrics")
	for _, want := range []string{`mmdbot_knowledge_reloads_total{result="ok"} 1`, `mmdbot_knowledge_reloads_total{result="failed"} 1`, "mmdbot_knowledge_entries 17"} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if resp, _ := get(t, "GET", s.URL+"/readyz"); resp.StatusCode != 200 {
		t.Errorf("/readyz after a refused reload: %s", resp.Status)
	}

	// SIGHUP reloads too; the file is fixed again.
	if err := os.WriteFile(kb, []byte(goodKB), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := waitReload(t, s); err != nil {
		t.Fatalf("reload after fixing the file: %v", err)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	if err := waitReload(t, s); err != nil {
		t.Fatalf("reload on SIGHUP: %v", err)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	logs := s.Logs.String()
	for _, want := range []string{"kb.yaml", "line=5", `unknown side \"nowhere\"`, "knowledge reload refused", "trigger=signal"} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
}

func TestServeShutdown(t *testing.T) {
	tests := []struct {
		name    string
		timeout string
		release bool // let the request in flight finish
		wantErr string
	}{
		{"request in flight finishes", "10s", true, ""},
		{"request in flight too slow", "200ms", false, "did not finish within 200ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			entered, release := make(chan struct{}), make(chan struct{})
			defer close(release)
			// The request to /api/ask?q=slow waits for release inside the
			// server, as a slow answer would.
			slow := func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.URL.Query().Get("q") == "slow" {
						close(entered)
						select {
						case <-release:
						case <-r.Context().Done():
						}
					}
					next.ServeHTTP(w, r)
				})
			}
			s := runServer(t, []string{"--shutdown-timeout", tt.timeout}, nil, func(tr *serveTrace) { tr.middleware = slow })
			type result struct {
				code int
				body string
				err  error
			}
			inflight := make(chan result, 1)
			go func() {
				resp, err := http.Get(s.URL + "/api/ask?q=slow")
				if err != nil {
					inflight <- result{err: err}
					return
				}
				defer resp.Body.Close()
				b, err := io.ReadAll(resp.Body)
				inflight <- result{resp.StatusCode, string(b), err}
			}()
			<-entered
			stopped := make(chan error, 1)
			go func() { stopped <- s.Stop() }()
			// New connections are refused once shutdown begins.
			deadline := time.Now().Add(5 * time.Second)
			for {
				c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
				resp, err := c.Get(s.URL + "/healthz")
				if err != nil {
					break
				}
				resp.Body.Close()
				if time.Now().After(deadline) {
					t.Fatal("still accepting connections 5s after shutdown began")
				}
				time.Sleep(10 * time.Millisecond)
			}
			if tt.release {
				release <- struct{}{}
			}
			err := <-stopped
			r := <-inflight
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("run: %v", err)
				}
				if r.err != nil || r.code != 200 || !strings.Contains(r.body, `"slow"`) {
					t.Errorf("request in flight: %d %v %.200s", r.code, r.err, r.body)
				}
				if !strings.Contains(s.Logs.String(), "msg=stopped") {
					t.Errorf("no stop logged:\n%s", s.Logs)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("run: %v, want an error saying %q", err, tt.wantErr)
			}
		})
	}
}

func TestServeStartErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte(badKB), 0o644)
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want []string // in what run printed or returned
	}{
		{"slack bot token alone", nil, map[string]string{"SLACK_BOT_TOKEN": "xoxb-1-2-abc"},
			[]string{"neither SLACK_APP_TOKEN (Socket Mode) nor SLACK_SIGNING_SECRET"}},
		{"slack user token", nil, map[string]string{"SLACK_BOT_TOKEN": "xoxp-1-2-abc", "SLACK_APP_TOKEN": "xapp-1-abc"},
			[]string{"slack: SLACK_BOT_TOKEN does not start with xoxb-"}},
		{"slack app token of the wrong kind", nil, map[string]string{"SLACK_BOT_TOKEN": "xoxb-1-2-abc", "SLACK_APP_TOKEN": "xoxb-1-abc"},
			[]string{"slack: SLACK_APP_TOKEN does not start with xapp-"}},
		{"slack app token alone", nil, map[string]string{"SLACK_APP_TOKEN": "xapp-1-abc"},
			[]string{"SLACK_BOT_TOKEN is not set"}},
		{"teams app id without password", nil, map[string]string{"MICROSOFT_APP_ID": "00000000-0000-0000-0000-000000000000"},
			[]string{"teams: MICROSOFT_APP_ID is set without MICROSOFT_APP_PASSWORD"}},
		{"teams password without app id", nil, map[string]string{"MICROSOFT_APP_PASSWORD": "pw"},
			[]string{"teams: MICROSOFT_APP_PASSWORD is set without MICROSOFT_APP_ID"}},
		{"log format", []string{"--log-format", "xml"}, nil, []string{`--log-format "xml" is not a log format`}},
		{"log level from the environment", nil, map[string]string{"MMD_LOG_LEVEL": "loud"}, []string{`MMD_LOG_LEVEL "loud" is not a log level`}},
		{"shutdown timeout", []string{"--shutdown-timeout", "soon"}, nil, []string{`--shutdown-timeout "soon" is not a duration`}},
		{"address", []string{"--addr", "8080"}, nil, []string{`--addr "8080" is not an address`}},
		{"retention", []string{"--retention", "0s"}, nil, []string{"--retention must be more than zero"}},
		{"bad knowledge file", []string{"--kb", bad}, nil, []string{"bad.yaml", "line=5", "unknown side"}},
		{"missing knowledge file", []string{"--kb", filepath.Join(dir, "none.yaml")}, nil, []string{"read knowledge file", "none.yaml"}},
		{"data store", []string{"--data", filepath.Join(dir, "no", "such", "dir", "d.db")}, nil, []string{"open data store", "set --data or MMD_DATA"}},
		{"argument", []string{"now"}, nil, []string{`unexpected argument "now"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"serve", "--addr", "127.0.0.1:0", "--data", filepath.Join(t.TempDir(), "d.db")}, tt.args...)
			var stdout, stderr bytes.Buffer
			err := run(t.Context(), args, func(k string) string { return tt.env[k] }, nil, &stdout, &stderr)
			if err == nil {
				t.Fatalf("run %v: started, want an error", args)
			}
			out := stderr.String() + err.Error()
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for k, v := range tt.env {
				if isSecret(k) && strings.Contains(out, v) {
					t.Errorf("output shows the value %q:\n%s", v, out)
				}
			}
		})
	}
}

func TestServeAddressInUse(t *testing.T) {
	s := runServer(t, nil, nil)
	var stderr bytes.Buffer
	err := run(t.Context(), []string{"serve", "--addr", strings.TrimPrefix(s.URL, "http://"), "--data", filepath.Join(t.TempDir(), "d.db")}, func(string) string { return "" }, nil, io.Discard, &stderr)
	if err == nil || !strings.Contains(err.Error(), "listen on") || !strings.Contains(err.Error(), "MMD_ADDR") {
		t.Errorf("run on a busy address: %v", err)
	}
}

func TestServeLogsAdaptersOff(t *testing.T) {
	s := runServer(t, nil, nil)
	s.Stop()
	logs := s.Logs.String()
	for _, want := range []string{
		`msg="adapter off" adapter=slack turn_on="set SLACK_BOT_TOKEN`,
		`msg="adapter off" adapter=teams turn_on="set MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD`,
		"msg=listening addr=" + strings.TrimPrefix(s.URL, "http://"),
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
}

func TestServeNoData(t *testing.T) {
	s := runServer(t, []string{"--data="}, nil)
	resp, body := get(t, "GET", s.URL+"/readyz")
	if resp.StatusCode != 200 || !strings.Contains(body, `"store":"off"`) {
		t.Errorf("/readyz without a store: %s %s", resp.Status, body)
	}
	if got := answerOf(t, s.URL, "who feeds the office goldfish?"); got != "" {
		t.Errorf("answer %q", got)
	}
}

// isSecret reports whether the variable holds a secret.
func isSecret(name string) bool {
	for _, s := range settings {
		if s.env == name {
			return s.secret
		}
	}
	return false
}

// BenchmarkServeAsk measures a question over real HTTP through the whole
// server: routing, logging, metrics, the bot and the JSON.
func BenchmarkServeAsk(b *testing.B) {
	s := runServer(b, []string{"--log-level", "error", "--data="}, nil)
	u := s.URL + "/api/ask?q=" + url.QueryEscape("who handles VPN issues?")
	client := &http.Client{}
	var lat []time.Duration
	for b.Loop() {
		start := time.Now()
		resp, err := client.Get(u)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
}

// With --shutdown-delay the server keeps serving after SIGTERM while
// /readyz says it is shutting down, so that a load balancer moves away.
func TestServeShutdownDelay(t *testing.T) {
	s := runServer(t, []string{"--shutdown-delay", "2s"}, nil)
	stopped := make(chan error, 1)
	go func() { stopped <- s.Stop() }()
	deadline := time.Now().Add(2 * time.Second)
	for {
		resp, body := get(t, "GET", s.URL+"/readyz")
		if resp.StatusCode == http.StatusServiceUnavailable {
			if !strings.Contains(body, `"server":"shutting down"`) {
				t.Errorf("/readyz while shutting down: %s", body)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("/readyz still ready after SIGTERM")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if resp, _ := get(t, "GET", s.URL+"/healthz"); resp.StatusCode != 200 {
		t.Errorf("/healthz during the delay: %s", resp.Status)
	}
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
}

// A write to the data store that fails is logged and counted, and the
// question is answered all the same.
func TestServeJournalFailure(t *testing.T) {
	s := runServer(t, nil, nil)
	// Break the store under the running server: its table goes away.
	st, err := store.Open(t.Context(), s.Data, 0)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+s.Data+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("DROP TABLE misses"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	st.Close()

	resp, body := get(t, "GET", s.URL+"/api/ask?q="+url.QueryEscape("who feeds the office goldfish?"))
	if resp.StatusCode != 200 || !strings.Contains(body, `"answered":false`) {
		t.Errorf("ask with a broken store: %s %.200s", resp.Status, body)
	}
	_, metrics := get(t, "GET", s.URL+"/metrics")
	if !strings.Contains(metrics, `mmdbot_journal_failures_total{op="miss"} 1`) {
		t.Errorf("the failed write is not counted")
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(s.Logs.String(), `msg="record unanswered question"`) {
		t.Errorf("the failed write is not logged:\n%s", s.Logs)
	}
}

// A Kubernetes ConfigMap volume updates by swapping the ..data symlink; the
// file itself is a symlink through it. The swap reloads the knowledge.
func TestServeReloadConfigMapSwap(t *testing.T) {
	dir := t.TempDir()
	v1, v2 := filepath.Join(dir, "..v1"), filepath.Join(dir, "..v2")
	for v, kb := range map[string]string{v1: goodKB, v2: betterKB} {
		if err := os.Mkdir(v, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(v, "kb.yaml"), []byte(kb), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("..v1", filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	kb := filepath.Join(dir, "kb.yaml")
	if err := os.Symlink(filepath.Join("..data", "kb.yaml"), kb); err != nil {
		t.Fatal(err)
	}
	s := runServer(t, []string{"--kb", kb}, nil)
	const wombat = "who replaces wombat docking stations?"
	if got := answerOf(t, s.URL, wombat); got != "" {
		t.Fatalf("before the swap: answer %q", got)
	}
	tmp := filepath.Join(dir, "..data_tmp")
	if err := os.Symlink("..v2", tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	if err := waitReload(t, s); err != nil {
		t.Fatalf("reload after the swap: %v", err)
	}
	if got := answerOf(t, s.URL, wombat); got != "customer/wombat-docking-stations" {
		t.Errorf("after the swap: answer %q", got)
	}
}

// A Slack adapter that stops (here Socket Mode refused with invalid_auth,
// as for a revoked token) is logged and counted, /readyz reports it, and
// the web page, the API and Teams go on serving.
func TestServeSlackFailureKeepsServing(t *testing.T) {
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/apps.connections.open":
			io.WriteString(w, `{"ok":false,"error":"invalid_auth"}`)
		default:
			io.WriteString(w, `{"ok":false,"error":"unknown_method"}`)
		}
	}))
	defer fake.Close()
	const botToken, appToken = "xoxb-1-2-botsecretvalue", "xapp-1-A1-3-appsecretvalue"
	s := runServer(t, []string{"--teams-dev"}, map[string]string{
		"SLACK_BOT_TOKEN": botToken,
		"SLACK_APP_TOKEN": appToken,
		"SLACK_API_URL":   fake.URL + "/",
	})
	const failed = `mmdbot_adapter_failures_total{adapter="slack"} 1`
	for deadline := time.Now().Add(10 * time.Second); ; {
		if _, body := get(t, "GET", s.URL+"/metrics"); strings.Contains(body, failed) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("metrics lack %q after 10s\n%s", failed, s.Logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
	resp, body := get(t, "GET", s.URL+"/readyz")
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, `"slack":"failed"`) || !strings.Contains(body, `"teams":"ok"`) {
		t.Errorf("/readyz after the Slack adapter failed: %s %s", resp.Status, body)
	}
	if resp, body := get(t, "GET", s.URL+"/api/ask?q="+url.QueryEscape("who handles VPN issues?")); resp.StatusCode != 200 || !strings.Contains(body, `"answered"`) {
		t.Errorf("the API after the Slack adapter failed: %s %.200s", resp.Status, body)
	}
	if resp, _ := get(t, "GET", s.URL+"/"); resp.StatusCode != 200 {
		t.Errorf("the web page after the Slack adapter failed: %s", resp.Status)
	}
	if resp, _ := get(t, "POST", s.URL+"/api/messages"); resp.StatusCode == 404 || resp.StatusCode == 405 {
		t.Errorf("POST /api/messages after the Slack adapter failed: %s, want it served", resp.Status)
	}
	if err := s.Stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	logs := s.Logs.String()
	if !strings.Contains(logs, `level=ERROR msg="slack adapter failed: Slack is off until mmdbot restarts"`) || !strings.Contains(logs, "invalid_auth") {
		t.Errorf("the failure is not logged at error level:\n%s", logs)
	}
	for _, leak := range []string{"botsecretvalue", "appsecretvalue"} {
		if strings.Contains(logs, leak) {
			t.Errorf("the log holds %q", leak)
		}
	}
}

// --teams-dev warns when it ignores Teams credentials and when the server
// is reachable from other machines.
func TestServeTeamsDevWarnings(t *testing.T) {
	tests := []struct {
		name   string
		addr   string
		env    map[string]string
		warn   []string
		noWarn []string
	}{
		{"loopback, no credentials", "127.0.0.1:0", nil, nil,
			[]string{"credentials are ignored", "only accepts requests from this machine"}},
		{"credentials set", "127.0.0.1:0", map[string]string{"MICROSOFT_APP_ID": "11111111-2222-3333-4444-555555555555", "MICROSOFT_APP_PASSWORD": "pa55-secretvalue"},
			[]string{`level=WARN msg="teams development mode: MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD are set, but the credentials are ignored: requests are not authenticated"`},
			[]string{"only accepts requests from this machine", "secretvalue"}},
		{"every address", "0.0.0.0:0", nil,
			[]string{`level=WARN msg="teams development mode: the server listens on a non-loopback address, but /api/messages only accepts requests from this machine"`},
			[]string{"credentials are ignored"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := runServer(t, []string{"--teams-dev", "--addr", tt.addr}, tt.env)
			if err := s.Stop(); err != nil {
				t.Fatal(err)
			}
			logs := s.Logs.String()
			for _, w := range tt.warn {
				if !strings.Contains(logs, w) {
					t.Errorf("logs lack %q:\n%s", w, logs)
				}
			}
			for _, w := range tt.noWarn {
				if strings.Contains(logs, w) {
					t.Errorf("logs hold %q:\n%s", w, logs)
				}
			}
		})
	}
}

// Every series of mmdbot_questions_total exists from the start, at 0, for
// each adapter that is on and each band.
func TestServeQuestionSeriesFromStart(t *testing.T) {
	s := runServer(t, []string{"--teams-dev"}, nil)
	_, body := get(t, "GET", s.URL+"/metrics")
	for _, adapter := range []string{"web", "teams"} {
		for _, band := range []string{"answer", "suggest", "unknown"} {
			want := `mmdbot_questions_total{adapter="` + adapter + `",band="` + band + `"} 0`
			if !strings.Contains(body, want) {
				t.Errorf("metrics lack %q", want)
			}
		}
	}
	if strings.Contains(body, `mmdbot_questions_total{adapter="slack"`) {
		t.Error("metrics hold questions from slack, which is off")
	}
}
