package teams

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/mmdbot/mmdbot/bot"
	"github.com/mmdbot/mmdbot/knowledge"
	"github.com/mmdbot/mmdbot/store"
)

const (
	testAppID  = "00000000-0000-0000-0000-00000000a11d"
	testSecret = "s3cret-app-password"
	botID      = "28:" + testAppID
)

var (
	keyOnce sync.Once
	keyPool []*rsa.PrivateKey
)

// testKeys returns n RSA keys, generated once for the whole test binary.
func testKeys(t testing.TB, n int) []*rsa.PrivateKey {
	keyOnce.Do(func() {
		for range 4 {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			keyPool = append(keyPool, k)
		}
	})
	if n > len(keyPool) {
		t.Fatalf("only %d test keys", len(keyPool))
	}
	return keyPool[:n]
}

// publishedKey is one key of the fake channel's key set.
type publishedKey struct {
	kid          string
	key          *rsa.PrivateKey
	endorsements []string
}

// channel stands for the Bot Framework's OpenID metadata and key endpoints.
type channel struct {
	srv      *httptest.Server
	mu       sync.Mutex
	keys     []publishedKey
	metaHits atomic.Int32
	jwksHits atomic.Int32
}

func newChannel(t testing.TB, keys ...publishedKey) *channel {
	c := &channel{keys: keys}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/.well-known/openidconfiguration", func(w http.ResponseWriter, r *http.Request) {
		c.metaHits.Add(1)
		json.NewEncoder(w).Encode(map[string]any{
			"issuer":                                Issuer,
			"jwks_uri":                              c.srv.URL + "/v1/.well-known/keys",
			"id_token_signing_alg_values_supported": []string{"RS256"},
		})
	})
	mux.HandleFunc("GET /v1/.well-known/keys", func(w http.ResponseWriter, r *http.Request) {
		c.jwksHits.Add(1)
		c.mu.Lock()
		defer c.mu.Unlock()
		var ks []map[string]any
		for _, k := range c.keys {
			ks = append(ks, map[string]any{
				"kty": "RSA", "use": "sig", "kid": k.kid,
				"n":            base64.RawURLEncoding.EncodeToString(k.key.N.Bytes()),
				"e":            base64.RawURLEncoding.EncodeToString(big.NewInt(int64(k.key.E)).Bytes()),
				"endorsements": k.endorsements,
			})
		}
		json.NewEncoder(w).Encode(map[string]any{"keys": ks})
	})
	c.srv = httptest.NewServer(mux)
	t.Cleanup(c.srv.Close)
	return c
}

func (c *channel) metadataURL() string { return c.srv.URL + "/v1/.well-known/openidconfiguration" }

func (c *channel) publish(keys ...publishedKey) {
	c.mu.Lock()
	c.keys = keys
	c.mu.Unlock()
}

// claims are the claims of a good token for serviceURL.
func goodClaims(serviceURL string) jwt.MapClaims {
	now := time.Now()
	return jwt.MapClaims{
		"iss":        Issuer,
		"aud":        testAppID,
		"exp":        now.Add(time.Hour).Unix(),
		"nbf":        now.Add(-time.Minute).Unix(),
		"iat":        now.Add(-time.Minute).Unix(),
		"serviceurl": serviceURL,
	}
}

func sign(t testing.TB, kid string, key *rsa.PrivateKey, claims jwt.MapClaims) string {
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// tokenEndpoint stands for Microsoft Entra's token endpoint.
type tokenEndpoint struct {
	srv   *httptest.Server
	down  atomic.Bool
	hits  atomic.Int32
	life  atomic.Int32 // expires_in, seconds
	token atomic.Value // string
}

func newTokenEndpoint(t testing.TB) *tokenEndpoint {
	te := &tokenEndpoint{}
	te.life.Store(3600)
	te.token.Store("bot-access-token-1")
	te.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		te.hits.Add(1)
		if te.down.Load() {
			http.Error(w, `{"error":"temporarily_unavailable"}`, http.StatusServiceUnavailable)
			return
		}
		if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "client_credentials" ||
			r.PostForm.Get("client_id") != testAppID || r.PostForm.Get("client_secret") != testSecret ||
			r.PostForm.Get("scope") != TokenScope {
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"error":"invalid_client"}`)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"token_type": "Bearer", "expires_in": te.life.Load(), "access_token": te.token.Load()})
	}))
	t.Cleanup(te.srv.Close)
	return te
}

// posted is one request the fake connector received.
type posted struct {
	Path, Auth string
	Activity   map[string]any
	Raw        []byte
}

// connectorServer stands for the Bot Framework connector of a conversation.
type connectorServer struct {
	srv      *httptest.Server
	mu       sync.Mutex
	posts    []posted
	attempts atomic.Int32
	// answer, if set, picks the status of each attempt (1-based).
	answer func(n int) (code int, retryAfter string)
}

func newConnector(t testing.TB) *connectorServer {
	cs := &connectorServer{}
	cs.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(cs.attempts.Add(1))
		if cs.answer != nil {
			if code, ra := cs.answer(n); code != http.StatusOK {
				if ra != "" {
					w.Header().Set("Retry-After", ra)
				}
				w.WriteHeader(code)
				return
			}
		}
		body, _ := io.ReadAll(r.Body)
		var act map[string]any
		json.Unmarshal(body, &act)
		cs.mu.Lock()
		cs.posts = append(cs.posts, posted{Path: r.URL.Path, Auth: r.Header.Get("Authorization"), Activity: act, Raw: body})
		cs.mu.Unlock()
		json.NewEncoder(w).Encode(map[string]string{"id": "reply-1"})
	}))
	t.Cleanup(cs.srv.Close)
	return cs
}

func (cs *connectorServer) received() []posted {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return append([]posted(nil), cs.posts...)
}

// telemetry records what the adapter reports.
type telemetry struct {
	bot.NopTelemetry
	mu      sync.Mutex
	refused map[string]int
	votes   int
}

func (tm *telemetry) Refused(adapter, reason string) {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	if tm.refused == nil {
		tm.refused = map[string]int{}
	}
	tm.refused[adapter+"/"+reason]++
}

func (tm *telemetry) Vote(string, bool) {
	tm.mu.Lock()
	tm.votes++
	tm.mu.Unlock()
}

func (tm *telemetry) count(reason string) int {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return tm.refused["teams/"+reason]
}

// syncBuffer is a log sink safe for concurrent writes.
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

// rig is an adapter wired to fake Bot Framework services.
type rig struct {
	t       testing.TB
	ch      *channel
	tokens  *tokenEndpoint
	conn    *connectorServer
	adapter *Adapter
	srv     *httptest.Server
	tel     *telemetry
	store   *store.Store
	logs    *syncBuffer
	key     *rsa.PrivateKey
	kid     string
}

func newRig(t testing.TB) *rig {
	k := testKeys(t, 1)[0]
	r := &rig{t: t, key: k, kid: "key-1", tel: &telemetry{}, logs: &syncBuffer{}}
	r.ch = newChannel(t, publishedKey{kid: r.kid, key: k, endorsements: []string{"msteams", "webchat"}})
	r.tokens = newTokenEndpoint(t)
	r.conn = newConnector(t)
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "mmdbot.db"), 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	r.store = st
	b := bot.New(knowledge.Default(), bot.Options{Journal: st, Telemetry: r.tel})
	a, err := New(Config{
		AppID: testAppID, AppPassword: testSecret,
		OpenIDMetadataURL: r.ch.metadataURL(),
		TokenURL:          r.tokens.srv.URL + "/oauth2/v2.0/token",
		ServiceURLAllow:   []string{"127.0.0.1"},
		Logger:            slog.New(slog.NewTextHandler(r.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}, b)
	if err != nil {
		t.Fatal(err)
	}
	r.adapter = a
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() { a.Run(ctx); close(ran) }()
	t.Cleanup(func() { cancel(); <-ran })
	mux := http.NewServeMux()
	mux.Handle("POST /api/messages", a)
	r.srv = httptest.NewServer(mux)
	t.Cleanup(r.srv.Close)
	return r
}

// settle returns once the adapter has delivered (or given up on) every
// reply it owed.
func (r *rig) settle() {
	r.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		n, err := r.adapter.ownStore.Pending(context.Background())
		if err != nil {
			r.t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("%d replies still owed after 15 s", n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// serviceURL is the fake connector's address, as activities name it.
func (r *rig) serviceURL() string { return r.conn.srv.URL + "/" }

// token is a good token for the rig's serviceUrl.
func (r *rig) token() string { return sign(r.t, r.kid, r.key, goodClaims(r.serviceURL())) }

// post sends an activity with an Authorization header; "" sends none.
func (r *rig) post(auth string, act any) (*http.Response, []byte) {
	r.t.Helper()
	body, err := json.Marshal(act)
	if err != nil {
		r.t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, r.srv.URL+"/api/messages", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := r.srv.Client().Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp, out
}

// activityIDs numbers the test activities: each is a message of its own.
var activityIDs atomic.Int64

// message is a message activity as Teams sends it, with an id of its own.
func message(serviceURL, text string, channel bool) map[string]any {
	a := map[string]any{
		"type":       "message",
		"id":         fmt.Sprint(1700000000001 + activityIDs.Add(1)),
		"timestamp":  "2026-11-30T06:40:00.123Z",
		"serviceUrl": serviceURL,
		"channelId":  "msteams",
		"from":       map[string]any{"id": "29:user-1", "name": "Ada", "aadObjectId": "aad-user-1"},
		"recipient":  map[string]any{"id": botID, "name": "mmd"},
		"text":       text,
		"textFormat": "plain",
		"locale":     "en-GB",
	}
	if channel {
		a["conversation"] = map[string]any{"id": "19:general@thread.tacv2;messageid=1700000000001", "conversationType": "channel", "isGroup": true, "tenantId": "tenant-1"}
		a["entities"] = []any{map[string]any{"type": "mention", "text": "<at>mmd</at>", "mentioned": map[string]any{"id": botID, "name": "mmd"}}}
	} else {
		a["conversation"] = map[string]any{"id": "a:personal-chat-1", "conversationType": "personal", "tenantId": "tenant-1"}
	}
	return a
}
