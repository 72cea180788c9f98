package admin

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/mmdbot/mmdbot/store"
)

// failingStore is the real store whose nth Decide fails, as a database
// does when a write meets a passing fault.
type failingStore struct {
	*store.Store
	calls, failAt atomic.Int32
}

func (f *failingStore) Decide(ctx context.Context, d store.Decision) (store.Decision, error) {
	if n := f.calls.Add(1); n == f.failAt.Load() {
		return store.Decision{}, errors.New("disk I/O error")
	}
	return f.Store.Decide(ctx, d)
}

// syncBuffer is a log that tests read while the server writes it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestFailures: a decision that fails part-way is taken back whole and
// says nothing changed; a store that cannot be read gives a 500 page that
// says so; the log keeps each failure's cause, and never a secret.
func TestFailures(t *testing.T) {
	var log syncBuffer
	fs := &failingStore{}
	h := newHarness(t, func(o *Options) {
		fs.Store = o.Store.(*store.Store)
		o.Store = fs
		o.Logger = slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	h.seed()
	c, page := h.signedIn()
	token := csrf(t, page.body)
	f := formWith(t, page.body, "who fixes my printer")

	// An earlier decision on one of the questions, made by a script while
	// the page was open.
	earlier, err := fs.Store.Decide(t.Context(), store.Decision{Question: "who can fix the printer?", Kind: store.DecideOutOfScope, By: "token"})
	if err != nil {
		t.Fatal(err)
	}
	fs.calls.Store(0)
	fs.failAt.Store(3) // the third question of three fails, after the earlier decision was replaced
	r := h.post(c, "/admin/decide", f.values(token, "answer"))
	if r.status != http.StatusInternalServerError || !strings.Contains(r.body, "nothing was changed") {
		t.Errorf("a decision failing part-way: status %d", r.status)
	}
	ds, _ := fs.Decisions(t.Context())
	if len(ds) != 1 || ds[0].Kind != earlier.Kind || ds[0].By != "token" || !ds[0].At.Equal(earlier.At) || h.changed.Load() != 0 {
		t.Errorf("a decision failing part-way left %+v, Changed called %d times; want only the earlier decision, as it was", ds, h.changed.Load())
	}
	fs.calls.Store(0)
	fs.failAt.Store(1)
	body := `{"questions":["what is the weather in paris"],"kind":"dismiss"}`
	req, _ := http.NewRequest("POST", h.srv.URL+"/admin/api/decisions", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+testToken)
	if r := h.do(http.DefaultClient, req); r.status != http.StatusInternalServerError || !strings.Contains(r.body, `"error"`) {
		t.Errorf("the API when the store fails: status %d %s", r.status, r.body)
	}
	fs.failAt.Store(0)

	// The store closes: the page says something went wrong, and no more.
	fs.Close()
	if r := h.get(c, "/admin"); r.status != http.StatusInternalServerError || strings.Contains(r.body, "printer") {
		t.Errorf("the page without its store: status %d", r.status)
	}
	if r := h.get(c, "/admin/api/decisions"); r.status != http.StatusInternalServerError {
		t.Errorf("the API without its store: status %d", r.status)
	}
	logged := log.String()
	for _, want := range []string{"disk I/O error", "read the review", "list decisions"} {
		if !strings.Contains(logged, want) {
			t.Errorf("the log does not say %q:\n%s", want, logged)
		}
	}
	checkNoSecrets(t, logged, c, h)
}

// checkNoSecrets fails if the log holds a secret: the client secret, the
// bearer token, the session cookie, a form token.
func checkNoSecrets(t *testing.T, logged string, c *http.Client, h *harness) {
	t.Helper()
	secrets := []string{testSecret, testToken}
	u, _ := url.Parse(h.srv.URL + "/admin")
	for _, ck := range c.Jar.Cookies(u) {
		secrets = append(secrets, ck.Value)
	}
	for _, s := range secrets {
		if strings.Contains(logged, s) {
			t.Errorf("the log holds a secret (%.8s…)", s)
		}
	}
}

// TestWrongClientSecret: Entra ID refusing the code exchange (a secret
// that expired) gives a page that says so, and the log its reason.
func TestWrongClientSecret(t *testing.T) {
	var log syncBuffer
	h := newHarness(t, func(o *Options) {
		o.ClientSecret = "a-secret-that-expired"
		o.Logger = slog.New(slog.NewTextHandler(&log, nil))
	})
	c := h.browser()
	r := h.signIn(c, ada)
	if r.status != http.StatusBadGateway || !strings.Contains(r.body, "did not accept") {
		t.Errorf("a wrong client secret: status %d\n%s", r.status, r.body)
	}
	if !strings.Contains(log.String(), "invalid_client") || strings.Contains(log.String(), "a-secret-that-expired") {
		t.Errorf("the log:\n%s", log.String())
	}
	if r := h.get(c, "/admin"); r.status != http.StatusUnauthorized {
		t.Errorf("after a failed exchange: status %d", r.status)
	}
}
