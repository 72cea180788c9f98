package admin

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/mmdbot/mmdbot/internal/jsonout"
	"github.com/mmdbot/mmdbot/store"
)

// errorJSON is the body of an API error.
type errorJSON struct {
	Error string `json:"error"`
}

func writeError(w http.ResponseWriter, status int, msg string) {
	jsonout.Respond(w, status, errorJSON{Error: msg}, false)
}

// authorizeAPI answers an API request that is not an admin's with 401 or
// 403 and a JSON error, and reports whether it is one. A request that
// changes something with a session must carry the session's CSRF token in
// X-CSRF-Token.
func (a *Admin) authorizeAPI(w http.ResponseWriter, r *http.Request, writes bool) (caller, bool) {
	c, st := a.identify(r)
	switch st {
	case authOK:
		if writes && !a.checkCSRF(c, r.Header.Get("X-CSRF-Token")) {
			a.refused(r, "csrf")
			writeError(w, http.StatusForbidden, "A change made with a session needs the page's token in X-CSRF-Token; scripts use the bearer token.")
			return caller{}, false
		}
		return c, true
	case authRefused:
		a.refused(r, "not-allowed")
		writeError(w, http.StatusForbidden, "This account may not review mmdbot's questions.")
		return caller{}, false
	case authBadToken:
		a.refused(r, "token")
		w.Header().Set("WWW-Authenticate", `Bearer realm="mmdbot admin", error="invalid_token"`)
		writeError(w, http.StatusUnauthorized, "That bearer token is not the admin token.")
	default:
		a.refused(r, "unauthenticated")
		w.Header().Set("WWW-Authenticate", `Bearer realm="mmdbot admin"`)
		writeError(w, http.StatusUnauthorized, "Send the admin token: Authorization: Bearer <token>.")
	}
	return caller{}, false
}

// apiReview is GET /admin/api/review: the groups to review.
func (a *Admin) apiReview(w http.ResponseWriter, r *http.Request) {
	if _, ok := a.authorizeAPI(w, r, false); !ok {
		return
	}
	since := a.now().Add(-a.window)
	qs, err := a.store.Review(r.Context(), since, MaxReview)
	if err != nil {
		a.apiFail(w, r, "read the review", err)
		return
	}
	jsonout.Respond(w, http.StatusOK, struct {
		Since  time.Time `json:"since"`
		Groups []Group   `json:"groups"`
	}{since.UTC(), groupQuestions(qs, a.knowledge())}, true)
}

// apiDecisions is GET /admin/api/decisions: every decision, newest first.
func (a *Admin) apiDecisions(w http.ResponseWriter, r *http.Request) {
	if _, ok := a.authorizeAPI(w, r, false); !ok {
		return
	}
	ds, err := a.store.Decisions(r.Context())
	if err != nil {
		a.apiFail(w, r, "list decisions", err)
		return
	}
	jsonout.Respond(w, http.StatusOK, struct {
		Decisions []store.Decision `json:"decisions"`
	}{ds}, true)
}

// apiDecide is POST /admin/api/decisions: one decision on questions.
func (a *Admin) apiDecide(w http.ResponseWriter, r *http.Request) {
	c, ok := a.authorizeAPI(w, r, true)
	if !ok {
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			writeError(w, http.StatusRequestEntityTooLarge, "The body is too large.")
			return
		}
		writeError(w, http.StatusBadRequest, "The body cannot be read.")
		return
	}
	kb := a.knowledge()
	req, err := parseDecisionJSON(body, kb)
	if err != nil {
		a.refused(r, "decision")
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	ds, err := a.apply(r.Context(), c.by(), req)
	if err != nil {
		a.apiFail(w, r, "decide", err)
		return
	}
	jsonout.Respond(w, http.StatusCreated, struct {
		Decisions []store.Decision `json:"decisions"`
		Notice    string           `json:"notice"`
	}{ds, savedNotice(ds, kb)}, true)
}

// apiUndo is DELETE /admin/api/decisions/{id}: undo one decision.
func (a *Admin) apiUndo(w http.ResponseWriter, r *http.Request) {
	c, ok := a.authorizeAPI(w, r, true)
	if !ok {
		return
	}
	ids, err := parseIDs([]string{r.PathValue("id")})
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	ds, err := a.undoAll(r.Context(), c.by(), ids)
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, "There is no decision "+strconv.FormatInt(ids[0], 10)+": it was undone, or never made.")
		return
	case err != nil:
		a.apiFail(w, r, "undo", err)
		return
	}
	jsonout.Respond(w, http.StatusOK, struct {
		Undone store.Decision `json:"undone"`
		Notice string         `json:"notice"`
	}{ds[0], undoneNotice(ds)}, true)
}

// apiFail logs a failure and answers 500.
func (a *Admin) apiFail(w http.ResponseWriter, r *http.Request, op string, err error) {
	a.log.LogAttrs(r.Context(), slog.LevelError, "admin: "+op, slog.String("error", err.Error()))
	writeError(w, http.StatusInternalServerError, "Something went wrong, and nothing was changed. Try again in a moment.")
}
