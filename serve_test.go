package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mmdbot/mmdbot/store"
)

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
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	logs := &syncBuffer{}
	e := env{getenv: func(string) string { return "" }, stdout: io.Discard, stderr: logs, hooks: hooks{listening: func(a string) { listening <- a }}}
	go func() {
		done <- dispatch(ctx, e, []string{"--addr", "127.0.0.1:0", "--data", filepath.Join(t.TempDir(), "d.db")})
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
	s := runServer(t, nil, nil)
	get(t, "GET", s.URL+"/api/ask?q="+url.QueryEscape("who feeds the office goldfish?"))
	un := s.stopAndReadJournal(t)
	if len(un) != 1 || !strings.Contains(un[0].Question, "goldfish") || !slices.Equal(un[0].Adapters, []string{"web"}) {
		t.Errorf("unanswered = %+v, want the goldfish question from web", un)
	}
}

// answerOf asks the running server and returns the id of its answer ("" if
// it does not know).
func answerOf(t *testing.T, base, q string) string {
	t.Helper()
	_, entry := askAPI(t, base, q)
	return entry
}

// askAPI asks the running server and returns the band and the id of the
// answer ("" if it does not know).
func askAPI(t *testing.T, base, q string) (band, entry string) {
	t.Helper()
	resp, body := get(t, "GET", base+"/api/ask?q="+url.QueryEscape(q))
	if resp.StatusCode != 200 {
		t.Fatalf("ask %q: %s", q, resp.Status)
	}
	var r struct {
		Band   string               `json:"band"`
		Answer *struct{ ID string } `json:"answer"`
	}
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatalf("ask %q: %v", q, err)
	}
	if r.Answer != nil {
		entry = r.Answer.ID
	}
	return r.Band, entry
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
		{"retention", []string{"--journal-retention", "0s"}, nil, []string{"--journal-retention must be more than zero"}},
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
