// Package oidctest is a real OpenID Connect provider on a loopback
// httptest.Server, for tests of sign-in with Microsoft Entra ID.
//
// It serves what a relying party uses of Entra ID: discovery
// (/.well-known/openid-configuration), the signing keys (/keys, a JWKS),
// the authorization endpoint (/authorize) and the token endpoint (/token).
// The authorization endpoint approves at once as the user the test chose
// with SignInAs, after checking the client, the redirect URI, the response
// type and the PKCE challenge; the token endpoint checks the client secret,
// the code, the redirect URI and the PKCE verifier, and returns an ID token
// signed with RS256 by a key the provider generated, with Entra's claims
// (oid, preferred_username, name, roles, groups, tid). Options of SignInAs
// mint a faulty token instead: for another audience, expired, with another
// nonce, from another issuer, or signed by a key the provider does not
// publish.
//
// It is imported by tests only.
package oidctest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Claims is who signs in: the claims Entra ID puts in an ID token about
// the user.
type Claims struct {
	Subject           string   // sub; derived from OID when empty
	OID               string   // oid, the user's object id
	PreferredUsername string   // preferred_username, usually the UPN
	UPN               string   // upn (optional claim)
	Email             string   // email (optional claim)
	Name              string   // name
	Roles             []string // roles: app roles assigned
	Groups            []string // groups: group object ids
}

// Client is a registered application: its id, secret and the one redirect
// URI it may use.
type Client struct {
	ID, Secret, RedirectURL string
}

// TenantID is the tid claim of every token.
const TenantID = "9188040d-6c67-4c5b-b112-36a304b66dad"

// Provider is the running provider. Its methods are safe for concurrent
// use.
type Provider struct {
	// Server is the provider's HTTP server; its URL is the issuer.
	Server *httptest.Server

	key, stranger *rsa.PrivateKey
	keyID         string

	mu      sync.Mutex
	clients map[string]Client
	user    *Claims
	faults  []Option
	grants  map[string]grant
	issued  int
	down    bool
}

// grant is an authorization code issued and not yet redeemed.
type grant struct {
	client, redirect, nonce, challenge string
	user                               Claims
	faults                             []Option
}

// New starts a provider for the test; it stops when the test ends. It
// generates its signing key (RSA 2048).
func New(tb testing.TB) *Provider {
	tb.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		tb.Fatalf("generate the provider's signing key: %v", err)
	}
	stranger, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		tb.Fatalf("generate an unpublished key: %v", err)
	}
	p := &Provider{key: key, stranger: stranger, keyID: randomString(8), clients: map[string]Client{}, grants: map[string]grant{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", p.discovery)
	mux.HandleFunc("GET /keys", p.keys)
	mux.HandleFunc("GET /authorize", p.authorize)
	mux.HandleFunc("POST /token", p.token)
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		down := p.down
		p.mu.Unlock()
		if down {
			http.Error(w, "temporarily unavailable", http.StatusServiceUnavailable)
			return
		}
		mux.ServeHTTP(w, r)
	}))
	tb.Cleanup(p.Server.Close)
	return p
}

// Issuer is the provider's issuer: its server's URL.
func (p *Provider) Issuer() string { return p.Server.URL }

// HTTPClient is a client for the provider's server.
func (p *Provider) HTTPClient() *http.Client { return p.Server.Client() }

// AddClient registers an application.
func (p *Provider) AddClient(c Client) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clients[c.ID] = c
}

// SignInAs makes the authorization endpoint approve every request from now
// on as the user with those claims, minting the token as the options say.
func (p *Provider) SignInAs(c Claims, opts ...Option) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c.Subject == "" {
		c.Subject = "sub-" + c.OID
	}
	p.user, p.faults = &c, opts
}

// Cancel makes the authorization endpoint answer every request from now on
// as Entra does when the user cancels or consent is refused: a redirect
// back with error=access_denied.
func (p *Provider) Cancel() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.user, p.faults = nil, nil
}

// Unavailable makes every endpoint answer 503 Service Unavailable while
// down is true, as during an outage.
func (p *Provider) Unavailable(down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = down
}

// Issued counts the ID tokens the token endpoint has returned.
func (p *Provider) Issued() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.issued
}

// Option makes the ID token faulty in one way.
type Option func(*token)

// ForAudience mints the token for another application.
func ForAudience(aud string) Option { return func(t *token) { t.Audience = aud } }

// Expired mints a token that expired an hour ago.
func Expired() Option {
	return func(t *token) {
		t.IssuedAt -= 7200
		t.Expiry = t.IssuedAt + 3600
		t.NotBefore = t.IssuedAt
	}
}

// WithNonce mints the token with this nonce instead of the one asked for.
func WithNonce(nonce string) Option { return func(t *token) { t.Nonce = nonce } }

// FromIssuer mints the token as though another issuer had.
func FromIssuer(iss string) Option { return func(t *token) { t.Issuer = iss } }

// signedByStranger marks a token to be signed with a key the provider does
// not publish.
const signedByStranger = "stranger"

// SignedByStranger signs the token with a key the provider does not
// publish in its JWKS.
func SignedByStranger() Option { return func(t *token) { t.signer = signedByStranger } }

// token is an ID token's claims.
type token struct {
	Issuer            string   `json:"iss"`
	Audience          string   `json:"aud"`
	Subject           string   `json:"sub"`
	Nonce             string   `json:"nonce,omitempty"`
	IssuedAt          int64    `json:"iat"`
	NotBefore         int64    `json:"nbf"`
	Expiry            int64    `json:"exp"`
	TenantID          string   `json:"tid"`
	OID               string   `json:"oid,omitempty"`
	PreferredUsername string   `json:"preferred_username,omitempty"`
	UPN               string   `json:"upn,omitempty"`
	Email             string   `json:"email,omitempty"`
	Name              string   `json:"name,omitempty"`
	Roles             []string `json:"roles,omitempty"`
	Groups            []string `json:"groups,omitempty"`
	Version           string   `json:"ver"`

	signer string
}

// IDToken mints an ID token for the user and client, with the nonce, as
// the token endpoint does; the options make it faulty.
func (p *Provider) IDToken(c Claims, clientID, nonce string, opts ...Option) (string, error) {
	if c.Subject == "" {
		c.Subject = "sub-" + c.OID
	}
	now := time.Now().Unix()
	t := token{
		Issuer: p.Issuer(), Audience: clientID, Subject: c.Subject, Nonce: nonce,
		IssuedAt: now, NotBefore: now, Expiry: now + 3600, TenantID: TenantID,
		OID: c.OID, PreferredUsername: c.PreferredUsername, UPN: c.UPN, Email: c.Email, Name: c.Name,
		Roles: c.Roles, Groups: c.Groups, Version: "2.0",
	}
	for _, o := range opts {
		o(&t)
	}
	key := p.key
	if t.signer == signedByStranger {
		key = p.stranger
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: p.keyID}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return "", fmt.Errorf("make signer: %w", err)
	}
	payload, err := json.Marshal(t)
	if err != nil {
		return "", fmt.Errorf("encode claims: %w", err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("sign token: %w", err)
	}
	return jws.CompactSerialize()
}

func (p *Provider) discovery(w http.ResponseWriter, _ *http.Request) {
	iss := p.Issuer()
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                iss,
		"authorization_endpoint":                iss + "/authorize",
		"token_endpoint":                        iss + "/token",
		"jwks_uri":                              iss + "/keys",
		"response_types_supported":              []string{"code", "id_token", "code id_token"},
		"response_modes_supported":              []string{"query", "fragment", "form_post"},
		"subject_types_supported":               []string{"pairwise"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"scopes_supported":                      []string{"openid", "profile", "email", "offline_access"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "client_secret_basic"},
		"code_challenge_methods_supported":      []string{"S256"},
		"claims_supported":                      []string{"sub", "iss", "aud", "exp", "iat", "nonce", "name", "oid", "tid", "preferred_username", "email", "roles", "groups"},
	})
}

func (p *Provider) keys(w http.ResponseWriter, _ *http.Request) {
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &p.key.PublicKey, KeyID: p.keyID, Algorithm: string(jose.RS256), Use: "sig"}}}
	writeJSON(w, http.StatusOK, set)
}

// authorize answers the authorization request: a page saying what is
// wrong when the client or its redirect URI is unknown (never a redirect
// there), otherwise a redirect to the client with a code or an error.
func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p.mu.Lock()
	defer p.mu.Unlock()
	c, ok := p.clients[q.Get("client_id")]
	if !ok {
		http.Error(w, "AADSTS700016: unknown application "+q.Get("client_id"), http.StatusBadRequest)
		return
	}
	if q.Get("redirect_uri") != c.RedirectURL {
		http.Error(w, "AADSTS50011: the redirect URI does not match the application's", http.StatusBadRequest)
		return
	}
	back, _ := url.Parse(c.RedirectURL)
	reply := url.Values{}
	if s := q.Get("state"); s != "" {
		reply.Set("state", s)
	}
	fail := func(code, desc string) {
		reply.Set("error", code)
		reply.Set("error_description", desc)
		back.RawQuery = reply.Encode()
		http.Redirect(w, r, back.String(), http.StatusFound)
	}
	switch {
	case q.Get("response_type") != "code":
		fail("unsupported_response_type", "AADSTS700054: response_type must be code.")
		return
	case !slices.Contains(strings.Fields(q.Get("scope")), "openid"):
		fail("invalid_request", "AADSTS900144: the scope must include openid.")
		return
	case q.Get("code_challenge") == "" || q.Get("code_challenge_method") != "S256":
		fail("invalid_request", "AADSTS9002325: Proof Key for Code Exchange (S256) is required.")
		return
	case p.user == nil:
		fail("access_denied", "AADSTS65004: User declined to consent to access the app.")
		return
	}
	code := randomString(24)
	p.grants[code] = grant{client: c.ID, redirect: c.RedirectURL, nonce: q.Get("nonce"), challenge: q.Get("code_challenge"), user: *p.user, faults: p.faults}
	reply.Set("code", code)
	back.RawQuery = reply.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

// token redeems an authorization code, once.
func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		tokenError(w, http.StatusBadRequest, "invalid_request", "the form cannot be read")
		return
	}
	id, secret, basic := r.BasicAuth()
	if basic {
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
	} else {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	c, ok := p.clients[id]
	if !ok || subtle.ConstantTimeCompare([]byte(secret), []byte(c.Secret)) != 1 {
		tokenError(w, http.StatusUnauthorized, "invalid_client", "AADSTS7000215: invalid client secret")
		return
	}
	if r.PostForm.Get("grant_type") != "authorization_code" {
		tokenError(w, http.StatusBadRequest, "unsupported_grant_type", "only authorization_code")
		return
	}
	code := r.PostForm.Get("code")
	g, ok := p.grants[code]
	delete(p.grants, code)
	switch {
	case !ok || g.client != id:
		tokenError(w, http.StatusBadRequest, "invalid_grant", "AADSTS70008: the code is unknown, used or for another client")
		return
	case r.PostForm.Get("redirect_uri") != g.redirect:
		tokenError(w, http.StatusBadRequest, "invalid_grant", "AADSTS50148: the redirect URI differs from the authorization request's")
		return
	case challenge(r.PostForm.Get("code_verifier")) != g.challenge:
		tokenError(w, http.StatusBadRequest, "invalid_grant", "AADSTS50148: the code_verifier does not match the code_challenge")
		return
	}
	idToken, err := p.IDToken(g.user, id, g.nonce, g.faults...)
	if err != nil {
		tokenError(w, http.StatusInternalServerError, "server_error", err.Error())
		return
	}
	p.issued++
	writeJSON(w, http.StatusOK, map[string]any{
		"token_type":   "Bearer",
		"scope":        "openid profile email",
		"expires_in":   3600,
		"access_token": randomString(32),
		"id_token":     idToken,
	})
}

// challenge is the S256 PKCE challenge of a verifier.
func challenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func tokenError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func randomString(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
