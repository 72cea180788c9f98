// Package admin is mmdbot's review page: where admins see the questions
// the bot could not answer and the answers people voted 👎, grouped by
// similarity, and decide what the bot should say from now on.
//
// A decision on a group applies to each of its questions and is kept in
// the store as an example (the question, the entries that answer it or
// none for "out of scope", who decided and when); a dismissal only takes
// the questions off the review. Options.Changed is called after every
// decision and undo, so that the server applies them at once and retrains
// the model in the background. Every decision can be undone.
//
// Admins sign in with Microsoft Entra ID (OpenID Connect, authorization
// code flow with PKCE and a nonce; the ID token is verified with go-oidc:
// signature, issuer, audience, expiry). Who may review is a list of user
// principal names, object ids, "role:NAME" (an app role in the token's
// roles claim) or "group:ID" (a group in its groups claim). Object ids and
// app roles are the sturdier choice: a user principal name can be renamed
// or reused, and Entra ID leaves the groups claim out of a token for
// someone in more than 200 groups. Scripts, and installations without
// Entra ID, use a static token instead: sent as "Authorization: Bearer
// <token>", or typed once into the sign-in page.
// Discovery happens on the first sign-in and is tried again after a
// failure, so the server starts even when Entra ID cannot be reached.
//
// The session is a cookie signed with HMAC-SHA256 (HttpOnly, SameSite=Lax,
// Path=/admin, Secure unless the redirect URL is http://localhost or
// 127.0.0.1), its expiry inside the signed value. Whether the account may
// review is checked on every request against the current allow list. Every
// form carries a token bound to the session, and mutating requests also
// pass Go's http.CrossOriginProtection; a script with the bearer token
// needs neither. Nobody else reaches a page with data: without a session
// the page answers 401 with only a sign-in button (never a redirect), an
// account not allowed gets 403, and the API answers 401 with
// WWW-Authenticate: Bearer. Every response is no-store, framed by nobody,
// and under a Content-Security-Policy that allows no script at all. Each
// refused request is logged with its reason (never its content) and
// counted through Options.Telemetry; each failure is logged with its
// cause and changes nothing: a decision that fails part-way is taken back
// whole.
//
// The page links the web page's stylesheet and icon (web.AssetURL), so
// the server serves the web page's /static/ too.
//
// Routes mounts the handlers; this is the route table:
//
//	GET    /admin                        the review page and the decisions made (401 sign-in page, 403 refused page)
//	GET    /admin/                       301 to /admin
//	POST   /admin/decide                 form: q (one per question), kind, entry, csrf → 303 /admin
//	POST   /admin/undo                   form: id (one per decision), csrf → 303 /admin
//	GET    /admin/login                  302 to Entra ID's authorization endpoint
//	GET    /admin/callback               Entra ID's redirect back: the session cookie, 303 /admin
//	POST   /admin/token                  form: token → the session cookie, 303 /admin
//	POST   /admin/logout                 form: csrf → 303 /admin
//	GET    /admin/static/{name}          the page's own CSS (the rest is the web page's, under /static/)
//	GET    /admin/api/review             the groups to review, as JSON
//	GET    /admin/api/decisions          the decisions made, as JSON
//	POST   /admin/api/decisions          {"questions": [...], "kind": "answer", "entries": ["..."], "side": ""}
//	DELETE /admin/api/decisions/{id}     undo one decision
//
// The API reads a session cookie too (GET), but writes with it only when
// the request carries the form's token in an X-CSRF-Token header.
package admin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/mmdbot/mmdbot/knowledge"
	"github.com/mmdbot/mmdbot/store"
)

// Store is what the review page needs of the data store; *store.Store
// implements it.
type Store interface {
	Review(ctx context.Context, since time.Time, limit int) ([]store.Question, error)
	Decide(ctx context.Context, d store.Decision) (store.Decision, error)
	Undo(ctx context.Context, id int64) (store.Decision, error)
	Decisions(ctx context.Context) ([]store.Decision, error)
}

// Adapter names the review page in metrics and logs.
const Adapter = "admin"

// Telemetry counts the requests the review page refuses, by reason
// ("unauthenticated", "not-allowed", "csrf", "cross-origin", "state",
// "id-token", …); *metrics.Metrics implements it.
type Telemetry interface {
	Refused(adapter, reason string)
}

// Options configure the review page. Store, Knowledge, SessionKey and
// either the four OpenID Connect settings or Token are required.
type Options struct {
	Store Store
	// Knowledge returns the knowledge answering now: it groups the
	// questions, ranks the closest entries and checks entry ids.
	Knowledge func() *knowledge.Base
	// Changed, if set, is called after every decision and undo, before
	// the response is sent: the page then says the decision is in
	// effect, so Changed should apply the decisions before it returns
	// (and retrain the model in the background).
	Changed func()
	// Telemetry, if set, counts refused requests.
	Telemetry Telemetry

	// Issuer ("https://login.microsoftonline.com/<tenant>/v2.0"),
	// ClientID, ClientSecret and RedirectURL (this server's
	// /admin/callback, as registered with the app): all four or none.
	Issuer, ClientID, ClientSecret, RedirectURL string
	// Allow is who may review: user principal names (compared without
	// regard to case), object ids, "role:NAME" or "group:ID".
	Allow []string
	// Token is a static bearer token for scripts; "" for none.
	Token string
	// SessionKey signs the session cookie: at least 32 bytes, the same on
	// every replica.
	SessionKey []byte
	// SessionTTL is how long a session lasts; 8 hours when zero.
	SessionTTL time.Duration
	// HTTPClient reaches Entra ID: discovery, keys, the token endpoint.
	// http.DefaultClient when nil.
	HTTPClient *http.Client
	Logger     *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Window is how far back the review looks; 30 days when zero.
	Window time.Duration
	// Alerts, if set, returns what the page says above the review about
	// the knowledge itself, such as its published page having changed
	// since it was loaded.
	Alerts func() []string
}

// Limits of what the page reads and shows.
const (
	// MaxQuestion is the longest question, in characters, a decision takes.
	MaxQuestion = 2000
	// MaxQuestions is the most questions one decision takes.
	MaxQuestions = 200
	// MaxReview is the most questions the review reads.
	MaxReview = 500
	// MaxGroups is the most groups the page shows at once.
	MaxGroups = 100
	// maxBody bounds a form or JSON body: 200 questions of 2000
	// characters, percent-encoded, fit.
	maxBody = 8 << 20
	// idpTimeout bounds each exchange with Entra ID.
	idpTimeout = 15 * time.Second
)

// Admin is the review page. It is safe for concurrent use.
type Admin struct {
	store     Store
	knowledge func() *knowledge.Base
	changed   func()
	telemetry Telemetry
	log       *slog.Logger
	now       func() time.Time
	window    time.Duration
	alerts    func() []string

	oidc     bool
	issuer   string
	clientID string
	secret   string
	redirect string
	client   *http.Client
	secure   bool

	allow    []string
	token    []byte // SHA-256 of the bearer token; nil for none
	tokenTag string // names the token in a session, so that a new token ends it
	keys     keys
	ttl      time.Duration

	mu       sync.Mutex
	provider *oidc.Provider // nil until discovery succeeds
}

// New returns the review page with those options, or says what is wrong
// with them. It does no I/O.
func New(opts Options) (*Admin, error) {
	if err := check(opts); err != nil {
		return nil, err
	}
	a := &Admin{
		store: opts.Store, knowledge: func() *knowledge.Base { return knowledgeOf(opts.Knowledge) }, changed: opts.Changed, telemetry: opts.Telemetry,
		log: opts.Logger, now: opts.Now, window: opts.Window, alerts: opts.Alerts,
		oidc: opts.Issuer != "", issuer: opts.Issuer, clientID: opts.ClientID, secret: opts.ClientSecret,
		redirect: opts.RedirectURL, client: opts.HTTPClient, ttl: opts.SessionTTL,
		keys: deriveKeys(opts.SessionKey),
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	a.log = a.log.With(slog.String("adapter", Adapter))
	if a.now == nil {
		a.now = time.Now
	}
	if a.window <= 0 {
		a.window = 30 * 24 * time.Hour
	}
	if a.ttl <= 0 {
		a.ttl = 8 * time.Hour
	}
	if a.client == nil {
		a.client = http.DefaultClient
	}
	if opts.Token != "" {
		a.token = digest(opts.Token)
		a.tokenTag = a.keys.tag(opts.Token)
	}
	for _, s := range opts.Allow {
		if s = strings.TrimSpace(s); s != "" {
			a.allow = append(a.allow, s)
		}
	}
	a.secure = true
	if u, err := url.Parse(opts.RedirectURL); err == nil && u.Scheme == "http" {
		a.secure = false // checked: only for localhost
	}
	return a, nil
}

// check says what is wrong with the options.
func check(o Options) error {
	var errs []error
	if o.Store == nil {
		errs = append(errs, errors.New("a store is required"))
	}
	if o.Knowledge == nil {
		errs = append(errs, errors.New("the knowledge is required"))
	}
	set := 0
	for _, s := range []string{o.Issuer, o.ClientID, o.ClientSecret, o.RedirectURL} {
		if s != "" {
			set++
		}
	}
	switch {
	case set != 0 && set != 4:
		errs = append(errs, errors.New("sign-in with Entra ID needs all four of the issuer, client id, client secret and redirect URL"))
	case set == 0 && o.Token == "":
		errs = append(errs, errors.New("either sign-in with Entra ID or a token is required"))
	}
	if set == 4 {
		for _, err := range []error{CheckIssuer(o.Issuer), CheckRedirectURL(o.RedirectURL)} {
			if err != nil {
				errs = append(errs, err)
			}
		}
		if len(o.Allow) == 0 {
			errs = append(errs, errors.New("the allow list is empty: nobody could review after signing in"))
		}
	}
	for _, s := range o.Allow {
		if strings.TrimSpace(s) == "role:" || strings.TrimSpace(s) == "group:" {
			errs = append(errs, fmt.Errorf("allow entry %q names no role or group", s))
		}
	}
	if o.Token != "" && len(o.Token) < 16 {
		errs = append(errs, errors.New("the token is too short: use at least 16 characters"))
	}
	if len(o.SessionKey) < 32 {
		errs = append(errs, errors.New("the session key must be at least 32 bytes"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("admin: %w", err)
	}
	return nil
}

// CheckIssuer says what is wrong with an OpenID Connect issuer for the
// review page's sign-in, or nil: it must be https (http only on this
// machine), and a tenant's own, not an authority every tenant shares.
func CheckIssuer(issuer string) error {
	u, err := checkURL("issuer", issuer)
	if err == nil && sharedAuthority(u.Path) {
		err = fmt.Errorf("the issuer %q is shared by every tenant: use your tenant's, https://login.microsoftonline.com/<tenant id>/v2.0", issuer)
	}
	return err
}

// CheckRedirectURL says what is wrong with the review page's redirect URL,
// or nil: it must be https (http only on this machine) and end in
// /admin/callback, where the page takes the sign-in back.
func CheckRedirectURL(redirect string) error {
	u, err := checkURL("redirect URL", redirect)
	if err == nil && u.Path != callbackPath {
		err = fmt.Errorf("the redirect URL %q must end in %s", redirect, callbackPath)
	}
	return err
}

// checkURL reads an address of the sign-in: https, or http on this
// machine only.
func checkURL(what, s string) (*url.URL, error) {
	u, err := url.Parse(s)
	switch {
	case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
		return nil, fmt.Errorf("the %s %q is not an http(s) URL", what, s)
	case u.Scheme == "http" && !loopback(u.Hostname()):
		return nil, fmt.Errorf("the %s %q must use https (http is for localhost only)", what, s)
	}
	return u, nil
}

// sharedAuthority reports whether an Entra ID issuer path is one of the
// multi-tenant authorities, whose tokens name each tenant as their issuer
// rather than the authority's: discovery and verification would fail.
func sharedAuthority(path string) bool {
	first, _, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	switch strings.ToLower(first) {
	case "common", "organizations", "consumers":
		return true
	}
	return false
}

// loopback reports whether a host name is this machine.
func loopback(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

// The paths of the routes.
const (
	basePath     = "/admin"
	callbackPath = "/admin/callback"
)

// Routes mounts every endpoint of the review page under /admin.
func (a *Admin) Routes(mux *http.ServeMux) {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.refused(r, "cross-origin")
		a.problem(w, r, http.StatusForbidden, "This request came from another site, so it was refused. Use the form on the review page.")
	}))
	mutating := func(h http.HandlerFunc) http.Handler { return secured(cop.Handler(h)) }
	reading := func(h http.HandlerFunc) http.Handler { return secured(h) }

	mux.Handle("GET "+basePath, reading(a.page))
	mux.Handle("GET "+basePath+"/{$}", secured(http.RedirectHandler(basePath, http.StatusMovedPermanently)))
	mux.Handle("POST "+basePath+"/decide", mutating(a.decide))
	mux.Handle("POST "+basePath+"/undo", mutating(a.undo))
	mux.Handle("GET "+basePath+"/login", reading(a.login))
	mux.Handle("GET "+callbackPath, reading(a.callback))
	mux.Handle("POST "+basePath+"/token", mutating(a.tokenSignIn))
	mux.Handle("POST "+basePath+"/logout", mutating(a.logout))
	mux.Handle("GET "+basePath+"/static/{name}", secured(http.HandlerFunc(serveStatic)))
	mux.Handle("GET "+basePath+"/api/review", reading(a.apiReview))
	mux.Handle("GET "+basePath+"/api/decisions", reading(a.apiDecisions))
	mux.Handle("POST "+basePath+"/api/decisions", mutating(a.apiDecide))
	mux.Handle("DELETE "+basePath+"/api/decisions/{id}", mutating(a.apiUndo))
}

// contentSecurityPolicy allows the site's own styles and images, forms
// to the site itself, and nothing else: no script at all.
const contentSecurityPolicy = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// secured sets the headers every response of the review page carries.
func secured(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Cache-Control", "no-store")
		hd.Set("Content-Security-Policy", contentSecurityPolicy)
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "same-origin")
		h.ServeHTTP(w, r)
	})
}

// refused counts and logs a refused request with its reason, never its
// content.
func (a *Admin) refused(r *http.Request, reason string) {
	if a.telemetry != nil {
		a.telemetry.Refused(Adapter, reason)
	}
	a.log.LogAttrs(r.Context(), slog.LevelInfo, "refused admin request",
		slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.String("reason", reason))
}

// notify tells the server that the decisions changed.
func (a *Admin) notify() {
	if a.changed != nil {
		a.changed()
	}
}
