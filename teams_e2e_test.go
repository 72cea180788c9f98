package main

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const (
	teamsE2EAppID  = "5b1c1c56-0b7e-4b8a-9a53-3a4f1d0c7e21"
	teamsE2ESecret = "e2e-app-password"
	teamsE2EToken  = "e2e-bot-access-token"
)

// teamsE2EFakes stand for the Bot Framework: its OpenID metadata and keys,
// Microsoft Entra's token endpoint, and the connector of a conversation.
type teamsE2EFakes struct {
	key       *rsa.PrivateKey
	bf        *httptest.Server // metadata, keys, token endpoint
	connector *httptest.Server
	mu        sync.Mutex
	posts     []teamsE2EPost
	tokenHits atomic.Int32
}

type teamsE2EPost struct {
	path, auth string
	body       []byte
}

func newTeamsE2EFakes(t *testing.T) *teamsE2EFakes {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	f := &teamsE2EFakes{key: key}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /openid", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]string{"issuer": "https://api.botframework.com", "jwks_uri": f.bf.URL + "/keys"})
	})
	mux.HandleFunc("GET /keys", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"keys": []any{map[string]any{
			"kty": "RSA", "use": "sig", "kid": "e2e-key",
			"n":            base64.RawURLEncoding.EncodeToString(key.N.Bytes()),
			"e":            base64.RawURLEncoding.EncodeToString(big.NewInt(int64(key.E)).Bytes()),
			"endorsements": []string{"msteams"},
		}}})
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		f.tokenHits.Add(1)
		r.ParseForm()
		if r.PostForm.Get("client_id") != teamsE2EAppID || r.PostForm.Get("client_secret") != teamsE2ESecret {
			http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"token_type": "Bearer", "expires_in": 3600, "access_token": teamsE2EToken})
	})
	f.bf = httptest.NewServer(mux)
	t.Cleanup(f.bf.Close)
	f.connector = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.posts = append(f.posts, teamsE2EPost{path: r.URL.Path, auth: r.Header.Get("Authorization"), body: body})
		f.mu.Unlock()
		io.WriteString(w, `{"id":"reply-1"}`)
	}))
	t.Cleanup(f.connector.Close)
	return f
}

// chatE2EEnv is the environment of a server with Slack (its Web API at
// slackAPI) and Teams (against f's fake Bot Framework) on.
func chatE2EEnv(slackAPI string, f *teamsE2EFakes) map[string]string {
	return map[string]string{
		"SLACK_BOT_TOKEN":           "xoxb-e2e-token",
		"SLACK_SIGNING_SECRET":      slackE2ESecret,
		"SLACK_API_URL":             slackAPI,
		"MICROSOFT_APP_ID":          teamsE2EAppID,
		"MICROSOFT_APP_PASSWORD":    teamsE2ESecret,
		"TEAMS_OPENID_METADATA_URL": f.bf.URL + "/openid",
		"TEAMS_TOKEN_URL":           f.bf.URL + "/token",
		"TEAMS_SERVICE_URL_ALLOW":   "127.0.0.1",
	}
}

func (f *teamsE2EFakes) received() []teamsE2EPost {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]teamsE2EPost(nil), f.posts...)
}

// token signs a channel token for serviceURL, changed by change.
func (f *teamsE2EFakes) token(t *testing.T, serviceURL string, change func(jwt.MapClaims)) string {
	c := jwt.MapClaims{"iss": "https://api.botframework.com", "aud": teamsE2EAppID, "serviceurl": serviceURL,
		"exp": time.Now().Add(time.Hour).Unix(), "nbf": time.Now().Add(-time.Minute).Unix()}
	if change != nil {
		change(c)
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, c)
	tok.Header["kid"] = "e2e-key"
	s, err := tok.SignedString(f.key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func teamsE2EActivity(serviceURL string, fields map[string]any) []byte {
	a := map[string]any{
		"type": "message", "id": "1700000000042", "channelId": "msteams", "serviceUrl": serviceURL,
		"from":         map[string]any{"id": "29:ada", "name": "Ada", "aadObjectId": "aad-ada"},
		"recipient":    map[string]any{"id": "28:" + teamsE2EAppID, "name": "mmd"},
		"conversation": map[string]any{"id": "19:general@thread.tacv2;messageid=1700000000042", "conversationType": "channel", "isGroup": true},
		"text":         "<at>mmd</at> who handles VPN issues?",
		"entities":     []any{map[string]any{"type": "mention", "text": "<at>mmd</at>", "mentioned": map[string]any{"id": "28:" + teamsE2EAppID, "name": "mmd"}}},
	}
	for k, v := range fields {
		a[k] = v
	}
	b, _ := json.Marshal(a)
	return b
}

func teamsE2EPostActivity(t *testing.T, base, token string, body []byte) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/api/messages", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// TestTeamsEndToEnd runs mmdbot serve with the Teams adapter against fake
// Bot Framework services: a signed message gets an Adaptive Card posted to
// the connector, a search of the messaging extension is answered in the
// HTTP body, bad tokens are refused, and a serviceUrl that is not allowed
// never receives the bot's token.
func TestTeamsEndToEnd(t *testing.T) {
	f := newTeamsE2EFakes(t)
	base, stop := startServer(t, nil, map[string]string{
		"MICROSOFT_APP_ID":          teamsE2EAppID,
		"MICROSOFT_APP_PASSWORD":    teamsE2ESecret,
		"TEAMS_OPENID_METADATA_URL": f.bf.URL + "/openid",
		"TEAMS_TOKEN_URL":           f.bf.URL + "/token",
		"TEAMS_SERVICE_URL_ALLOW":   "127.0.0.1",
	})
	defer stop()
	svc := f.connector.URL + "/"

	// A mention in a channel: an Adaptive Card in reply, with the bot's token.
	code, _ := teamsE2EPostActivity(t, base, f.token(t, svc, nil), teamsE2EActivity(svc, nil))
	if code != http.StatusOK {
		t.Fatalf("message: status %d", code)
	}
	posts := f.received()
	if len(posts) != 1 {
		t.Fatalf("connector got %d posts, want 1", len(posts))
	}
	p := posts[0]
	if p.path != "/v3/conversations/19:general@thread.tacv2;messageid=1700000000042/activities/1700000000042" {
		t.Errorf("reply posted to %s", p.path)
	}
	if p.auth != "Bearer "+teamsE2EToken {
		t.Errorf("reply sent with Authorization %q", p.auth)
	}
	for _, want := range []string{`"application/vnd.microsoft.card.adaptive"`, `"version":"1.5"`, "Your organisation", "Network infrastructure, including VPN", "Action.OpenUrl"} {
		if !strings.Contains(string(p.body), want) {
			t.Errorf("reply lacks %s", want)
		}
	}

	// A search of the messaging extension: answered in the HTTP body.
	start := time.Now()
	code, body := teamsE2EPostActivity(t, base, f.token(t, svc, nil), teamsE2EActivity(svc, map[string]any{
		"type": "invoke", "name": "composeExtension/query", "text": "",
		"value": map[string]any{"commandId": "searchQuery", "parameters": []any{map[string]any{"name": "searchQuery", "value": "printing"}}},
	}))
	if code != http.StatusOK || time.Since(start) > 5*time.Second {
		t.Fatalf("search: status %d after %s", code, time.Since(start))
	}
	var res struct {
		ComposeExtension struct {
			Type        string
			Attachments []struct {
				ContentType string
				Preview     struct{ Content struct{ Title string } }
			}
		}
	}
	if err := json.Unmarshal(body, &res); err != nil || res.ComposeExtension.Type != "result" || len(res.ComposeExtension.Attachments) == 0 {
		t.Fatalf("search answer %s (%v)", body, err)
	}
	if got := res.ComposeExtension.Attachments[0].Preview.Content.Title; got != "Printing" {
		t.Errorf("first search result %q, want Printing", got)
	}
	if n := len(f.received()); n != 1 {
		t.Errorf("the search posted to the connector (%d posts)", n)
	}

	// Bad tokens are refused.
	for name, tok := range map[string]string{
		"none":           "",
		"wrong audience": f.token(t, svc, func(c jwt.MapClaims) { c["aud"] = "another-bot" }),
		"expired":        f.token(t, svc, func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-time.Hour).Unix() }),
	} {
		want := http.StatusForbidden
		if tok == "" {
			want = http.StatusUnauthorized
		}
		if code, _ := teamsE2EPostActivity(t, base, tok, teamsE2EActivity(svc, nil)); code != want {
			t.Errorf("%s token: status %d, want %d", name, code, want)
		}
	}

	// A serviceUrl whose host is not allowed never receives anything.
	other := strings.Replace(svc, "127.0.0.1", "localhost", 1)
	code, _ = teamsE2EPostActivity(t, base, f.token(t, other, nil), teamsE2EActivity(other, map[string]any{"id": "1700000000043"}))
	if code == http.StatusOK {
		t.Errorf("disallowed serviceUrl: status %d", code)
	}
	if n := len(f.received()); n != 1 {
		t.Errorf("the disallowed serviceUrl received %d posts", n-1)
	}
	if n := f.tokenHits.Load(); n != 1 {
		t.Errorf("token endpoint asked %d times, want 1 (the token is kept)", n)
	}
}
