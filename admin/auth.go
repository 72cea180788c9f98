package admin

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"slices"
	"strings"
	"time"
)

// keys are the keys derived from the session key, one per purpose, so that
// a value signed for one purpose never passes for another.
type keys struct {
	session, login, flash, csrf, token []byte
}

func deriveKeys(k []byte) keys {
	d := func(purpose string) []byte {
		m := hmac.New(sha256.New, k)
		m.Write([]byte("mmdbot admin " + purpose))
		return m.Sum(nil)
	}
	return keys{session: d("session"), login: d("login"), flash: d("flash"), csrf: d("csrf"), token: d("token")}
}

// tag names a bearer token in a session without revealing it.
func (k keys) tag(token string) string { return mac(k.token, token)[:16] }

// mac is the base64url HMAC-SHA256 of s under key.
func mac(key []byte, s string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(s))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// digest is the SHA-256 of a secret, so that comparing two takes the same
// time whatever their lengths.
func digest(s string) []byte {
	sum := sha256.Sum256([]byte(s))
	return sum[:]
}

// errCookie is a cookie that is missing, forged, or expired.
var errCookie = errors.New("cookie missing, forged or expired")

// seal signs v (with its expiry, Unix seconds, in field "exp") into a
// cookie value: the JSON in base64url, a dot, and its HMAC.
func seal(key []byte, v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	p := base64.RawURLEncoding.EncodeToString(b)
	return p + "." + mac(key, p), nil
}

// unseal checks a sealed value's signature and expiry and decodes it
// into v.
func unseal(key []byte, value string, now time.Time, v any) error {
	p, sig, ok := strings.Cut(value, ".")
	if !ok || !hmac.Equal([]byte(sig), []byte(mac(key, p))) {
		return errCookie
	}
	b, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil {
		return errCookie
	}
	var exp struct {
		Exp int64 `json:"exp"`
	}
	if json.Unmarshal(b, &exp) != nil || now.Unix() >= exp.Exp || json.Unmarshal(b, v) != nil {
		return errCookie
	}
	return nil
}

// The cookies, all with Path=/admin.
const (
	sessionCookie = "mmdbot_admin"
	loginCookie   = "mmdbot_admin_login"
	flashCookie   = "mmdbot_admin_notice"
)

// setCookie sets a sealed cookie that lasts until exp.
func (a *Admin) setCookie(w http.ResponseWriter, name, value string, exp time.Time) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: basePath, Expires: exp, MaxAge: max(1, int(math.Ceil(exp.Sub(a.now()).Seconds()))),
		HttpOnly: true, Secure: a.secure, SameSite: http.SameSiteLaxMode,
	})
}

// clearCookie removes a cookie.
func (a *Admin) clearCookie(w http.ResponseWriter, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: basePath, MaxAge: -1, HttpOnly: true, Secure: a.secure, SameSite: http.SameSiteLaxMode})
}

// readCookie unseals the cookie name of the request into v.
func (a *Admin) readCookie(r *http.Request, name string, key []byte, v any) error {
	c, err := r.Cookie(name)
	if err != nil {
		return errCookie
	}
	return unseal(key, c.Value, a.now(), v)
}

// session is who is signed in, as the session cookie keeps it.
type session struct {
	ID   string `json:"sid"`
	User string `json:"user,omitempty"` // UPN (preferred_username, upn or email)
	OID  string `json:"oid,omitempty"`
	Name string `json:"name,omitempty"`
	// Grants are the allow-list entries the account met by role or group
	// when it signed in ("role:Reviewer"); kept rather than every role
	// and group, which can be many.
	Grants []string `json:"grants,omitempty"`
	// Token names the bearer token typed in (its tag), for a session
	// opened with it.
	Token string `json:"token,omitempty"`
	Exp   int64  `json:"exp"`
}

// account is how the page names the account: "Ada Lovelace
// (ada@contoso.com)", the UPN, or the object id.
func (s *session) account() string {
	switch {
	case s.Token != "":
		return "the admin token"
	case s.Name != "" && s.User != "":
		return s.Name + " (" + s.User + ")"
	case s.User != "":
		return s.User
	}
	return "object id " + s.OID
}

// by is who decided, as decisions record it.
func (s *session) by() string {
	switch {
	case s.Token != "":
		return "token"
	case s.User != "":
		return s.User
	}
	return s.OID
}

// startSession starts a session for the account: it sets the session
// cookie, until the session's end.
func (a *Admin) startSession(w http.ResponseWriter, s session) (session, error) {
	s.ID = randomString(18)
	exp := a.now().Add(a.ttl)
	s.Exp = exp.Unix()
	v, err := seal(a.keys.session, s)
	if err != nil {
		return session{}, err
	}
	a.setCookie(w, sessionCookie, v, exp)
	return s, nil
}

// allowed reports whether the session's account may review now.
func (a *Admin) allowed(s *session) bool {
	if s.Token != "" {
		return a.token != nil && subtle.ConstantTimeCompare([]byte(s.Token), []byte(a.tokenTag)) == 1
	}
	for _, e := range a.allow {
		switch {
		case strings.HasPrefix(e, "role:") || strings.HasPrefix(e, "group:"):
			if slices.Contains(s.Grants, e) {
				return true
			}
		case s.User != "" && strings.EqualFold(e, s.User), s.OID != "" && strings.EqualFold(e, s.OID):
			return true
		}
	}
	return false
}

// grants are the role and group entries of the allow list that the
// token's roles and groups meet.
func (a *Admin) grants(roles, groups []string) []string {
	var out []string
	for _, e := range a.allow {
		if r, ok := strings.CutPrefix(e, "role:"); ok && slices.Contains(roles, r) {
			out = append(out, e)
		}
		if g, ok := strings.CutPrefix(e, "group:"); ok && slices.ContainsFunc(groups, func(x string) bool { return strings.EqualFold(x, g) }) {
			out = append(out, e)
		}
	}
	return out
}

// caller is who makes a request.
type caller struct {
	// session is the signed-in account; nil for the bearer token.
	session *session
	bearer  bool
}

// by is who decided, for the store.
func (c caller) by() string {
	if c.bearer {
		return "token"
	}
	return c.session.by()
}

// How a request was authenticated, or why not.
type authState int

const (
	authNone     authState = iota // no credentials: 401
	authBadToken                  // a wrong bearer token: 401
	authExpired                   // a session cookie, forged or expired: 401
	authRefused                   // signed in, not allowed: 403
	authOK
)

// identify says who makes the request: the bearer token, or the session.
func (a *Admin) identify(r *http.Request) (caller, authState) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, _ := strings.Cut(h, " ")
		if a.token == nil || !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare(digest(strings.TrimSpace(tok)), a.token) != 1 {
			return caller{}, authBadToken
		}
		return caller{bearer: true}, authOK
	}
	if _, err := r.Cookie(sessionCookie); err != nil {
		return caller{}, authNone
	}
	var s session
	if err := a.readCookie(r, sessionCookie, a.keys.session, &s); err != nil || s.ID == "" {
		return caller{}, authExpired
	}
	if !a.allowed(&s) {
		return caller{session: &s}, authRefused
	}
	return caller{session: &s}, authOK
}

// csrfToken is the token the forms of a session carry.
func (a *Admin) csrfToken(s *session) string { return mac(a.keys.csrf, s.ID) }

// checkCSRF reports whether a request may change something: one with the
// bearer token may; one with a session must carry the session's token.
func (a *Admin) checkCSRF(c caller, got string) bool {
	if c.bearer {
		return true
	}
	return c.session != nil && got != "" && hmac.Equal([]byte(got), []byte(a.csrfToken(c.session)))
}

func randomString(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
