package admin

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/mmdbot/mmdbot/knowledge"
	"github.com/mmdbot/mmdbot/store"
	"github.com/mmdbot/mmdbot/web"
)

var (
	//go:embed templates/*.html
	templateFiles embed.FS
	//go:embed static/admin.css
	adminCSS []byte
)

// cssVersion versions the page's own stylesheet's address.
var cssVersion = func() string {
	sum := sha256.Sum256(adminCSS)
	return hex.EncodeToString(sum[:8])
}()

var templates = template.Must(template.New("admin").Funcs(template.FuncMap{
	"webAsset": web.AssetURL,
	"adminCSS": func() string { return basePath + "/static/admin.css?v=" + cssVersion },
	"date":     func(t time.Time) string { return t.UTC().Format("2 Jan 2006, 15:04 UTC") },
	"iso":      func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"join":     strings.Join,
	"more":     func(n int) int { return n - 1 },
	"pct":      percent,
	"bandText": bandText,
	"pair":     func(d decisionView, csrf string) decisionRow { return decisionRow{D: d, CSRF: csrf} },
}).ParseFS(templateFiles, "templates/*.html"))

// serveStatic serves the page's own stylesheet.
func serveStatic(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("name") != "admin.css" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("ETag", `"`+cssVersion+`"`)
	http.ServeContent(w, r, "admin.css", time.Time{}, bytes.NewReader(adminCSS))
}

// base is what every page has.
type base struct {
	Title   string
	Account string
	CSRF    string
}

// signInView is the 401 page: how to sign in, and nothing else.
type signInView struct {
	base
	OIDC, Token bool
	// Message says what went wrong; Notice, what went well ("You have
	// signed out.").
	Message, Notice string
}

func (a *Admin) signInView(_ *session, msg string) *signInView {
	return &signInView{base: base{Title: "Sign in · mmdbot review"}, OIDC: a.oidc, Token: a.token != nil, Message: msg}
}

// refusedView is the 403 page of an account that may not review.
type refusedView struct {
	base
	OIDC bool
}

// problemView is a page saying what went wrong, with a way back.
type problemView struct {
	base
	Message string
	SignIn  bool
}

// reviewView is the review page.
type reviewView struct {
	base
	// Alerts are what the page says of the knowledge itself (Options.Alerts).
	Alerts    []string
	Notice    string
	Undo      []int64
	Days      int
	Groups    []groupView
	Total     int // groups, shown or not
	Questions int
	Examples  []decisionView
	Dismissed []decisionView
}

type groupView struct {
	Group
	// Rows are the questions a decision on the group takes: at most
	// MaxQuestions; More counts the others, left for the next decision.
	Rows []questionView
	More int
	ID   string
	// Down are the entries whose answers to the group got a 👎; Selected
	// is the choice offered first: the closest entry that did not.
	Down     map[string]bool
	Selected string
}

// questionView is one question of a group.
type questionView struct {
	Text     string
	Count    int
	Adapters []string
	Last     time.Time
	// Why it is up for review: "Not answered", or "👎 on “VPN”".
	Why string
}

// decisionView is one decision in the lists.
type decisionView struct {
	store.Decision
	// Answer names the entries that answer, "Out of scope", or "" for a
	// dismissal.
	Answer string
}

// decisionRow is a decision and the form token its Undo button carries.
type decisionRow struct {
	D    decisionView
	CSRF string
}

// bandText says what the bot does with its closest entries.
func bandText(b knowledge.Band) string {
	switch b {
	case knowledge.BandAnswer:
		return "it answers with the first"
	case knowledge.BandSuggest:
		return "it asks “did you mean” with them"
	}
	return "it says it does not know"
}

// page is GET /admin: the review for an admin, the sign-in page for
// nobody, the refused page for an account not allowed.
func (a *Admin) page(w http.ResponseWriter, r *http.Request) {
	c, ok := a.authorizePage(w, r)
	if !ok {
		return
	}
	v, err := a.review(w, r, c)
	if err != nil {
		a.fail(w, r, "read the review", err)
		return
	}
	a.render(w, r, "review", v, http.StatusOK)
}

// authorizePage answers a page request that is not an admin's, with 401
// or 403, and reports whether it is one.
func (a *Admin) authorizePage(w http.ResponseWriter, r *http.Request) (caller, bool) {
	c, st := a.identify(r)
	switch st {
	case authOK:
		return c, true
	case authBadToken:
		a.refused(r, "token")
		w.Header().Set("WWW-Authenticate", `Bearer realm="mmdbot admin", error="invalid_token"`)
		a.render(w, r, "signin", a.signInView(nil, "That token is not the admin token."), http.StatusUnauthorized)
	case authExpired:
		a.refused(r, "session")
		a.clearCookie(w, sessionCookie)
		a.render(w, r, "signin", a.signInView(nil, "Your session has ended. Sign in again."), http.StatusUnauthorized)
	case authRefused:
		a.refused(r, "not-allowed")
		a.render(w, r, "refused", &refusedView{base: base{Title: "No access · mmdbot review", Account: c.session.account(), CSRF: a.csrfToken(c.session)}, OIDC: a.oidc}, http.StatusForbidden)
	default:
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			a.refused(r, "unauthenticated")
		}
		v := a.signInView(nil, "")
		if r.URL.Query().Has("signed-out") {
			v.Notice = "You have signed out."
		}
		a.render(w, r, "signin", v, http.StatusUnauthorized)
	}
	return caller{}, false
}

// review builds the review page.
func (a *Admin) review(w http.ResponseWriter, r *http.Request, c caller) (*reviewView, error) {
	ctx := r.Context()
	kb := a.knowledge()
	qs, err := a.store.Review(ctx, a.now().Add(-a.window), MaxReview)
	if err != nil {
		return nil, err
	}
	ds, err := a.store.Decisions(ctx)
	if err != nil {
		return nil, err
	}
	v := &reviewView{base: base{Title: "Review · mmdbot"}, Days: int(a.window.Hours() / 24), Questions: len(qs)}
	if a.alerts != nil {
		v.Alerts = a.alerts()
	}
	if c.session != nil {
		v.Account, v.CSRF = c.session.account(), a.csrfToken(c.session)
	} else {
		v.Account = "the admin token"
	}
	var n notice
	if _, err := r.Cookie(flashCookie); err == nil {
		if a.readCookie(r, flashCookie, a.keys.flash, &n) == nil {
			v.Notice, v.Undo = n.Text, n.Undo
		}
		a.clearCookie(w, flashCookie)
	}
	groups := groupQuestions(qs, kb)
	v.Total = len(groups)
	for i, g := range groups[:min(len(groups), MaxGroups)] {
		gv := groupView{Group: g, ID: "g" + strconv.Itoa(i+1), More: max(0, len(g.Questions)-MaxQuestions)}
		gv.Down = map[string]bool{}
		for _, q := range g.Questions[:min(len(g.Questions), MaxQuestions)] {
			why := "Not answered"
			if q.Reason == store.ReasonDownvoted {
				why = "👎 on " + titles([]string{q.Entry}, kb)
				gv.Down[q.Entry] = true
			}
			gv.Rows = append(gv.Rows, questionView{Text: q.Question, Count: q.Count, Adapters: q.Adapters, Last: q.Last, Why: why})
		}
		for _, e := range g.Choices {
			if !gv.Down[e.ID] {
				gv.Selected = e.ID
				break
			}
		}
		v.Groups = append(v.Groups, gv)
	}
	for _, d := range ds {
		dv := decisionView{Decision: d}
		switch d.Kind {
		case store.DecideAnswer:
			dv.Answer = titles(d.Entries, kb) + sidePart(d.Side)
			v.Examples = append(v.Examples, dv)
		case store.DecideOutOfScope:
			dv.Answer = "Out of scope"
			v.Examples = append(v.Examples, dv)
		default:
			v.Dismissed = append(v.Dismissed, dv)
		}
	}
	return v, nil
}

// notice is what the page says after a decision or an undo, kept in a
// short-lived signed cookie across the redirect.
type notice struct {
	Text string  `json:"text"`
	Undo []int64 `json:"undo,omitempty"`
	Exp  int64   `json:"exp"`
}

// noticeTTL is how long a notice waits for the page.
const noticeTTL = 2 * time.Minute

// backToPage sends the browser back to the page, with a notice.
func (a *Admin) backToPage(w http.ResponseWriter, r *http.Request, n notice) {
	exp := a.now().Add(noticeTTL)
	n.Exp = exp.Unix()
	if len(n.Undo) > MaxQuestions {
		n.Undo = n.Undo[:MaxQuestions]
	}
	if v, err := seal(a.keys.flash, n); err == nil {
		a.setCookie(w, flashCookie, v, exp)
	}
	http.Redirect(w, r, basePath, http.StatusSeeOther)
}

// readForm reads a POSTed form of an admin with the right CSRF token; it
// answers any other request and reports false.
func (a *Admin) readForm(w http.ResponseWriter, r *http.Request) (caller, bool) {
	c, ok := a.authorizePage(w, r)
	if !ok {
		return caller{}, false
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			a.problem(w, r, http.StatusRequestEntityTooLarge, "That form is too large.")
			return caller{}, false
		}
		a.problem(w, r, http.StatusBadRequest, "The form cannot be read.")
		return caller{}, false
	}
	if !a.checkCSRF(c, r.PostForm.Get("csrf")) {
		a.refused(r, "csrf")
		a.problem(w, r, http.StatusForbidden, "This form has expired or did not come from the review page, so nothing was changed. Go back to the review page and try again.")
		return caller{}, false
	}
	return c, true
}

// decide is POST /admin/decide: one decision on a group's questions.
func (a *Admin) decide(w http.ResponseWriter, r *http.Request) {
	c, ok := a.readForm(w, r)
	if !ok {
		return
	}
	kb := a.knowledge()
	req, err := parseDecisionForm(r.PostForm, kb)
	if err != nil {
		a.refused(r, "decision")
		a.problem(w, r, http.StatusBadRequest, err.Error())
		return
	}
	ds, err := a.apply(r.Context(), c.by(), req)
	if err != nil {
		a.fail(w, r, "decide", err)
		return
	}
	n := notice{Text: savedNotice(ds, kb)}
	for _, d := range ds {
		n.Undo = append(n.Undo, d.ID)
	}
	a.backToPage(w, r, n)
}

// undo is POST /admin/undo: undo decisions.
func (a *Admin) undo(w http.ResponseWriter, r *http.Request) {
	c, ok := a.readForm(w, r)
	if !ok {
		return
	}
	ids, err := parseIDs(r.PostForm["id"])
	if err != nil {
		a.refused(r, "undo")
		a.problem(w, r, http.StatusBadRequest, err.Error())
		return
	}
	ds, err := a.undoAll(r.Context(), c.by(), ids)
	switch {
	case errors.Is(err, store.ErrNotFound):
		a.problem(w, r, http.StatusNotFound, "That decision was already undone.")
		return
	case err != nil:
		a.fail(w, r, "undo", err)
		return
	}
	a.backToPage(w, r, notice{Text: undoneNotice(ds)})
}

// render writes a page.
func (a *Admin) render(w http.ResponseWriter, r *http.Request, name string, v any, status int) {
	var buf bytes.Buffer
	if err := templates.ExecuteTemplate(&buf, name, v); err != nil {
		a.log.LogAttrs(r.Context(), slog.LevelError, "render admin page", slog.String("page", name), slog.String("error", err.Error()))
		http.Error(w, "Something went wrong showing this page. Try again.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(buf.Bytes())
	}
}

// problem writes a page saying what went wrong, with a link back.
func (a *Admin) problem(w http.ResponseWriter, r *http.Request, status int, msg string) {
	a.render(w, r, "problem", &problemView{base: base{Title: "mmdbot review"}, Message: msg}, status)
}

// signInProblem is a problem with signing in, with a link to try again.
func (a *Admin) signInProblem(w http.ResponseWriter, r *http.Request, status int, msg string) {
	a.render(w, r, "problem", &problemView{base: base{Title: "Sign in · mmdbot review"}, Message: msg, SignIn: a.oidc}, status)
}

// fail logs a failure with its reason and says something went wrong.
func (a *Admin) fail(w http.ResponseWriter, r *http.Request, op string, err error) {
	a.log.LogAttrs(r.Context(), slog.LevelError, "admin: "+op, slog.String("error", err.Error()))
	a.problem(w, r, http.StatusInternalServerError, "Something went wrong, and nothing was changed. Try again in a moment.")
}

// knowledgeOf is the knowledge the page reads, never nil.
func knowledgeOf(f func() *knowledge.Base) *knowledge.Base {
	if kb := f(); kb != nil {
		return kb
	}
	return knowledge.Default()
}
