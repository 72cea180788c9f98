package oidctest

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

const redirect = "http://127.0.0.1:1/callback"

// relyingParty is a client of the provider as an application uses it:
// go-oidc for discovery and verification, oauth2 for the code exchange.
type relyingParty struct {
	ctx      context.Context
	conf     oauth2.Config
	verifier *oidc.IDTokenVerifier
}

func newRelyingParty(t *testing.T, p *Provider) *relyingParty {
	t.Helper()
	p.AddClient(Client{ID: "app", Secret: "s3cret", RedirectURL: redirect})
	ctx := oidc.ClientContext(t.Context(), p.HTTPClient())
	prov, err := oidc.NewProvider(ctx, p.Issuer())
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	return &relyingParty{
		ctx:      ctx,
		conf:     oauth2.Config{ClientID: "app", ClientSecret: "s3cret", RedirectURL: redirect, Endpoint: prov.Endpoint(), Scopes: []string{oidc.ScopeOpenID, "profile"}},
		verifier: prov.Verifier(&oidc.Config{ClientID: "app"}),
	}
}

// authorize follows the authorization request and returns the query of
// the redirect back to the application.
func (rp *relyingParty) authorize(t *testing.T, verifier string, opts ...oauth2.AuthCodeOption) url.Values {
	t.Helper()
	opts = append(opts, oidc.Nonce("n-1"), oauth2.S256ChallengeOption(verifier))
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(rp.conf.AuthCodeURL("st-1", opts...))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("authorize: status %d", resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(loc.String(), redirect+"?") {
		t.Fatalf("authorize redirected to %q (%v)", resp.Header.Get("Location"), err)
	}
	if loc.Query().Get("state") != "st-1" {
		t.Errorf("state not returned: %v", loc.Query())
	}
	return loc.Query()
}

func TestUnavailable(t *testing.T) {
	p := New(t)
	p.Unavailable(true)
	if _, err := oidc.NewProvider(oidc.ClientContext(t.Context(), p.HTTPClient()), p.Issuer()); err == nil {
		t.Error("discovery worked during an outage")
	}
	p.Unavailable(false)
	if _, err := oidc.NewProvider(oidc.ClientContext(t.Context(), p.HTTPClient()), p.Issuer()); err != nil {
		t.Errorf("discovery after the outage: %v", err)
	}
}

func TestFlow(t *testing.T) {
	p := New(t)
	rp := newRelyingParty(t, p)
	p.SignInAs(Claims{OID: "oid-1", PreferredUsername: "ada@contoso.example", Name: "Ada", Roles: []string{"Reviewer"}})
	v := oauth2.GenerateVerifier()
	q := rp.authorize(t, v)
	tok, err := rp.conf.Exchange(rp.ctx, q.Get("code"), oauth2.VerifierOption(v))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	id, err := rp.verifier.Verify(rp.ctx, raw)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	var c struct {
		OID   string   `json:"oid"`
		UPN   string   `json:"preferred_username"`
		Roles []string `json:"roles"`
		TID   string   `json:"tid"`
	}
	if err := id.Claims(&c); err != nil {
		t.Fatal(err)
	}
	if id.Nonce != "n-1" || id.Subject != "sub-oid-1" || c.OID != "oid-1" || c.UPN != "ada@contoso.example" || len(c.Roles) != 1 || c.TID != TenantID {
		t.Errorf("token claims: nonce %q sub %q %+v", id.Nonce, id.Subject, c)
	}
	if p.Issued() != 1 {
		t.Errorf("issued %d tokens", p.Issued())
	}
	// A code is redeemed once.
	if _, err := rp.conf.Exchange(rp.ctx, q.Get("code"), oauth2.VerifierOption(v)); err == nil {
		t.Error("a code was redeemed twice")
	}
}

func TestRefusals(t *testing.T) {
	p := New(t)
	rp := newRelyingParty(t, p)
	p.SignInAs(Claims{OID: "oid-1"})

	v := oauth2.GenerateVerifier()
	q := rp.authorize(t, v)
	if _, err := rp.conf.Exchange(rp.ctx, q.Get("code"), oauth2.VerifierOption(oauth2.GenerateVerifier())); err == nil {
		t.Error("a wrong PKCE verifier was accepted")
	}
	q = rp.authorize(t, v)
	wrong := rp.conf
	wrong.ClientSecret = "guess"
	var re *oauth2.RetrieveError
	if _, err := wrong.Exchange(rp.ctx, q.Get("code"), oauth2.VerifierOption(v)); !errors.As(err, &re) || re.ErrorCode != "invalid_client" {
		t.Errorf("a wrong client secret: %v", err)
	}

	p.Cancel()
	if q := rp.authorize(t, v); q.Get("error") != "access_denied" || q.Get("code") != "" {
		t.Errorf("a cancelled sign-in: %v", q)
	}

	// An unknown redirect URI gets a page, never a redirect.
	bad := rp.conf
	bad.RedirectURL = "https://evil.example/cb"
	resp, err := http.Get(bad.AuthCodeURL("s", oauth2.S256ChallengeOption(v)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("an unknown redirect URI: status %d", resp.StatusCode)
	}
	// PKCE is required.
	p.SignInAs(Claims{OID: "oid-1"})
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err = c.Get(rp.conf.AuthCodeURL("s"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc, _ := url.Parse(resp.Header.Get("Location")); loc == nil || loc.Query().Get("error") != "invalid_request" {
		t.Errorf("no PKCE challenge: %s", resp.Header.Get("Location"))
	}
}

func TestFaultyTokens(t *testing.T) {
	p := New(t)
	rp := newRelyingParty(t, p)
	u := Claims{OID: "oid-1"}
	for name, opt := range map[string]Option{
		"audience": ForAudience("another-app"),
		"expired":  Expired(),
		"issuer":   FromIssuer("https://login.microsoftonline.com/other/v2.0"),
		"key":      SignedByStranger(),
	} {
		raw, err := p.IDToken(u, "app", "n", opt)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := rp.verifier.Verify(rp.ctx, raw); err == nil {
			t.Errorf("%s: a faulty token verified", name)
		}
	}
	raw, err := p.IDToken(u, "app", "n", WithNonce("other"))
	if err != nil {
		t.Fatal(err)
	}
	id, err := rp.verifier.Verify(rp.ctx, raw)
	if err != nil || id.Nonce != "other" {
		t.Errorf("nonce: %v %v", id, err)
	}
}
