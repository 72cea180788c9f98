package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mmdbot/mmdbot/knowledge"
)

// What the review page shows and what admins decide there: the questions
// the bot could not answer or whose answer got a 👎, and, for each, a
// decision. Answers and "out of scope" are examples the model learns from
// (Examples); a dismissal only takes the question off the review. Decisions
// are knowledge, not journal: they are never pruned.

// Why a question is up for review.
const (
	ReasonUnanswered = "unanswered"
	ReasonDownvoted  = "downvoted"
)

// Question is one question to review: asked and not answered (Reason
// ReasonUnanswered), or answered and voted 👎 (ReasonDownvoted, Entry the
// entry the bot gave).
type Question struct {
	// Question is the latest wording.
	Question string `json:"question"`
	// Norm is the folded question (knowledge.Fold): the key of decisions.
	Norm   string `json:"-"`
	Reason string `json:"reason"`
	// Entry, for a 👎, is the entry that got it.
	Entry string `json:"entry,omitempty"`
	// Count is how often it was asked (or voted 👎).
	Count int `json:"count"`
	// People is how many different people did, as far as the journal
	// can tell them apart (by pseudonym); 0 when it cannot. Askers are
	// their pseudonyms, so that the people of several questions can be
	// counted without counting anyone twice.
	People   int       `json:"people"`
	Askers   []string  `json:"-"`
	Adapters []string  `json:"adapters"`
	First    time.Time `json:"first"`
	Last     time.Time `json:"last"`
}

// The kinds of decision.
const (
	// DecideAnswer: the question's right answer is Entries (one entry, or
	// one per side).
	DecideAnswer = "answer"
	// DecideOutOfScope: nothing in the knowledge answers it; the bot keeps
	// saying it does not know.
	DecideOutOfScope = "out-of-scope"
	// DecideDismiss: not an example; the question leaves the review.
	DecideDismiss = "dismiss"
)

// Where a decision comes from.
const (
	SourceReview = "review"
	SourceImport = "import"
)

// Decision is what an admin decided about one question.
type Decision struct {
	ID       int64     `json:"id"`
	Question string    `json:"question"`
	Norm     string    `json:"-"`
	Kind     string    `json:"kind"`
	Entries  []string  `json:"entries"`
	Side     string    `json:"side,omitempty"`
	By       string    `json:"by"`
	At       time.Time `json:"at"`
	Source   string    `json:"source"`
	// Restored is, on a decision Undo took back, the earlier decision on
	// the same question that it had replaced and that is back in force.
	Restored *Decision `json:"restored,omitempty"`
}

// Example is the decision as an example the model learns from, and false
// for a dismissal.
func (d Decision) Example() (knowledge.Example, bool) {
	switch d.Kind {
	case DecideAnswer:
		return knowledge.Example{Q: d.Question, Expect: slices.Clone(d.Entries), Side: d.Side, Set: "admin"}, true
	case DecideOutOfScope:
		return knowledge.Example{Q: d.Question, Expect: []string{}, Set: "admin"}, true
	}
	return knowledge.Example{}, false
}

// ErrNotFound is returned for a decision that does not exist (any more).
var ErrNotFound = errors.New("not found")

// Review lists the questions to review asked since the given time, the
// most recently asked first, at most limit of them, leaving out those
// already decided.
func (s *Store) Review(ctx context.Context, since time.Time, limit int) ([]Question, error) {
	if limit <= 0 {
		return []Question{}, nil
	}
	un, err := s.reviewUnanswered(ctx, since, limit)
	if err != nil {
		return nil, err
	}
	down, err := s.reviewDownvoted(ctx, since, limit)
	if err != nil {
		return nil, err
	}
	out := append(un, down...)
	slices.SortStableFunc(out, func(a, b Question) int { return b.Last.Compare(a.Last) })
	return out[:min(limit, len(out))], nil
}

func (s *Store) reviewUnanswered(ctx context.Context, since time.Time, limit int) ([]Question, error) {
	rows, err := s.db.QueryContext(ctx, s.d.rebind(`
		SELECT m.norm, COUNT(*), COUNT(DISTINCT NULLIF(m."user", '')), MIN(m.at), MAX(m.at),
			(SELECT question FROM misses m2 WHERE m2.norm = m.norm ORDER BY at DESC LIMIT 1),
			`+s.d.distinctList("m.adapter")+`
		FROM misses m
		WHERE m.at >= ? AND NOT EXISTS (SELECT 1 FROM decisions d WHERE d.norm = m.norm)
		GROUP BY m.norm ORDER BY MAX(m.at) DESC LIMIT ?`), since.UnixMilli(), limit)
	if err != nil {
		return nil, fmt.Errorf("list questions to review: %w", err)
	}
	defer rows.Close()
	out := []Question{}
	for rows.Next() {
		q := Question{Reason: ReasonUnanswered}
		var first, last int64
		var adapters string
		if err := rows.Scan(&q.Norm, &q.Count, &q.People, &first, &last, &q.Question, &adapters); err != nil {
			return nil, fmt.Errorf("list questions to review: %w", err)
		}
		q.Adapters = strings.Split(adapters, ",")
		q.First, q.Last = time.UnixMilli(first).UTC(), time.UnixMilli(last).UTC()
		out = append(out, q)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list questions to review: %w", err)
	}
	rows.Close()
	askers, err := s.askers(ctx, since)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Askers = askers[out[i].Norm]
	}
	return out, nil
}

// askers maps a folded question to the pseudonyms of who asked it since a
// time.
func (s *Store) askers(ctx context.Context, since time.Time) (map[string][]string, error) {
	rows, err := s.db.QueryContext(ctx, s.d.rebind(`SELECT DISTINCT norm, "user" FROM misses WHERE at >= ? AND "user" <> ''`), since.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("list who asked: %w", err)
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var norm, who string
		if err := rows.Scan(&norm, &who); err != nil {
			return nil, fmt.Errorf("list who asked: %w", err)
		}
		out[norm] = append(out[norm], who)
	}
	return out, rows.Err()
}

// ReviewTotals is how much is up for review over a period, whatever the
// number of different questions: what Review would list, counted whole.
type ReviewTotals struct {
	// Unanswered counts the questions asked and not answered (each time
	// asked), Downvoted the 👎 on answers, leaving out the questions
	// already decided.
	Unanswered, Downvoted int
	// People counts the different people who asked the questions not
	// answered, as far as the journal tells them apart: by pseudonym,
	// leaving out questions recorded without one.
	People int
}

// Totals counts what is up for review since the given time.
func (s *Store) Totals(ctx context.Context, since time.Time) (ReviewTotals, error) {
	var t ReviewTotals
	err := s.db.QueryRowContext(ctx, s.d.rebind(`
		SELECT COUNT(*), COUNT(DISTINCT NULLIF(m."user", '')) FROM misses m
		WHERE m.at >= ? AND NOT EXISTS (SELECT 1 FROM decisions d WHERE d.norm = m.norm)`), since.UnixMilli()).Scan(&t.Unanswered, &t.People)
	if err != nil {
		return ReviewTotals{}, fmt.Errorf("count the questions to review: %w", err)
	}
	decided, err := s.decidedNorms(ctx)
	if err != nil {
		return ReviewTotals{}, err
	}
	// Votes keep the question as asked: folded here, as reviewDownvoted
	// does.
	rows, err := s.db.QueryContext(ctx, s.d.rebind("SELECT question, COUNT(*) FROM votes WHERE up = 0 AND at >= ? GROUP BY question"), since.UnixMilli())
	if err != nil {
		return ReviewTotals{}, fmt.Errorf("count the answers voted down: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var q string
		var n int
		if err := rows.Scan(&q, &n); err != nil {
			return ReviewTotals{}, fmt.Errorf("count the answers voted down: %w", err)
		}
		if norm := knowledge.Fold(q); norm != "" && !decided[norm] {
			t.Downvoted += n
		}
	}
	if err := rows.Err(); err != nil {
		return ReviewTotals{}, fmt.Errorf("count the answers voted down: %w", err)
	}
	return t, nil
}

// reviewDownvoted lists the answers voted 👎, by folded question and entry.
// Votes keep the question as asked, so folding happens here.
func (s *Store) reviewDownvoted(ctx context.Context, since time.Time, limit int) ([]Question, error) {
	decided, err := s.decidedNorms(ctx)
	if err != nil {
		return nil, err
	}
	voters, err := s.voters(ctx, since)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, s.d.rebind(`
		SELECT question, entry, COUNT(*), COUNT(DISTINCT NULLIF(voter, '')), MIN(at), MAX(at), `+s.d.distinctList("adapter")+`
		FROM votes WHERE up = 0 AND at >= ?
		GROUP BY question, entry ORDER BY MAX(at) DESC LIMIT ?`), since.UnixMilli(), 4*limit)
	if err != nil {
		return nil, fmt.Errorf("list answers voted down: %w", err)
	}
	defer rows.Close()
	out := []Question{}
	at := map[string]int{} // norm and entry → index in out
	for rows.Next() {
		q := Question{Reason: ReasonDownvoted}
		var first, last int64
		var adapters string
		if err := rows.Scan(&q.Question, &q.Entry, &q.Count, &q.People, &first, &last, &adapters); err != nil {
			return nil, fmt.Errorf("list answers voted down: %w", err)
		}
		q.Norm = knowledge.Fold(q.Question)
		if q.Norm == "" || decided[q.Norm] {
			continue
		}
		// Who voted is counted over every wording of the question.
		q.Askers = voters[q.Norm+"\x00"+q.Entry]
		q.People = len(q.Askers)
		q.Adapters = strings.Split(adapters, ",")
		q.First, q.Last = time.UnixMilli(first).UTC(), time.UnixMilli(last).UTC()
		key := q.Norm + "\x00" + q.Entry
		if i, ok := at[key]; ok {
			// The same question typed differently: one row. Rows come
			// newest first, so the first wording seen is the latest.
			p := &out[i]
			p.Count += q.Count
			if q.First.Before(p.First) {
				p.First = q.First
			}
			p.Adapters = union(p.Adapters, q.Adapters)
			continue
		}
		at[key] = len(out)
		out = append(out, q)
	}
	return out, rows.Err()
}

// voters maps a folded question and an entry ("question\x00entry") to
// the pseudonyms of who voted 👎 on that answer since a time.
func (s *Store) voters(ctx context.Context, since time.Time) (map[string][]string, error) {
	rows, err := s.db.QueryContext(ctx, s.d.rebind(`SELECT DISTINCT question, entry, voter FROM votes WHERE up = 0 AND at >= ? AND voter <> ''`), since.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("list who voted: %w", err)
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var q, entry, who string
		if err := rows.Scan(&q, &entry, &who); err != nil {
			return nil, fmt.Errorf("list who voted: %w", err)
		}
		key := knowledge.Fold(q) + "\x00" + entry
		if !slices.Contains(out[key], who) {
			out[key] = append(out[key], who)
		}
	}
	return out, rows.Err()
}

func union(a, b []string) []string {
	for _, s := range b {
		if !slices.Contains(a, s) {
			a = append(a, s)
		}
	}
	return a
}

// decidedNorms is the set of folded questions with a decision.
func (s *Store) decidedNorms(ctx context.Context) (map[string]bool, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT norm FROM decisions")
	if err != nil {
		return nil, fmt.Errorf("list decisions: %w", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("list decisions: %w", err)
		}
		out[n] = true
	}
	return out, rows.Err()
}

// Decide records a decision, in place of any earlier one on the same
// question, which an Undo of the new one brings back (Norm is the folded
// Question when empty; At is now when zero; Source is SourceReview when
// empty). It returns the decision stored, with its ID, a new one.
func (s *Store) Decide(ctx context.Context, d Decision) (Decision, error) {
	if d.Norm == "" {
		d.Norm = knowledge.Fold(d.Question)
	}
	switch {
	case d.Norm == "":
		return Decision{}, errors.New("record decision: the question is empty")
	case d.Kind != DecideAnswer && d.Kind != DecideOutOfScope && d.Kind != DecideDismiss:
		return Decision{}, fmt.Errorf("record decision: unknown kind %q", d.Kind)
	case d.Kind == DecideAnswer && len(d.Entries) == 0:
		return Decision{}, errors.New("record decision: an answer needs an entry")
	}
	if d.Kind != DecideAnswer {
		d.Entries, d.Side = nil, ""
	}
	d.At = at(d.At, s.now).UTC().Truncate(time.Millisecond)
	if d.Source == "" {
		d.Source = SourceReview
	}
	if err := s.d.check(); err != nil {
		s.wrote(err)
		return Decision{}, err
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		// The decision replaced gives way to the new one, which has an id
		// of its own and keeps it, for an undo to bring back.
		previous := ""
		old, err := scanDecision(tx.QueryRowContext(ctx, s.d.rebind("DELETE FROM decisions WHERE norm = ? RETURNING "+decisionColumns), d.Norm))
		switch {
		case err == nil:
			b, err := json.Marshal(old)
			if err != nil {
				return err
			}
			previous = string(b)
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		return tx.QueryRowContext(ctx, s.d.rebind(`
			INSERT INTO decisions (norm, question, kind, entries, side, decided_by, at, source, previous) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (norm) DO UPDATE SET question = excluded.question, kind = excluded.kind, entries = excluded.entries,
				side = excluded.side, decided_by = excluded.decided_by, at = excluded.at, source = excluded.source, previous = excluded.previous
			RETURNING id`),
			d.Norm, d.Question, d.Kind, strings.Join(d.Entries, " "), d.Side, d.By, d.At.UnixMilli(), d.Source, previous).Scan(&d.ID)
	})
	s.wrote(err)
	if err != nil {
		return Decision{}, fmt.Errorf("record decision: %w", err)
	}
	if d.Entries == nil {
		d.Entries = []string{}
	}
	return d, nil
}

// decisionColumns are the columns scanDecision reads, in order.
const decisionColumns = "id, norm, question, kind, entries, side, decided_by, at, source"

type scanner interface{ Scan(dest ...any) error }

// scanDecision reads the decisionColumns of a row, and the columns after
// them into more.
func scanDecision(r scanner, more ...any) (Decision, error) {
	var d Decision
	var entries string
	var at int64
	if err := r.Scan(append([]any{&d.ID, &d.Norm, &d.Question, &d.Kind, &entries, &d.Side, &d.By, &at, &d.Source}, more...)...); err != nil {
		return Decision{}, err
	}
	d.Entries = strings.Fields(entries)
	if d.Entries == nil {
		d.Entries = []string{}
	}
	d.At = time.UnixMilli(at).UTC()
	return d, nil
}

// Undo takes back the decision with that id and returns it, or
// ErrNotFound: the decision it had replaced on the same question, if any,
// is back in force (Decision.Restored), with its own id; else the question
// has no decision.
func (s *Store) Undo(ctx context.Context, id int64) (Decision, error) {
	if err := s.d.check(); err != nil {
		s.wrote(err)
		return Decision{}, err
	}
	var d Decision
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var previous string
		var err error
		d, err = scanDecision(tx.QueryRowContext(ctx, s.d.rebind("DELETE FROM decisions WHERE id = ? RETURNING "+decisionColumns+", previous"), id), &previous)
		if err != nil || previous == "" {
			return err
		}
		var old Decision
		if err := json.Unmarshal([]byte(previous), &old); err != nil {
			return fmt.Errorf("the decision it replaced cannot be read: %w", err)
		}
		_, err = tx.ExecContext(ctx, s.d.rebind(`INSERT INTO decisions (id, norm, question, kind, entries, side, decided_by, at, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			old.ID, d.Norm, old.Question, old.Kind, strings.Join(old.Entries, " "), old.Side, old.By, old.At.UnixMilli(), old.Source)
		old.Norm = d.Norm
		d.Restored = &old
		return err
	})
	if errors.Is(err, sql.ErrNoRows) {
		return Decision{}, fmt.Errorf("undo decision %d: %w", id, ErrNotFound)
	}
	s.wrote(err)
	if err != nil {
		return Decision{}, fmt.Errorf("undo decision %d: %w", id, err)
	}
	return d, nil
}

// inTx runs f in a transaction, committed when f succeeds.
func (s *Store) inTx(ctx context.Context, f func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := f(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// Decisions lists every decision, the newest first.
func (s *Store) Decisions(ctx context.Context) ([]Decision, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+decisionColumns+" FROM decisions ORDER BY at DESC, id DESC")
	if err != nil {
		return nil, fmt.Errorf("list decisions: %w", err)
	}
	defer rows.Close()
	out := []Decision{}
	for rows.Next() {
		d, err := scanDecision(rows)
		if err != nil {
			return nil, fmt.Errorf("list decisions: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// Examples returns the decisions that are examples (answers and out of
// scope), the oldest first, as the knowledge's examples.
func (s *Store) Examples(ctx context.Context) ([]knowledge.Example, error) {
	ds, err := s.Decisions(ctx)
	if err != nil {
		return nil, err
	}
	out := []knowledge.Example{}
	for _, d := range slices.Backward(ds) {
		if ex, ok := d.Example(); ok {
			out = append(out, ex)
		}
	}
	return out, nil
}

// DecisionsVersion changes whenever a decision is made, replaced or
// undone: a replica that polls it knows when to learn them again.
func (s *Store) DecisionsVersion(ctx context.Context) (string, error) {
	var n, last, top int64
	err := s.db.QueryRowContext(ctx, "SELECT COUNT(*), COALESCE(MAX(at), 0), COALESCE(MAX(id), 0) FROM decisions").Scan(&n, &last, &top)
	if err != nil {
		return "", fmt.Errorf("read decisions version: %w", err)
	}
	return fmt.Sprintf("%d.%d.%d", n, last, top), nil
}

// Secret returns the value kept under name, storing the one made by mk
// the first time it is asked for: every replica gets the same value,
// whichever asked first.
func (s *Store) Secret(ctx context.Context, name string, mk func() (string, error)) (string, error) {
	var v string
	err := s.db.QueryRowContext(ctx, s.d.rebind("SELECT value FROM meta WHERE key = ?"), name).Scan(&v)
	if err == nil {
		return v, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("read %s: %w", name, err)
	}
	made, err := mk()
	if err != nil {
		return "", fmt.Errorf("make %s: %w", name, err)
	}
	if _, err := s.exec(ctx, "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING", name, made); err != nil {
		return "", fmt.Errorf("store %s: %w", name, err)
	}
	if err := s.db.QueryRowContext(ctx, s.d.rebind("SELECT value FROM meta WHERE key = ?"), name).Scan(&v); err != nil {
		return "", fmt.Errorf("read %s: %w", name, err)
	}
	return v, nil
}

// ClaimPeriod records that the work of one period (a weekly digest:
// "digest/slack/2026-W49") is being done, and reports whether this call
// was the first to claim it: of several replicas, one alone does it.
func (s *Store) ClaimPeriod(ctx context.Context, period string) (bool, error) {
	res, err := s.exec(ctx, "INSERT INTO digests (period, at) VALUES (?, ?) ON CONFLICT (period) DO NOTHING", period, s.now().UnixMilli())
	if err != nil {
		return false, fmt.Errorf("claim %s: %w", period, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("claim %s: %w", period, err)
	}
	return n == 1, nil
}

// ReleasePeriod takes a claim back, when the work could not be done and
// should be tried again.
func (s *Store) ReleasePeriod(ctx context.Context, period string) error {
	if _, err := s.exec(ctx, "DELETE FROM digests WHERE period = ?", period); err != nil {
		return fmt.Errorf("release %s: %w", period, err)
	}
	return nil
}
