// Package store keeps what mmdbot could not answer and the feedback on its
// answers, in an embedded SQLite database (modernc.org/sqlite: pure Go, so the
// binary stays static). It implements bot.Journal; a server database can
// replace it behind that interface.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // the database/sql driver "sqlite"

	"github.com/mmdbot/mmdbot/bot"
	"github.com/mmdbot/mmdbot/knowledge"
)

// DefaultRetention is how long records are kept when no retention is given.
const DefaultRetention = 90 * 24 * time.Hour

// MaxRecords bounds each table: past it, the oldest records go first, so
// that questions sent in a flood cannot fill the disk.
const MaxRecords = 100_000

// trimEvery is how many writes pass between two checks of MaxRecords.
const trimEvery = 512

// Store is a SQLite journal. It is safe for concurrent use.
type Store struct {
	db        *sql.DB
	retention time.Duration
	now       func() time.Time
	max       int64
	writes    atomic.Int64
}

const schema = `
CREATE TABLE IF NOT EXISTS misses (
	id INTEGER PRIMARY KEY,
	at INTEGER NOT NULL,
	question TEXT NOT NULL,
	norm TEXT NOT NULL,
	band TEXT NOT NULL,
	candidates TEXT NOT NULL,
	adapter TEXT NOT NULL,
	user TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS misses_at ON misses(at);
CREATE TABLE IF NOT EXISTS votes (
	id INTEGER PRIMARY KEY,
	at INTEGER NOT NULL,
	question TEXT NOT NULL,
	entry TEXT NOT NULL,
	up INTEGER NOT NULL,
	adapter TEXT NOT NULL,
	user TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS votes_at ON votes(at);
`

// voterSchema keeps one vote per voter per answer (entry and question);
// votes without a voter stand alone. A database made before voters were
// kept gains the column (ALTER TABLE fails on one that has it).
const (
	voterColumn = `ALTER TABLE votes ADD COLUMN voter TEXT NOT NULL DEFAULT ''`
	voterIndex  = `CREATE UNIQUE INDEX IF NOT EXISTS votes_voter ON votes(voter, entry, question) WHERE voter != ''`
)

// Open opens (creating if need be) the database at path and prunes records
// older than retention (DefaultRetention when zero).
func Open(ctx context.Context, path string, retention time.Duration) (*Store, error) {
	if strings.TrimSpace(path) == "" {
		return nil, errors.New("open data store: no file name given")
	}
	// The path goes into a file: URL; escape it so that "#" or "?" in a
	// file name stay part of the name. A writer waits at most a quarter of
	// a second for another: recording must never hold up an answer.
	dsn := (&url.URL{Scheme: "file", OmitHost: true, Path: path,
		RawQuery: "_pragma=busy_timeout(250)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)"}).String()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open data store %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("open data store %s: %w", path, err)
	}
	if err := addVoter(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("open data store %s: %w", path, err)
	}
	if retention <= 0 {
		retention = DefaultRetention
	}
	s := &Store{db: db, retention: retention, now: time.Now, max: MaxRecords}
	if err := s.Prune(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// addVoter adds the voter column and its unique index, unless there.
func addVoter(ctx context.Context, db *sql.DB) error {
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM pragma_table_info('votes') WHERE name = 'voter'`).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		if _, err := db.ExecContext(ctx, voterColumn); err != nil {
			return err
		}
	}
	_, err := db.ExecContext(ctx, voterIndex)
	return err
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// Prune deletes records older than the retention, and the oldest records
// past MaxRecords.
func (s *Store) Prune(ctx context.Context) error {
	cut := s.now().Add(-s.retention).UnixMilli()
	for _, t := range []string{"misses", "votes"} {
		if _, err := s.db.ExecContext(ctx, "DELETE FROM "+t+" WHERE at < ?", cut); err != nil {
			return fmt.Errorf("prune %s: %w", t, err)
		}
		if err := s.trim(ctx, t); err != nil {
			return err
		}
	}
	return nil
}

// trim keeps the newest s.max records of a table.
func (s *Store) trim(ctx context.Context, table string) error {
	if _, err := s.db.ExecContext(ctx, "DELETE FROM "+table+" WHERE id <= (SELECT MAX(id) FROM "+table+") - ?", s.max); err != nil {
		return fmt.Errorf("trim %s: %w", table, err)
	}
	return nil
}

// wrote counts a write to table and trims it now and then.
func (s *Store) wrote(ctx context.Context, table string) error {
	if s.writes.Add(1)%trimEvery != 0 {
		return nil
	}
	return s.trim(ctx, table)
}

// RecordMiss stores one question the bot could not answer with confidence.
func (s *Store) RecordMiss(ctx context.Context, m bot.Miss) error {
	_, err := s.db.ExecContext(ctx,
		"INSERT INTO misses (at, question, norm, band, candidates, adapter, user) VALUES (?, ?, ?, ?, ?, ?, ?)",
		at(m.At, s.now).UnixMilli(), m.Question, normalize(m.Question), string(m.Band), strings.Join(m.Candidates, " "), m.Adapter, m.User)
	if err != nil {
		return fmt.Errorf("record unanswered question: %w", err)
	}
	return s.wrote(ctx, "misses")
}

// RecordVote stores one 👍 or 👎, in place of the voter's earlier vote on
// the same answer; with v.Undo it deletes the voter's vote instead.
func (s *Store) RecordVote(ctx context.Context, v bot.Vote) error {
	if v.Undo {
		if v.Voter == "" {
			return nil // nobody to take a vote back from
		}
		if _, err := s.db.ExecContext(ctx, "DELETE FROM votes WHERE voter = ? AND entry = ? AND question = ?", v.Voter, v.EntryID, v.Question); err != nil {
			return fmt.Errorf("take back feedback: %w", err)
		}
		return nil
	}
	up := 0
	if v.Up {
		up = 1
	}
	_, err := s.db.ExecContext(ctx, `
		INSERT INTO votes (at, question, entry, up, adapter, user, voter) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (voter, entry, question) WHERE voter != '' DO UPDATE SET at = excluded.at, up = excluded.up, adapter = excluded.adapter, user = excluded.user`,
		at(v.At, s.now).UnixMilli(), v.Question, v.EntryID, up, v.Adapter, v.User, v.Voter)
	if err != nil {
		return fmt.Errorf("record feedback: %w", err)
	}
	return s.wrote(ctx, "votes")
}

func at(t time.Time, now func() time.Time) time.Time {
	if t.IsZero() {
		return now()
	}
	return t
}

// normalize folds a question so that the same question typed twice counts
// once: lower case, single spaces, no trailing punctuation.
func normalize(q string) string {
	q = strings.ToLower(strings.Join(strings.Fields(q), " "))
	return strings.TrimRight(q, " ?!.,;:")
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
	rows, err := s.db.QueryContext(ctx, `
		SELECT norm, COUNT(*), MIN(at), MAX(at),
			(SELECT question FROM misses m2 WHERE m2.norm = m.norm ORDER BY at DESC LIMIT 1),
			(SELECT band FROM misses m2 WHERE m2.norm = m.norm ORDER BY at DESC LIMIT 1),
			(SELECT candidates FROM misses m2 WHERE m2.norm = m.norm ORDER BY at DESC LIMIT 1),
			GROUP_CONCAT(DISTINCT adapter)
		FROM misses m WHERE at >= ? GROUP BY norm ORDER BY COUNT(*) DESC, MAX(at) DESC`, since.UnixMilli())
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
	rows, err := s.db.QueryContext(ctx, `
		SELECT entry, SUM(up), SUM(1 - up) FROM votes WHERE at >= ?
		GROUP BY entry ORDER BY SUM(1 - up) DESC, entry`, since.UnixMilli())
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
		q, err := s.db.QueryContext(ctx, `
			SELECT question FROM votes WHERE at >= ? AND entry = ? AND up = 0
			GROUP BY lower(question) ORDER BY COUNT(*) DESC LIMIT 5`, since.UnixMilli(), out[i].EntryID)
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
