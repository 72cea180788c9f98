// Package web is mmdbot's web adapter: a page to ask who is responsible and
// to browse the whole responsibility table, and a JSON API for scripts.
//
// The page is rendered on the server with html/template and works without
// JavaScript: the question box is a GET form to "/" with q, a "did you mean"
// choice is a link with show, and the table filter is a GET form with owner
// and filter (the matcher, words and stems, and a fuzzy match over titles).
// A small embedded script, where it runs, filters the table as one types,
// asking the API for the same filter. The CSS, script and icon are embedded
// and served under /static/ with cache headers, and every page carries a
// strict Content-Security-Policy: no inline script or style, nothing from
// another origin.
//
// The API answers GET /api/ask?q= with the same JSON as `mmdbot ask --json`
// and GET /api/entries[?owner=] with the same JSON as
// `mmdbot table --format json`.
//
// The privacy statement and the terms of use are short pages of their own,
// at /privacy and /terms, for the Teams app package to point to.
//
// Routes mounts the site's handlers on the serve command's mux; this is its
// route table:
//
//	GET /{$}          Page
//	GET /privacy      Privacy
//	GET /terms        Terms
//	GET /api/ask      Ask
//	GET /api/entries  Entries
//	GET /static/      Static
package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mmdbot/mmdbot/bot"
	"github.com/mmdbot/mmdbot/internal/jsonout"
	"github.com/mmdbot/mmdbot/knowledge"
)

// Adapter is the name the web adapter gives the bot, for metrics and the
// unanswered report.
const Adapter = "web"

// MaxInput is the longest question, filter or entry id, in characters, that
// the page and the API read.
const MaxInput = bot.MaxQuestion

// answerTimeout bounds the work for one question.
const answerTimeout = 10 * time.Second

// The addresses of the privacy statement and the terms of use, which the
// Teams app package points to.
const (
	PrivacyPath = "/privacy"
	TermsPath   = "/terms"
)

// Options configure a Site. Every field is optional.
type Options struct {
	// Logger receives a line for each refused request and each failure.
	Logger *slog.Logger
	// Records says what is recorded of the questions, for the privacy
	// statement; the zero value says nothing is.
	Records Records
}

// Records is what mmdbot keeps of the questions people ask.
type Records struct {
	// On is true when unanswered questions and votes are recorded.
	On bool
	// Retention is how long they are kept.
	Retention time.Duration
}

// Bot is what the site asks of mmdbot's bot: questions and entries shown
// go through it, as do the table and its filter, so that the page answers,
// counts and journals as every other platform does. *bot.Bot implements it.
type Bot interface {
	bot.Handler
	Act(ctx context.Context, m bot.Message, a bot.Action) (bot.Reply, error)
	Table(owners ...knowledge.Owner) bot.Reply
	Filter(text string) map[string]bool
	Source() knowledge.Page
	Refused(adapter, reason string)
}

// Site is the web page and the JSON API over one bot. It is safe for
// concurrent use.
type Site struct {
	bot     Bot
	log     *slog.Logger
	records Records
}

// New returns a Site answering with b. It does no I/O.
func New(b Bot, opts Options) *Site {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Site{bot: b, log: opts.Logger.With(slog.String("adapter", Adapter)), records: opts.Records}
}

// Name names the adapter in metrics, logs and /readyz: "web".
func (s *Site) Name() string { return Adapter }

// Ready reports that the site can take requests: it always can.
func (s *Site) Ready() error { return nil }

// Routes mounts every endpoint of the site.
func (s *Site) Routes(mux *http.ServeMux) {
	mux.Handle("GET /{$}", s.Page())
	mux.Handle("GET "+PrivacyPath, s.Privacy())
	mux.Handle("GET "+TermsPath, s.Terms())
	mux.Handle("GET /api/ask", s.Ask())
	mux.Handle("GET /api/entries", s.Entries())
	mux.Handle("GET /static/", s.Static())
}

// Page returns the handler of the web page: GET / with the optional
// parameters q (a question), show (an entry id), owner and filter (the
// table filter).
func (s *Site) Page() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setSecurityHeaders(w.Header())
		if !allowMethod(w, r) {
			s.refuse(r.Context(), "method")
			writePlain(w, http.StatusMethodNotAllowed, "Only GET and HEAD are allowed here.")
			return
		}
		v, status := s.page(r)
		s.render(w, r, "page", v, status)
	})
}

// Privacy returns the handler of GET /privacy: what mmdbot reads, keeps
// and sends, as this server is configured.
func (s *Site) Privacy() http.Handler { return s.legal("privacy", "Privacy") }

// Terms returns the handler of GET /terms: the terms of use.
func (s *Site) Terms() http.Handler { return s.legal("terms", "Terms of use") }

// legal returns the handler of one of the short pages the Teams app
// package points to.
func (s *Site) legal(name, title string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setSecurityHeaders(w.Header())
		if !allowMethod(w, r) {
			s.refuse(r.Context(), "method")
			writePlain(w, http.StatusMethodNotAllowed, "Only GET and HEAD are allowed here.")
			return
		}
		v := &legalView{title: title, Source: s.bot.Source(), Records: s.records}
		s.render(w, r, name, v, http.StatusOK)
	})
}

// render writes the template name with v as an HTML response.
func (s *Site) render(w http.ResponseWriter, r *http.Request, name string, v any, status int) {
	if status >= 500 {
		w.Header().Set("Cache-Control", "no-store")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	var buf bytes.Buffer
	if err := templates.ExecuteTemplate(&buf, name, v); err != nil {
		s.log.LogAttrs(r.Context(), slog.LevelError, "render page", slog.String("page", name), slog.String("error", err.Error()))
		writePlain(w, http.StatusInternalServerError, "Something went wrong showing this page. Try again.")
		return
	}
	writeBody(w, status, "text/html; charset=utf-8", buf.Bytes())
}

// page builds the view of one request to the page and the status to send.
func (s *Site) page(r *http.Request) (*pageView, int) {
	ctx := r.Context()
	v := &pageView{Source: s.bot.Source()}
	form, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		s.refuse(ctx, "query")
		v.Problem, v.Invalid = "That address is not valid: its query string cannot be read.", "q"
		v.Table = tableOf(s.bot.Table(), "", "", nil)
		return v, http.StatusBadRequest
	}
	q, hasQ := first(form, "q")
	show, hasShow := first(form, "show")
	ownerArg, _ := first(form, "owner")
	filter, _ := first(form, "filter")

	// The table filter is read first so that a bad question still shows
	// the table the person asked for, and the other way round.
	status := http.StatusOK
	var owner knowledge.Owner
	if strings.TrimSpace(filter) != "" {
		if msg, reason := checkText(filter, "filter"); msg != "" {
			s.refuse(ctx, reason)
			v.Problem, v.Invalid, status, filter = msg, "filter", http.StatusBadRequest, ""
		}
	}
	if ownerArg != "" && ownerArg != "all" {
		o, err := knowledge.ParseOwner(ownerArg)
		if err != nil {
			s.refuse(ctx, "owner")
			v.Problem, v.Invalid, status = "There is no owner "+strconv.Quote(clip(strings.ToValidUTF8(ownerArg, "\uFFFD"), maxEcho))+": choose Microsoft, your organisation or shared.", "owner", http.StatusBadRequest
		}
		owner = o
	}

	switch {
	case hasShow:
		v.Query = q
		if msg, reason := checkText(show, "entry"); msg != "" {
			s.refuse(ctx, reason)
			v.Problem, status = msg, http.StatusBadRequest
			break
		}
		rep, _ := s.bot.Act(ctx, bot.Message{Via: bot.ViaWeb, Adapter: Adapter}, bot.Show(strings.TrimSpace(show), "", q))
		v.Reply = replyOf(rep, q)
	case hasQ:
		v.Query = q
		if msg, reason := checkText(q, "question"); msg != "" {
			s.refuse(ctx, reason)
			v.Problem, v.Invalid, status = msg, "q", http.StatusBadRequest
			break
		}
		rep, err := s.answer(ctx, q)
		if err != nil {
			if rep.Kind == bot.KindError {
				v.Problem, v.Invalid, status = rep.Text, "q", http.StatusBadRequest
				break
			}
			v.Problem, status = "Something went wrong answering that question. Try again.", http.StatusInternalServerError
			break
		}
		v.Reply = replyOf(rep, q)
		if rep.Kind == bot.KindTable && rep.Intent == bot.IntentList && len(rep.Groups) == 1 && owner == "" {
			owner = rep.Groups[0].Owner
		}
	}
	v.Query = clip(strings.ToValidUTF8(v.Query, "\uFFFD"), MaxInput)
	page, _ := first(form, "page")
	n, _ := strconv.Atoi(page)
	v.Table = tablePageOf(s.bot.Table(), owner, filter, s.bot.Filter(filter), n)
	return v, status
}

// answer asks the bot one question from the web.
func (s *Site) answer(ctx context.Context, q string) (bot.Reply, error) {
	ctx, cancel := context.WithTimeout(ctx, answerTimeout)
	defer cancel()
	rep, err := s.bot.Handle(ctx, bot.Message{Text: q, Via: bot.ViaWeb, Adapter: Adapter})
	if err != nil {
		if errors.Is(err, bot.ErrBadInput) {
			s.refuse(ctx, "bad-input")
			return rep, fmt.Errorf("answer question: %w", err)
		}
		s.log.LogAttrs(ctx, slog.LevelError, "answer question", slog.String("error", err.Error()))
		return bot.Reply{}, fmt.Errorf("answer question: %w", err)
	}
	return rep, nil
}

// apiRequest sets the API's headers and reads the query of a GET or HEAD
// request; anything else is answered with a JSON error, counted, and false.
func (s *Site) apiRequest(w http.ResponseWriter, r *http.Request) (url.Values, bool) {
	setAPIHeaders(w.Header())
	if !allowMethod(w, r) {
		s.refuse(r.Context(), "method")
		writeError(w, http.StatusMethodNotAllowed, "Only GET and HEAD are allowed here.")
		return nil, false
	}
	form, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		s.refuse(r.Context(), "query")
		writeError(w, http.StatusBadRequest, "The query string cannot be read.")
		return nil, false
	}
	return form, true
}

// Ask returns the handler of GET /api/ask?q=: the bot's reply to q as JSON,
// the same as `mmdbot ask --json`. Bad input gets a 400 with a JSON body
// {"error": "..."}.
func (s *Site) Ask() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		form, ok := s.apiRequest(w, r)
		if !ok {
			return
		}
		q, _ := first(form, "q")
		if msg, reason := checkText(q, "question"); msg != "" {
			s.refuse(r.Context(), reason)
			writeError(w, http.StatusBadRequest, msg)
			return
		}
		rep, err := s.answer(r.Context(), q)
		if err != nil {
			if rep.Kind == bot.KindError {
				writeError(w, http.StatusBadRequest, rep.Text)
				return
			}
			writeError(w, http.StatusInternalServerError, "Something went wrong answering that question. Try again.")
			return
		}
		jsonout.Respond(w, http.StatusOK, rep.JSON(), true)
	})
}

// Entries returns the handler of GET /api/entries[?owner=][&filter=]: the
// entries of the owner asked (all of them when owner is absent or empty:
// Microsoft's, then your organisation's, then the shared ones) that the
// page's table filter keeps, as a JSON array, the same as
// `mmdbot table --format json`. An unknown owner gets a 400.
func (s *Site) Entries() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		form, ok := s.apiRequest(w, r)
		if !ok {
			return
		}
		owners := knowledge.Owners
		if arg, _ := first(form, "owner"); arg != "" {
			o, err := knowledge.ParseOwner(arg)
			if err != nil || !utf8.ValidString(arg) {
				s.refuse(r.Context(), "owner")
				writeError(w, http.StatusBadRequest, "Unknown owner "+strconv.Quote(clip(strings.ToValidUTF8(arg, "\uFFFD"), maxEcho))+": want microsoft, customer or shared.")
				return
			}
			owners = []knowledge.Owner{o}
		}
		filter, _ := first(form, "filter")
		if strings.TrimSpace(filter) != "" {
			if msg, reason := checkText(filter, "filter"); msg != "" {
				s.refuse(r.Context(), reason)
				writeError(w, http.StatusBadRequest, msg)
				return
			}
		}
		keep := s.bot.Filter(filter)
		entries := []*knowledge.Entry{}
		for _, g := range s.bot.Table(owners...).Groups {
			for _, e := range g.Entries {
				if keep == nil || keep[e.ID] {
					entries = append(entries, e)
				}
			}
		}
		jsonout.Respond(w, http.StatusOK, entries, true)
	})
}

// refuse counts and logs a refused request; the log keeps the reason, never
// the input.
func (s *Site) refuse(ctx context.Context, reason string) {
	s.bot.Refused(Adapter, reason)
	s.log.LogAttrs(ctx, slog.LevelDebug, "refused request", slog.String("reason", reason))
}

// checkText returns a safe sentence saying what is wrong with a question,
// filter or entry id, and a short reason for metrics; "" when it is fine.
func checkText(s, what string) (msg, reason string) {
	switch {
	case !utf8.ValidString(s):
		return fmt.Sprintf("That %s is not valid text: it must be UTF-8.", what), "invalid-utf8"
	case utf8.RuneCountInString(s) > MaxInput:
		return fmt.Sprintf("That %s is too long: use at most %d characters.", what, MaxInput), "too-long"
	case strings.TrimSpace(s) == "":
		if what == "question" {
			return "Type a question first, for example: who handles VPN issues?", "empty"
		}
		return fmt.Sprintf("That %s is empty.", what), "empty"
	}
	return "", ""
}

// first returns the first value of a form field and whether it was given.
func first(form url.Values, key string) (string, bool) {
	vs, ok := form[key]
	if !ok || len(vs) == 0 {
		return "", false
	}
	return vs[0], true
}

// maxEcho bounds, in characters, what a message repeats of bad input.
const maxEcho = 40

// clip shortens s to at most n characters, for echoing it back in a
// message or the question box.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// allowMethod reports whether the request is a GET or a HEAD, and sets the
// Allow header when it is not.
func allowMethod(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return true
	}
	w.Header().Set("Allow", "GET, HEAD")
	return false
}

// contentSecurityPolicy allows scripts, styles, images and the script's
// requests (the table filter) to and from the site itself only, and
// nothing inline.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
	"form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

func setSecurityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
}

func setAPIHeaders(h http.Header) {
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-cache")
}

// errorJSON is the body of an API error.
type errorJSON struct {
	Error string `json:"error"`
}

func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Cache-Control", "no-store")
	jsonout.Respond(w, status, errorJSON{Error: msg}, false)
}

// writeBody writes a whole response body of the given type.
func writeBody(w http.ResponseWriter, status int, contentType string, body []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

func writePlain(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintln(w, msg)
}
