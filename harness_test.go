package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
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

// patience is how long a test waits for what a server is to do: starting,
// reloading, failing. It is long because the race detector makes loading
// and training the knowledge several times slower; a test that passes
// never waits it out.
const patience = 2 * time.Minute

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
	// Adapters receives the adapters once their loops run; Failed the
	// name of an adapter whose loop stopped by itself. Draining is closed
	// once /readyz answers 503 at shutdown, Closed once the server accepts
	// no more connections.
	Adapters         chan []adapter
	Failed           chan string
	Draining, Closed chan struct{}

	cancel context.CancelFunc
	done   chan error
	once   sync.Once
	err    error
}

// serverOption adjusts the hooks of a test server before it starts.
type serverOption func(*hooks)

// runServer runs run(ctx, ["serve", args...], env) in-process and returns
// once the server accepts connections. Unless args say otherwise it listens
// on 127.0.0.1:0 and records to a file in t.TempDir(). The environment is
// environ alone: nothing leaks in from the environment of the test process. The
// server stops when the test ends, if Stop was not called before.
func runServer(t testing.TB, args []string, environ map[string]string, opts ...serverOption) *testServer {
	t.Helper()
	s := &testServer{Logs: &syncBuffer{}, Stdout: &syncBuffer{}, Reloads: make(chan error, 16), done: make(chan error, 1),
		Adapters: make(chan []adapter, 1), Failed: make(chan string, 4), Draining: make(chan struct{}), Closed: make(chan struct{})}
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
	h := hooks{
		listening: func(addr string) { listening <- addr },
		reloaded: func(err error) {
			select {
			case s.Reloads <- err:
			default:
			}
		},
		started:  func(ads []adapter) { s.Adapters <- ads },
		failed:   func(name string) { s.Failed <- name },
		draining: func() { close(s.Draining) },
		closed:   func() { close(s.Closed) },
	}
	for _, o := range opts {
		o(&h)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	e := env{getenv: func(k string) string { return environ[k] }, stdin: strings.NewReader(""), stdout: s.Stdout, stderr: s.Logs, hooks: h}
	go func() {
		s.done <- dispatch(ctx, e, append([]string{"serve"}, args...))
	}()
	t.Cleanup(func() { s.Stop() })
	select {
	case addr := <-listening:
		s.URL = "http://" + addr
	case err := <-s.done:
		s.err = err
		s.once.Do(func() {})
		t.Fatalf("mmdbot serve %s: did not start: %v\n%s", strings.Join(args, " "), err, s.Logs)
	case <-time.After(patience):
		t.Fatalf("mmdbot serve %s: not listening after %s\n%s", strings.Join(args, " "), patience, s.Logs)
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

// stopAndReadJournal stops the server and returns the unanswered questions
// it recorded in the last hour.
func (s *testServer) stopAndReadJournal(t *testing.T) []store.Unanswered {
	t.Helper()
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
	return un
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
