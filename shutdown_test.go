package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

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
			slow := newSlowAnswers()
			defer close(slow.release)
			s := runServer(t, []string{"--shutdown-timeout", tt.timeout}, nil, func(h *hooks) { h.middleware = slow.middleware })
			inflight := getLater(s.URL + "/api/ask?q=slow")
			<-slow.entered
			stopped := make(chan error, 1)
			go func() { stopped <- s.Stop() }()
			// New connections are refused once shutdown begins.
			select {
			case <-s.Closed:
			case <-time.After(5 * time.Second):
				t.Fatal("the listener is still open 5s after shutdown began")
			}
			c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
			if resp, err := c.Get(s.URL + "/healthz"); err == nil {
				resp.Body.Close()
				t.Fatal("a new connection is accepted after shutdown began")
			}
			if tt.release {
				slow.release <- struct{}{}
			}
			err := <-stopped
			r := <-inflight
			switch {
			case tt.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("run: %v, want an error saying %q", err, tt.wantErr)
				}
			case err != nil:
				t.Fatalf("run: %v", err)
			case r.err != nil || r.code != 200 || !strings.Contains(r.body, `"slow"`):
				t.Errorf("request in flight: %d %v %.200s", r.code, r.err, r.body)
			case !strings.Contains(s.Logs.String(), "msg=stopped"):
				t.Errorf("no stop logged:\n%s", s.Logs)
			}
		})
	}
}

// slowAnswers holds the request to /api/ask?q=slow inside the server, as a
// slow answer would: entered is closed when it arrives, and it goes on
// when release is sent to or closed.
type slowAnswers struct {
	entered, release chan struct{}
}

func newSlowAnswers() *slowAnswers {
	return &slowAnswers{entered: make(chan struct{}), release: make(chan struct{})}
}

func (s *slowAnswers) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("q") == "slow" {
			close(s.entered)
			select {
			case <-s.release:
			case <-r.Context().Done():
			}
		}
		next.ServeHTTP(w, r)
	})
}

// result is what a request got.
type result struct {
	code int
	body string
	err  error
}

// getLater gets u in the background; the channel receives what it got.
func getLater(u string) <-chan result {
	out := make(chan result, 1)
	go func() {
		resp, err := http.Get(u)
		if err != nil {
			out <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		out <- result{resp.StatusCode, string(b), err}
	}()
	return out
}

// With --shutdown-delay the server keeps serving after SIGTERM while
// /readyz says it is shutting down, so that a load balancer moves away.
func TestServeShutdownDelay(t *testing.T) {
	s := runServer(t, []string{"--shutdown-delay", "2s"}, nil)
	stopped := make(chan error, 1)
	go func() { stopped <- s.Stop() }()
	select {
	case <-s.Draining:
	case <-time.After(2 * time.Second):
		t.Fatal("not draining 2s after SIGTERM")
	}
	if resp, body := get(t, "GET", s.URL+"/readyz"); resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, `"server":"shutting down"`) {
		t.Errorf("/readyz while shutting down: %s %s", resp.Status, body)
	}
	if resp, _ := get(t, "GET", s.URL+"/healthz"); resp.StatusCode != 200 {
		t.Errorf("/healthz during the delay: %s", resp.Status)
	}
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
}
