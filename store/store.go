// Package store keeps what mmdbot must not forget: the questions it could
// not answer and the feedback on its answers (the journal), the Slack and
// Teams ids it has handled lately (de-duplication), the replies it owes
// (the outbox, see package outbox), and what admins decided on the review
// page (decisions, which become examples the model learns from).
//
// One Store, two databases behind it: an embedded SQLite file
// (modernc.org/sqlite, pure Go, so that the binary stays static), the
// default; or PostgreSQL (jackc/pgx), shared by every replica, when the
// target is a postgres:// URL. Their differences (placeholders, types, how
// outbox rows are claimed, self-checks) are the dialect's; the schema is
// versioned and migrated at start. It implements bot.Journal and
// outbox.Store.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mmdbot/mmdbot/bot"
	"github.com/mmdbot/mmdbot/knowledge"
	"github.com/mmdbot/mmdbot/outbox"
)

// DefaultRetention is how long records are kept when no retention is given.
const DefaultRetention = 90 * 24 * time.Hour

// SeenWindow is how long a Slack event id or Teams activity id is
// remembered: Slack retries an event over about five minutes.
const SeenWindow = time.Hour

// MaxRecords bounds each table: past it, the oldest records go first, so
// that questions sent in a flood cannot fill the disk.
const MaxRecords = 100_000

// trimEvery is how many writes pass between two checks of MaxRecords (and
// two deletions of the ids past SeenWindow).
const trimEvery = 512

// Memory is the target of a store that lives in memory and is lost at
// exit: de-duplication and the outbox of a server that records nothing.
const Memory = ":memory:"

// Options configure a Store.
type Options struct {
	// Retention is how long the journal is kept (DefaultRetention when 0).
	Retention time.Duration
	// Logger is told of a corrupt file moved aside and of failing writes.
	Logger *slog.Logger
}

// Store is mmdbot's journal, de-duplication and outbox, in SQLite or
// PostgreSQL. It is safe for concurrent use.
type Store struct {
	db        *sql.DB
	d         dialect
	log       *slog.Logger
	retention time.Duration
	now       func() time.Time
	max       int64
	writes    atomic.Int64

	// failed counts the writes that failed; broken is why the last write
	// failed, "" once one succeeds again.
	failed atomic.Int64
	mu     sync.Mutex
	broken string
}

// Store keeps the replies the adapters owe.
var _ outbox.Store = (*Store)(nil)

// Store is the bot's journal.
var _ bot.Journal = (*Store)(nil)

// Open opens (creating if need be) the store at target: a SQLite file, a
// postgres:// URL or Memory. It prunes records older than retention
// (DefaultRetention when zero).
func Open(ctx context.Context, target string, retention time.Duration) (*Store, error) {
	return OpenWith(ctx, target, Options{Retention: retention})
}

// OpenWith opens the store at target with options. A SQLite file that is
// corrupt is moved aside (name.corrupt-TIME) with an error in the log, and
// a fresh one is created, so that the server starts and answers.
func OpenWith(ctx context.Context, target string, o Options) (*Store, error) {
	if strings.TrimSpace(target) == "" {
		return nil, errors.New("open data store: no file name given")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Retention <= 0 {
		o.Retention = DefaultRetention
	}
	var (
		d   dialect
		err error
	)
	if isPostgres(target) {
		d, err = openPostgres(ctx, target)
	} else {
		d, err = openSQLite(ctx, target, o.Logger)
	}
	if err != nil {
		return nil, err
	}
	s := &Store{db: d.handle(), d: d, log: o.Logger, retention: o.Retention, now: time.Now, max: MaxRecords}
	if err := s.Prune(ctx); err != nil {
		s.db.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// Health says whether the store can be trusted with what it is given: it
// answers, it is still the file that was opened (not deleted or replaced
// under the server) and its last write did not fail.
func (s *Store) Health(ctx context.Context) error {
	if err := s.d.check(); err != nil {
		return err
	}
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("data store not answering: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.broken != "" {
		return fmt.Errorf("the last write failed: %s", s.broken)
	}
	return nil
}

// FailedWrites is how many writes failed since the store was opened.
func (s *Store) FailedWrites() int64 { return s.failed.Load() }

// exec runs a write, after checking that the file is still the one opened,
// and remembers whether it failed.
func (s *Store) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if err := s.d.check(); err != nil {
		s.wrote(err)
		return nil, err
	}
	res, err := s.db.ExecContext(ctx, s.d.rebind(query), args...)
	s.wrote(err)
	return res, err
}

// wrote records how a write went.
func (s *Store) wrote(err error) {
	if err != nil && errors.Is(err, context.Canceled) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.failed.Add(1)
		if s.broken == "" {
			s.log.Error("data store: a write failed", "error", err)
		}
		s.broken = err.Error()
		return
	}
	s.broken = ""
}

// Prune deletes records older than the retention, the oldest records past
// MaxRecords and the ids past SeenWindow.
func (s *Store) Prune(ctx context.Context) error {
	cut := s.now().Add(-s.retention).UnixMilli()
	for _, t := range []string{"misses", "votes"} {
		if _, err := s.exec(ctx, "DELETE FROM "+t+" WHERE at < ?", cut); err != nil {
			return fmt.Errorf("prune %s: %w", t, err)
		}
		if err := s.trim(ctx, t); err != nil {
			return err
		}
	}
	return s.forgetOld(ctx)
}

// trim keeps the newest s.max records of a table.
func (s *Store) trim(ctx context.Context, table string) error {
	if _, err := s.exec(ctx, "DELETE FROM "+table+" WHERE id <= (SELECT MAX(id) FROM "+table+") - ?", s.max); err != nil {
		return fmt.Errorf("trim %s: %w", table, err)
	}
	return nil
}

// forgetOld deletes the ids seen before SeenWindow.
func (s *Store) forgetOld(ctx context.Context) error {
	if _, err := s.exec(ctx, "DELETE FROM seen WHERE at < ?", s.now().Add(-SeenWindow).UnixMilli()); err != nil {
		return fmt.Errorf("prune seen ids: %w", err)
	}
	return nil
}

// every counts a write and says whether it is time for housekeeping.
func (s *Store) every() bool { return s.writes.Add(1)%trimEvery == 0 }

// RecordMiss stores one question the bot could not answer with confidence.
func (s *Store) RecordMiss(ctx context.Context, m bot.Miss) error {
	_, err := s.exec(ctx,
		`INSERT INTO misses (at, question, norm, band, candidates, adapter, "user") VALUES (?, ?, ?, ?, ?, ?, ?)`,
		at(m.At, s.now).UnixMilli(), m.Question, knowledge.Fold(m.Question), string(m.Band), strings.Join(m.Candidates, " "), m.Adapter, m.User)
	if err != nil {
		return fmt.Errorf("record unanswered question: %w", err)
	}
	if s.every() {
		return s.trim(ctx, "misses")
	}
	return nil
}

// RecordVote stores one 👍 or 👎, in place of the voter's earlier vote on
// the same answer; with v.Undo it deletes the voter's vote instead.
func (s *Store) RecordVote(ctx context.Context, v bot.Vote) error {
	if v.Undo {
		if v.Voter == "" {
			return nil // nobody to take a vote back from
		}
		if _, err := s.exec(ctx, "DELETE FROM votes WHERE voter = ? AND entry = ? AND question = ?", v.Voter, v.EntryID, v.Question); err != nil {
			return fmt.Errorf("take back feedback: %w", err)
		}
		return nil
	}
	up := 0
	if v.Up {
		up = 1
	}
	_, err := s.exec(ctx, `
		INSERT INTO votes (at, question, entry, up, adapter, "user", voter) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (voter, entry, question) WHERE voter <> ''
		DO UPDATE SET at = excluded.at, up = excluded.up, adapter = excluded.adapter, "user" = excluded."user"`,
		at(v.At, s.now).UnixMilli(), v.Question, v.EntryID, up, v.Adapter, v.User, v.Voter)
	if err != nil {
		return fmt.Errorf("record feedback: %w", err)
	}
	if s.every() {
		return s.trim(ctx, "votes")
	}
	return nil
}

// First records that the id (a Slack event id, a Teams activity id, with
// a prefix of its platform) was handled, and reports whether it was the
// first time within SeenWindow. It is one unique insert, so that of two
// replicas given the same event, one alone handles it.
func (s *Store) First(ctx context.Context, id string) (bool, error) {
	res, err := s.exec(ctx, "INSERT INTO seen (key, at) VALUES (?, ?) ON CONFLICT (key) DO NOTHING", id, s.now().UnixMilli())
	if err != nil {
		return false, fmt.Errorf("record id seen: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("record id seen: %w", err)
	}
	if n == 0 {
		// Seen, but maybe longer ago than the window and not pruned
		// yet: then it is new again.
		res, err := s.exec(ctx, "UPDATE seen SET at = ? WHERE key = ? AND at < ?", s.now().UnixMilli(), id, s.now().Add(-SeenWindow).UnixMilli())
		if err != nil {
			return false, fmt.Errorf("record id seen: %w", err)
		}
		if n, err = res.RowsAffected(); err != nil {
			return false, fmt.Errorf("record id seen: %w", err)
		}
	}
	if s.every() {
		if err := s.forgetOld(ctx); err != nil {
			s.log.Warn("data store: prune seen ids", "error", err)
		}
	}
	return n == 1, nil
}

// Forget drops an id recorded by First, when its work could not be taken
// and the platform is asked to send it again.
func (s *Store) Forget(ctx context.Context, id string) error {
	if _, err := s.exec(ctx, "DELETE FROM seen WHERE key = ?", id); err != nil {
		return fmt.Errorf("forget id seen: %w", err)
	}
	return nil
}

func at(t time.Time, now func() time.Time) time.Time {
	if t.IsZero() {
		return now()
	}
	return t
}

// Unanswered is one question the bot could not answer, with how often it was
// asked.
type Unanswered struct {
	Question   string         `json:"question"`
	Count      int            `json:"count"`
	Band       knowledge.Band `json:"band"`
	Candidates []string       `json:"candidates"`
	Adapters   []string       `json:"adapters"`
	First      time.Time      `json:"first"`
	Last       time.Time      `json:"last"`
}

// Unanswered lists the questions asked since the given time that the bot
// could not answer, most frequent first.
func (s *Store) Unanswered(ctx context.Context, since time.Time) ([]Unanswered, error) {
	rows, err := s.db.QueryContext(ctx, s.d.rebind(`
		SELECT norm, COUNT(*), MIN(at), MAX(at),
			(SELECT question FROM misses m2 WHERE m2.norm = m.norm ORDER BY at DESC LIMIT 1),
			(SELECT band FROM misses m2 WHERE m2.norm = m.norm ORDER BY at DESC LIMIT 1),
			(SELECT candidates FROM misses m2 WHERE m2.norm = m.norm ORDER BY at DESC LIMIT 1),
			`+s.d.distinctList("adapter")+`
		FROM misses m WHERE at >= ? GROUP BY norm ORDER BY COUNT(*) DESC, MAX(at) DESC`), since.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("list unanswered questions: %w", err)
	}
	defer rows.Close()
	out := []Unanswered{}
	for rows.Next() {
		var u Unanswered
		var norm, band, cands, adapters string
		var first, last int64
		if err := rows.Scan(&norm, &u.Count, &first, &last, &u.Question, &band, &cands, &adapters); err != nil {
			return nil, fmt.Errorf("list unanswered questions: %w", err)
		}
		u.Band = knowledge.Band(band)
		u.Candidates = strings.Fields(cands)
		u.Adapters = strings.Split(adapters, ",")
		u.First, u.Last = time.UnixMilli(first).UTC(), time.UnixMilli(last).UTC()
		out = append(out, u)
	}
	return out, rows.Err()
}

// FeedbackCount is the votes on one entry.
type FeedbackCount struct {
	EntryID string `json:"entry"`
	Up      int    `json:"up"`
	Down    int    `json:"down"`
	// Downvoted are the questions whose answer got a 👎, most frequent first.
	Downvoted []string `json:"downvoted,omitempty"`
}

// Feedback lists the votes per entry since the given time, the most
// down-voted first.
func (s *Store) Feedback(ctx context.Context, since time.Time) ([]FeedbackCount, error) {
	rows, err := s.db.QueryContext(ctx, s.d.rebind(`
		SELECT entry, SUM(up), SUM(1 - up) FROM votes WHERE at >= ?
		GROUP BY entry ORDER BY SUM(1 - up) DESC, entry`), since.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("list feedback: %w", err)
	}
	out := []FeedbackCount{}
	for rows.Next() {
		var f FeedbackCount
		if err := rows.Scan(&f.EntryID, &f.Up, &f.Down); err != nil {
			rows.Close()
			return nil, fmt.Errorf("list feedback: %w", err)
		}
		out = append(out, f)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list feedback: %w", err)
	}
	for i := range out {
		q, err := s.db.QueryContext(ctx, s.d.rebind(`
			SELECT MAX(question) FROM votes WHERE at >= ? AND entry = ? AND up = 0
			GROUP BY lower(question) ORDER BY COUNT(*) DESC LIMIT 5`), since.UnixMilli(), out[i].EntryID)
		if err != nil {
			return nil, fmt.Errorf("list feedback: %w", err)
		}
		for q.Next() {
			var question string
			if err := q.Scan(&question); err == nil {
				out[i].Downvoted = append(out[i].Downvoted, question)
			}
		}
		q.Close()
	}
	return out, nil
}
