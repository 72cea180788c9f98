package admin

import (
	"context"
	"crypto/subtle"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// loginTTL is how long a sign-in may take at Entra ID.
const loginTTL = 10 * time.Minute

// pending is a sign-in under way, as the login cookie keeps it.
type pending struct {
	State    string `json:"state"`
	Nonce    string `json:"nonce"`
	Verifier string `json:"verifier"`
	Exp      int64  `json:"exp"`
}

// discover returns Entra ID's configuration, reading it on first use and
// again after a failure.
func (a *Admin) discover(ctx context.Context) (*oidc.Provider, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.provider != nil {
		return a.provider, nil
	}
	ctx, cancel := context.WithTimeout(oidc.ClientContext(ctx, a.client), idpTimeout)
	defer cancel()
	p, err := oidc.NewProvider(ctx, a.issuer)
	if err != nil {
		return nil, fmt.Errorf("discover %s: %w", a.issuer, err)
	}
	a.provider = p
	return p, nil
}

func (a *Admin) oauth(p *oidc.Provider) *oauth2.Config {
	return &oauth2.Config{
		ClientID: a.clientID, ClientSecret: a.secret, RedirectURL: a.redirect,
		Endpoint: p.Endpoint(), Scopes: []string{oidc.ScopeOpenID, "profile", "email"},
	}
}

// login starts a sign-in: it keeps state, nonce and PKCE verifier in the
// login cookie and sends the browser to Entra ID.
func (a *Admin) login(w http.ResponseWriter, r *http.Request) {
	if !a.oidc {
		a.problem(w, r, http.StatusNotFound, "Sign-in with Microsoft is not set up on this server.")
		return
	}
	p, err := a.discover(r.Context())
	if err != nil {
		a.log.LogAttrs(r.Context(), slog.LevelError, "admin sign-in: discovery", slog.String("error", err.Error()))
		a.problem(w, r, http.StatusServiceUnavailable, "Microsoft sign-in cannot be reached right now. Try again in a minute.")
		return
	}
	pd := pending{State: randomString(24), Nonce: randomString(24), Verifier: oauth2.GenerateVerifier(), Exp: a.now().Add(loginTTL).Unix()}
	v, err := seal(a.keys.login, pd)
	if err != nil {
		a.fail(w, r, "seal login cookie", err)
		return
	}
	a.setCookie(w, loginCookie, v, a.now().Add(loginTTL))
	opts := []oauth2.AuthCodeOption{oidc.Nonce(pd.Nonce), oauth2.S256ChallengeOption(pd.Verifier)}
	if r.URL.Query().Get("account") == "choose" {
		opts = append(opts, oauth2.SetAuthURLParam("prompt", "select_account"))
	}
	http.Redirect(w, r, a.oauth(p).AuthCodeURL(pd.State, opts...), http.StatusFound)
}

// idClaims are the claims of an Entra ID token the page reads.
type idClaims struct {
	PreferredUsername string   `json:"preferred_username"`
	UPN               string   `json:"upn"`
	Email             string   `json:"email"`
	OID               string   `json:"oid"`
	Name              string   `json:"name"`
	Roles             []string `json:"roles"`
	Groups            []string `json:"groups"`
}

// callback finishes a sign-in: Entra ID's redirect back with a code.
func (a *Admin) callback(w http.ResponseWriter, r *http.Request) {
	if !a.oidc {
		a.problem(w, r, http.StatusNotFound, "Sign-in with Microsoft is not set up on this server.")
		return
	}
	var pd pending
	err := a.readCookie(r, loginCookie, a.keys.login, &pd)
	a.clearCookie(w, loginCookie)
	q := r.URL.Query()
	switch {
	case err != nil:
		a.refused(r, "login-cookie")
		a.signInProblem(w, r, http.StatusBadRequest, "This sign-in has expired, or was started in another browser.")
		return
	case subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(pd.State)) != 1:
		a.refused(r, "state")
		a.signInProblem(w, r, http.StatusBadRequest, "This sign-in does not match the one this browser started.")
		return
	case q.Get("error") != "":
		reason, status, msg := "idp-error", http.StatusBadRequest, "Microsoft sign-in failed: "+clip(strings.ToValidUTF8(q.Get("error_description"), "\uFFFD"), 300)
		if q.Get("error") == "access_denied" {
			reason, status, msg = "idp-denied", http.StatusForbidden, "Microsoft sign-in did not let you in (access denied): the sign-in was cancelled, or this app was not granted access."
		}
		a.refused(r, reason)
		a.signInProblem(w, r, status, msg)
		return
	case q.Get("code") == "":
		a.refused(r, "code")
		a.signInProblem(w, r, http.StatusBadRequest, "Microsoft sent no sign-in code back.")
		return
	}
	s, status, msg := a.exchange(r.Context(), q.Get("code"), &pd)
	if status == http.StatusUnauthorized {
		a.refused(r, "id-token")
	}
	if status != 0 {
		a.signInProblem(w, r, status, msg)
		return
	}
	s, err = a.startSession(w, s)
	if err != nil {
		a.fail(w, r, "seal session", err)
		return
	}
	a.log.LogAttrs(r.Context(), slog.LevelInfo, "admin signed in", slog.String("user", s.by()), slog.Bool("allowed", a.allowed(&s)))
	http.Redirect(w, r, basePath, http.StatusSeeOther)
}

// exchange redeems the code with the PKCE verifier and verifies the ID
// token: signature, issuer, audience, expiry, and nonce. It returns the
// account, or the status and sentence of a failure.
func (a *Admin) exchange(ctx context.Context, code string, pd *pending) (session, int, string) {
	const unverified = "The sign-in could not be verified. Sign in again; if this keeps happening, tell whoever runs mmdbot."
	p, err := a.discover(ctx)
	if err != nil {
		a.log.LogAttrs(ctx, slog.LevelError, "admin sign-in: discovery", slog.String("error", err.Error()))
		return session{}, http.StatusServiceUnavailable, "Microsoft sign-in cannot be reached right now. Try again in a minute."
	}
	ctx, cancel := context.WithTimeout(context.WithValue(oidc.ClientContext(ctx, a.client), oauth2.HTTPClient, a.client), idpTimeout)
	defer cancel()
	tok, err := a.oauth(p).Exchange(ctx, code, oauth2.VerifierOption(pd.Verifier))
	if err != nil {
		a.log.LogAttrs(ctx, slog.LevelWarn, "admin sign-in: code exchange", slog.String("error", exchangeError(err)))
		return session{}, http.StatusBadGateway, "Microsoft sign-in did not accept this sign-in's code. Sign in again."
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		a.log.LogAttrs(ctx, slog.LevelWarn, "admin sign-in: no ID token in the token response")
		return session{}, http.StatusBadGateway, unverified
	}
	id, err := p.Verifier(&oidc.Config{ClientID: a.clientID, Now: a.now}).Verify(ctx, raw)
	if err != nil {
		a.log.LogAttrs(ctx, slog.LevelWarn, "admin sign-in: ID token refused", slog.String("error", err.Error()))
		return session{}, http.StatusUnauthorized, unverified
	}
	if subtle.ConstantTimeCompare([]byte(id.Nonce), []byte(pd.Nonce)) != 1 {
		a.log.LogAttrs(ctx, slog.LevelWarn, "admin sign-in: ID token refused", slog.String("error", "nonce differs"))
		return session{}, http.StatusUnauthorized, unverified
	}
	var c idClaims
	if err := id.Claims(&c); err != nil {
		a.log.LogAttrs(ctx, slog.LevelWarn, "admin sign-in: ID token claims", slog.String("error", err.Error()))
		return session{}, http.StatusUnauthorized, unverified
	}
	user := firstNonEmpty(c.PreferredUsername, c.UPN, c.Email)
	oid := c.OID
	if oid == "" {
		oid = id.Subject
	}
	return session{User: clip(user, 256), OID: clip(oid, 64), Name: clip(c.Name, 128), Grants: a.grants(c.Roles, c.Groups)}, 0, ""
}

// exchangeError is what the log keeps of a failed code exchange: the
// error code and description Entra ID gave, never the response body.
func exchangeError(err error) string {
	if re, ok := err.(*oauth2.RetrieveError); ok {
		return strings.TrimSpace(re.ErrorCode + " " + clip(re.ErrorDescription, 200))
	}
	return err.Error()
}

// tokenSignIn opens a session with the admin token typed into the sign-in
// page, for installations without Entra ID.
func (a *Admin) tokenSignIn(w http.ResponseWriter, r *http.Request) {
	if a.token == nil {
		a.problem(w, r, http.StatusNotFound, "Sign-in with a token is not set up on this server.")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		a.problem(w, r, http.StatusBadRequest, "The form cannot be read.")
		return
	}
	if subtle.ConstantTimeCompare(digest(strings.TrimSpace(r.PostForm.Get("token"))), a.token) != 1 {
		a.refused(r, "token")
		a.render(w, r, "signin", a.signInView(nil, "That token is not the admin token."), http.StatusUnauthorized)
		return
	}
	if _, err := a.startSession(w, session{Token: a.tokenTag}); err != nil {
		a.fail(w, r, "seal session", err)
		return
	}
	http.Redirect(w, r, basePath, http.StatusSeeOther)
}

// logout ends the session. Without a session there is nothing to end;
// with one, the form's token must match.
func (a *Admin) logout(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		a.problem(w, r, http.StatusBadRequest, "The form cannot be read.")
		return
	}
	c, st := a.identify(r)
	if c.session != nil && (st == authOK || st == authRefused) && !a.checkCSRF(c, r.PostForm.Get("csrf")) {
		a.refused(r, "csrf")
		a.problem(w, r, http.StatusForbidden, "This form has expired. Go back to the review page and try again.")
		return
	}
	a.clearCookie(w, sessionCookie)
	http.Redirect(w, r, basePath+"?signed-out", http.StatusSeeOther)
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
