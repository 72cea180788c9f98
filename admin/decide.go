package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/mmdbot/mmdbot/knowledge"
	"github.com/mmdbot/mmdbot/store"
)

// decisionRequest is one decision asked for, by the page's form or the
// API: the same kind for each question.
type decisionRequest struct {
	Questions []string `json:"questions"`
	Kind      string   `json:"kind"`
	Entries   []string `json:"entries"`
	Side      string   `json:"side"`
}

// badRequest is what is wrong with a request, in a sentence fit to show.
type badRequest string

func (e badRequest) Error() string { return string(e) }

func badf(format string, args ...any) error { return badRequest(fmt.Sprintf(format, args...)) }

// maxEcho bounds, in characters, what a message repeats of bad input.
const maxEcho = 40

// echo is bad input fit to quote in a message.
func echo(s string) string { return strconv.Quote(clip(strings.ToValidUTF8(s, "\uFFFD"), maxEcho)) }

// parseDecisionForm reads the review page's decision form: q once per
// question, kind, and for an answer entry and side. The side, which the
// form offers for every entry, is kept for a shared entry only.
func parseDecisionForm(form url.Values, kb *knowledge.Base) (decisionRequest, error) {
	req := decisionRequest{Questions: form["q"], Kind: form.Get("kind")}
	if len(form["kind"]) > 1 {
		return decisionRequest{}, badRequest("Choose one decision: answer, out of scope or dismiss.")
	}
	if req.Kind == store.DecideAnswer {
		e := strings.TrimSpace(form.Get("entry"))
		if e == "" {
			return decisionRequest{}, badRequest("Choose the entry that answers these questions.")
		}
		req.Entries = []string{e}
		if entry, ok := kb.Entry(e); ok && entry.Owner == knowledge.OwnerShared {
			req.Side = form.Get("side")
		}
	}
	return checkDecision(req, kb)
}

// parseDecisionJSON reads the API's decision: one JSON object with
// questions, kind, and for an answer entries and optionally side.
func parseDecisionJSON(body []byte, kb *knowledge.Base) (decisionRequest, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var req decisionRequest
	if err := dec.Decode(&req); err != nil {
		return decisionRequest{}, badf("The body is not a decision: %s. Send {\"questions\": [...], \"kind\": \"answer\", \"entries\": [\"...\"]}.", jsonProblem(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return decisionRequest{}, badRequest("The body has more than one JSON value: send one decision.")
	}
	if req.Kind != store.DecideAnswer && (len(req.Entries) > 0 || req.Side != "") {
		return decisionRequest{}, badf("Only an answer names entries or a side, not %s.", echo(req.Kind))
	}
	return checkDecision(req, kb)
}

// jsonProblem says briefly what is wrong with JSON, without repeating it.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("it is not valid JSON (at byte %d)", se.Offset)
	case errors.As(err, &te):
		if te.Field != "" {
			return fmt.Sprintf("%s has the wrong type", echo(te.Field))
		}
		return "it is not a JSON object"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "it is empty or cut short"
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "it has the unknown field " + echo(strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`))
	}
	return "it cannot be read"
}

// checkDecision checks a decision against the limits and the knowledge,
// and returns it with its questions trimmed and each folded question
// once.
func checkDecision(req decisionRequest, kb *knowledge.Base) (decisionRequest, error) {
	switch req.Kind {
	case store.DecideAnswer, store.DecideOutOfScope, store.DecideDismiss:
	case "":
		return decisionRequest{}, badRequest("Choose a decision: answer, out of scope or dismiss.")
	default:
		return decisionRequest{}, badf("There is no decision %s: choose answer, out-of-scope or dismiss.", echo(req.Kind))
	}
	qs, err := checkQuestions(req.Questions)
	if err != nil {
		return decisionRequest{}, err
	}
	req.Questions = qs
	if req.Kind != store.DecideAnswer {
		req.Entries, req.Side = []string{}, ""
		return req, nil
	}
	if len(req.Entries) == 0 || len(req.Entries) > 2 {
		return decisionRequest{}, badRequest("An answer names one entry, or two: one for each side.")
	}
	for i, id := range req.Entries {
		if _, ok := kb.Entry(id); !ok || !utf8.ValidString(id) {
			return decisionRequest{}, badf("There is no entry %s in the knowledge.", echo(id))
		}
		if i == 1 && id == req.Entries[0] {
			return decisionRequest{}, badRequest("The two entries of an answer must differ.")
		}
	}
	switch req.Side {
	case "":
	case "microsoft", "customer", "both":
		if e, _ := kb.Entry(req.Entries[0]); e.Owner != knowledge.OwnerShared {
			return decisionRequest{}, badf("A side is only for a shared entry, and %s is not shared.", echo(req.Entries[0]))
		}
	default:
		return decisionRequest{}, badf("There is no side %s: choose microsoft, customer or both.", echo(req.Side))
	}
	return req, nil
}

// checkQuestions checks the questions of a decision and keeps each
// folded question once.
func checkQuestions(in []string) ([]string, error) {
	switch {
	case len(in) == 0:
		return nil, badRequest("Choose at least one question.")
	case len(in) > MaxQuestions:
		return nil, badf("One decision takes at most %d questions; this one has %d.", MaxQuestions, len(in))
	}
	out := make([]string, 0, len(in))
	seen := map[string]bool{}
	for _, q := range in {
		q = strings.TrimSpace(q)
		switch {
		case !utf8.ValidString(q):
			return nil, badRequest("A question is not valid text: it must be UTF-8.")
		case utf8.RuneCountInString(q) > MaxQuestion:
			return nil, badf("A question is too long: use at most %d characters.", MaxQuestion)
		}
		n := knowledge.Fold(q)
		if strings.TrimSpace(n) == "" {
			return nil, badRequest("A question is empty.")
		}
		if !seen[n] {
			seen[n] = true
			out = append(out, q)
		}
	}
	return out, nil
}

// apply records the decision on each question; if one fails, it takes
// back those already recorded (restoring any decision they replaced), so
// that a decision is made whole or not at all.
func (a *Admin) apply(ctx context.Context, by string, req decisionRequest) ([]store.Decision, error) {
	out := make([]store.Decision, 0, len(req.Questions))
	for _, q := range req.Questions {
		d, err := a.store.Decide(ctx, store.Decision{Question: q, Kind: req.Kind, Entries: req.Entries, Side: req.Side, By: by, At: a.now(), Source: store.SourceReview})
		if err != nil {
			a.takeBack(ctx, out)
			return nil, fmt.Errorf("record decision: %w", err)
		}
		out = append(out, d)
	}
	a.log.LogAttrs(ctx, slog.LevelInfo, "admin decided", slog.String("by", by), slog.String("kind", req.Kind),
		slog.Int("questions", len(out)), slog.String("entries", strings.Join(req.Entries, " ")))
	a.notify()
	return out, nil
}

// takeBack undoes the decisions of a decision that failed part-way; the
// store brings back those they replaced.
func (a *Admin) takeBack(ctx context.Context, done []store.Decision) {
	ctx = context.WithoutCancel(ctx)
	for _, d := range done {
		if _, err := a.store.Undo(ctx, d.ID); err != nil {
			a.log.LogAttrs(ctx, slog.LevelError, "take back a partial decision", slog.Int64("decision", d.ID), slog.String("error", err.Error()))
		}
	}
}

// undoAll undoes the decisions with those ids; it returns those undone.
// Those already undone are skipped; none undone is store.ErrNotFound.
func (a *Admin) undoAll(ctx context.Context, by string, ids []int64) ([]store.Decision, error) {
	var out []store.Decision
	for _, id := range ids {
		d, err := a.store.Undo(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			if len(out) > 0 {
				a.notify()
			}
			return out, fmt.Errorf("undo decision: %w", err)
		}
		out = append(out, d)
	}
	if len(out) == 0 {
		return nil, store.ErrNotFound
	}
	a.log.LogAttrs(ctx, slog.LevelInfo, "admin undid", slog.String("by", by), slog.Int("decisions", len(out)))
	a.notify()
	return out, nil
}

// parseIDs reads decision ids: positive integers, at most MaxQuestions.
func parseIDs(vs []string) ([]int64, error) {
	if len(vs) == 0 {
		return nil, badRequest("Choose a decision to undo.")
	}
	if len(vs) > MaxQuestions {
		return nil, badf("At most %d decisions are undone at once.", MaxQuestions)
	}
	out := make([]int64, 0, len(vs))
	for _, v := range vs {
		id, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || id <= 0 {
			return nil, badf("There is no decision %s.", echo(v))
		}
		out = append(out, id)
	}
	return out, nil
}

// savedNotice says what a decision does from now on.
func savedNotice(ds []store.Decision, kb *knowledge.Base) string {
	if len(ds) == 0 {
		return ""
	}
	qs := quoted(ds)
	switch ds[0].Kind {
	case store.DecideAnswer:
		return "Saved: mmdbot answers " + qs + " with " + titles(ds[0].Entries, kb) + sidePart(ds[0].Side) + " from now on; similar questions follow once the model has retrained."
	case store.DecideOutOfScope:
		return "Saved: mmdbot says it does not know " + qs + " from now on, as out of scope; similar questions follow once the model has retrained."
	}
	return "Dismissed " + qs + ": off the review list; mmdbot answers as before."
}

// undoneNotice says what undoing decisions did.
func undoneNotice(ds []store.Decision) string {
	return "Undone: mmdbot answers " + quoted(ds) + " as it did before the decision."
}

// quoted names the questions of decisions: "“who fixes printers”" or
// "“who fixes printers” and 2 similar questions".
func quoted(ds []store.Decision) string {
	s := "“" + clip(ds[0].Question, 120) + "”"
	switch len(ds) {
	case 1:
		return s
	case 2:
		return s + " and 1 similar question"
	}
	return fmt.Sprintf("%s and %d similar questions", s, len(ds)-1)
}

// sidePart names the part of a shared entry an answer gives: "
// (your organisation's part)"; "" for none.
func sidePart(side string) string {
	switch side {
	case "microsoft":
		return " (Microsoft's part)"
	case "customer":
		return " (your organisation's part)"
	case "both":
		return " (both parts)"
	}
	return ""
}

// titles names entries by their titles: "“VPN” and “Proxy”"; a title
// that two entries share says whose row it is: "“User support”
// (Your organisation)".
func titles(ids []string, kb *knowledge.Base) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = "“" + id + "”"
		e, ok := kb.Entry(id)
		if !ok {
			continue
		}
		parts[i] = "“" + e.Title + "”"
		for _, other := range kb.Entries() {
			if other != e && other.Title == e.Title {
				parts[i] += " (" + e.Owner.Label() + ")"
				break
			}
		}
	}
	return strings.Join(parts, " and ")
}

// clip shortens s to at most n characters.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}
