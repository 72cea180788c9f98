package teams

import (
	"context"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestRefusedTokens(t *testing.T) {
	r := newRig(t)
	other := testKeys(t, 2)[1]
	svc := r.serviceURL()
	with := func(change func(jwt.MapClaims)) jwt.MapClaims {
		c := goodClaims(svc)
		change(c)
		return c
	}
	pubDER, _ := x509.MarshalPKIXPublicKey(&r.key.PublicKey)
	hs256 := jwt.NewWithClaims(jwt.SigningMethodHS256, goodClaims(svc))
	hs256.Header["kid"] = r.kid
	hsTok, _ := hs256.SignedString(pubDER)
	none := jwt.NewWithClaims(jwt.SigningMethodNone, goodClaims(svc))
	none.Header["kid"] = r.kid
	noneTok, _ := none.SignedString(jwt.UnsafeAllowNoneSignatureType)

	tests := []struct {
		name      string
		auth      string
		channelID string
		code      int
		reason    string
		why       string // in the log line
	}{
		{"no header", "", "", http.StatusUnauthorized, "no-token", "no bearer token"},
		{"basic scheme", "Basic dXNlcjpwYXNz", "", http.StatusUnauthorized, "malformed-token", "malformed"},
		{"not a JWT", "Bearer not-a-jwt", "", http.StatusUnauthorized, "malformed-token", "malformed"},
		{"wrong key", "Bearer " + sign(t, r.kid, other, goodClaims(svc)), "", http.StatusForbidden, "token", "verification error"},
		{"unknown kid", "Bearer " + sign(t, "key-unknown", other, goodClaims(svc)), "", http.StatusForbidden, "token", "unknown signing key"},
		{"no kid", "Bearer " + sign(t, "", r.key, goodClaims(svc)), "", http.StatusForbidden, "token", "no key id"},
		{"alg none", "Bearer " + noneTok, "", http.StatusForbidden, "token", "signing method none is invalid"},
		{"alg HS256 keyed with the public key", "Bearer " + hsTok, "", http.StatusForbidden, "token", "signing method HS256 is invalid"},
		{"wrong iss", "Bearer " + sign(t, r.kid, r.key, with(func(c jwt.MapClaims) { c["iss"] = "https://sts.windows.net/evil/" })), "", http.StatusForbidden, "token", "invalid issuer"},
		{"wrong aud", "Bearer " + sign(t, r.kid, r.key, with(func(c jwt.MapClaims) { c["aud"] = "another-bot" })), "", http.StatusForbidden, "token", "invalid audience"},
		{"aud as an array", "Bearer " + sign(t, r.kid, r.key, with(func(c jwt.MapClaims) { c["aud"] = []string{testAppID} })), "", http.StatusForbidden, "token", "aud is not a single string"},
		{"expired", "Bearer " + sign(t, r.kid, r.key, with(func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-6 * time.Minute).Unix() })), "", http.StatusForbidden, "token", "token is expired"},
		{"not yet valid", "Bearer " + sign(t, r.kid, r.key, with(func(c jwt.MapClaims) { c["nbf"] = time.Now().Add(6 * time.Minute).Unix() })), "", http.StatusForbidden, "token", "token is not valid yet"},
		{"missing exp", "Bearer " + sign(t, r.kid, r.key, with(func(c jwt.MapClaims) { delete(c, "exp") })), "", http.StatusForbidden, "token", "exp claim is required"},
		{"exp of the wrong type", "Bearer " + sign(t, r.kid, r.key, with(func(c jwt.MapClaims) { c["exp"] = "tomorrow" })), "", http.StatusForbidden, "token", "token is malformed"},
		{"serviceurl mismatch", "Bearer " + sign(t, r.kid, r.key, with(func(c jwt.MapClaims) { c["serviceurl"] = "https://smba.trafficmanager.net/emea/" })), "", http.StatusForbidden, "token", "serviceurl claim"},
		{"no serviceurl", "Bearer " + sign(t, r.kid, r.key, with(func(c jwt.MapClaims) { delete(c, "serviceurl") })), "", http.StatusForbidden, "token", "serviceurl claim"},
		{"channel not endorsed", "Bearer " + r.token(), "slack", http.StatusForbidden, "token", "not endorsed for channel"},
		{"within the skew", "Bearer " + sign(t, r.kid, r.key, with(func(c jwt.MapClaims) {
			c["exp"] = time.Now().Add(-4 * time.Minute).Unix()
			c["nbf"] = time.Now().Add(4 * time.Minute).Unix()
		})), "", http.StatusOK, "", ""},
		{"good", "Bearer " + r.token(), "", http.StatusOK, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, logged := r.tel.count(tt.reason), len(r.logs.String())
			act := message(svc, "help", false)
			if tt.channelID != "" {
				act["channelId"] = tt.channelID
			}
			resp, _ := r.post(tt.auth, act)
			if resp.StatusCode != tt.code {
				t.Fatalf("status %d, want %d; log:\n%s", resp.StatusCode, tt.code, r.logs.String())
			}
			if tt.reason != "" && r.tel.count(tt.reason) != before+1 {
				t.Errorf("refusals for %q: %d, want %d", tt.reason, r.tel.count(tt.reason), before+1)
			}
			if line := r.logs.String()[logged:]; !strings.Contains(line, tt.why) {
				t.Errorf("log %q does not say %q", line, tt.why)
			}
		})
	}
	// Only the good tokens got replies, and no log line holds a token.
	if got := len(r.conn.received()); got != 2 {
		t.Errorf("connector got %d replies, want 2", got)
	}
	logs := r.logs.String()
	for _, tt := range tests {
		if tok := strings.TrimPrefix(tt.auth, "Bearer "); len(tok) > 20 && strings.Contains(logs, tok) {
			t.Errorf("%s: the log holds the token", tt.name)
		}
	}
	for _, secret := range []string{testSecret, "bot-access-token-1"} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log holds %q", secret)
		}
	}
	// The keys were fetched once: the unknown kid refetch is rate-limited.
	if n := r.ch.metaHits.Load(); n != 1 {
		t.Errorf("metadata fetched %d times, want 1", n)
	}
}

func TestKeyRollover(t *testing.T) {
	r := newRig(t)
	ks := testKeys(t, 2)
	if resp, _ := r.post("Bearer "+r.token(), message(r.serviceURL(), "help", false)); resp.StatusCode != http.StatusOK {
		t.Fatalf("first key: status %d", resp.StatusCode)
	}
	// The channel rolls over to a new key; the old one disappears.
	r.ch.publish(publishedKey{kid: "key-2", key: ks[1], endorsements: []string{"msteams"}})
	clock := time.Now().Add(2 * keyMinGap)
	r.adapter.validator.keys.now = func() time.Time { return clock }
	tok := sign(t, "key-2", ks[1], goodClaims(r.serviceURL()))
	if resp, _ := r.post("Bearer "+tok, message(r.serviceURL(), "help", false)); resp.StatusCode != http.StatusOK {
		t.Fatalf("new key: status %d; log:\n%s", resp.StatusCode, r.logs.String())
	}
	if n := r.ch.jwksHits.Load(); n != 2 {
		t.Errorf("keys fetched %d times, want 2", n)
	}
	// A day later the keys are refetched even though the kid is known.
	clock = clock.Add(keyRefresh + time.Minute)
	if resp, _ := r.post("Bearer "+tok, message(r.serviceURL(), "help", false)); resp.StatusCode != http.StatusOK {
		t.Fatalf("after a day: status %d", resp.StatusCode)
	}
	if n := r.ch.jwksHits.Load(); n != 3 {
		t.Errorf("keys fetched %d times, want 3", n)
	}
	// The old key is gone from the channel's set and from the cache.
	clock = clock.Add(2 * keyMinGap)
	if resp, _ := r.post("Bearer "+r.token(), message(r.serviceURL(), "help", false)); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("retired key: status %d, want 403", resp.StatusCode)
	}
}

func TestKeysCachedAndReady(t *testing.T) {
	r := newRig(t)
	if r.adapter.Ready() != nil {
		t.Fatal("not ready before the first request")
	}
	for range 5 {
		if resp, _ := r.post("Bearer "+r.token(), message(r.serviceURL(), "help", false)); resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
	if m, k := r.ch.metaHits.Load(), r.ch.jwksHits.Load(); m != 1 || k != 1 {
		t.Errorf("metadata fetched %d times and keys %d times for 5 requests, want 1 and 1", m, k)
	}
	if r.adapter.Ready() != nil {
		t.Error("not ready with keys")
	}
}

func TestKeysUnreachable(t *testing.T) {
	r := newRig(t)
	r.ch.srv.Close()
	resp, _ := r.post("Bearer "+r.token(), message(r.serviceURL(), "help", false))
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("status %d, want 403", resp.StatusCode)
	}
	if r.adapter.Ready() == nil {
		t.Error("ready without keys")
	}
}

func TestBearer(t *testing.T) {
	tests := []struct {
		header string
		err    error
	}{
		{"", errNoToken},
		{"Bearer", errMalformed},
		{"Bearer ", errMalformed},
		{"bearer a.b.c", nil},
		{"Bearer a.b", errMalformed},
		{"Bearer a.b.c.d", errMalformed},
		{"Token a.b.c", errMalformed},
		{"Bearer " + strings.Repeat("a", 17<<10) + ".b.c", errMalformed},
	}
	for _, tt := range tests {
		if _, err := bearer(tt.header); err != tt.err {
			t.Errorf("bearer(%.20q) = %v, want %v", tt.header, err, tt.err)
		}
	}
}

func TestValidatorIgnoresContextlessFetch(t *testing.T) {
	// A cancelled context stops the key fetch instead of hanging.
	ch := newChannel(t, publishedKey{kid: "k", key: testKeys(t, 1)[0], endorsements: []string{"msteams"}})
	v := &validator{keys: newKeySet(ch.metadataURL(), http.DefaultClient, time.Now), appID: testAppID, now: time.Now}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := v.verify(ctx, sign(t, "k", testKeys(t, 1)[0], goodClaims("https://x/"))); err == nil {
		t.Fatal("verified with a cancelled context and no keys")
	}
}

func TestKeyFetchFailuresRateLimited(t *testing.T) {
	var hits int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		http.Error(w, "down", http.StatusInternalServerError)
	}))
	defer srv.Close()
	clock := time.Now()
	ks := newKeySet(srv.URL, srv.Client(), func() time.Time { return clock })
	for range 5 {
		if _, err := ks.key(context.Background(), "k"); err == nil {
			t.Fatal("a key from a failing endpoint")
		}
	}
	if hits != 1 {
		t.Errorf("%d fetches within %s, want 1", hits, keyRetryGap)
	}
	clock = clock.Add(keyRetryGap)
	ks.key(context.Background(), "k")
	if hits != 2 {
		t.Errorf("%d fetches after %s, want 2", hits, keyRetryGap)
	}
}
