package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

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
	select {
	case name := <-s.Failed:
		if name != "slack" {
			t.Fatalf("adapter %s failed, want slack", name)
		}
	case <-time.After(patience):
		t.Fatalf("the Slack adapter has not failed after %s\n%s", patience, s.Logs)
	}
	if _, body := get(t, "GET", s.URL+"/metrics"); !strings.Contains(body, `mmdbot_adapter_failures_total{adapter="slack"} 1`) {
		t.Error("the failure is not counted")
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
	if !strings.Contains(logs, `level=ERROR msg="slack adapter failed: it is off until mmdbot restarts"`) || !strings.Contains(logs, "invalid_auth") {
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

// waitReady waits until the running server's adapter of that name is
// ready, woken by each change of its state.
func waitReady(t *testing.T, s *testServer, name string) {
	t.Helper()
	var ads []adapter
	select {
	case ads = <-s.Adapters:
		s.Adapters <- ads // for the next wait
	case <-time.After(patience):
		t.Fatalf("the adapters have not started after %s", patience)
	}
	for _, a := range ads {
		if a.Name() != name {
			continue
		}
		c, ok := a.(interface{ Changed() <-chan struct{} })
		if !ok {
			t.Fatalf("adapter %s tells no changes", name)
		}
		timeout := time.After(patience)
		for {
			changed := c.Changed()
			if a.Ready() == nil {
				return
			}
			select {
			case <-changed:
			case <-timeout:
				t.Fatalf("adapter %s not ready after %s: %v", name, patience, a.Ready())
			}
		}
	}
	t.Fatalf("no adapter %s", name)
}
