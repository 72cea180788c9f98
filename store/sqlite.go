package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"

	"modernc.org/sqlite" // the database/sql driver "sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// sqliteDB is the embedded SQLite file: one writer at a time, checked at
// start (PRAGMA quick_check) and at every write (still the file opened).
type sqliteDB struct {
	db   *sql.DB
	path string      // "" in memory
	id   os.FileInfo // the file as opened
}

func (d *sqliteDB) handle() *sql.DB              { return d.db }
func (d *sqliteDB) rebind(q string) string       { return q }
func (d *sqliteDB) distinctList(c string) string { return "GROUP_CONCAT(DISTINCT " + c + ")" }

func (d *sqliteDB) claim() string {
	return `UPDATE outbox SET owner = ?, lease_until = ?
		WHERE id IN (SELECT id FROM outbox WHERE next_at <= ? AND lease_until <= ? ORDER BY next_at, id LIMIT ?)
		RETURNING ` + outboxColumns
}

// check reports a file deleted or replaced since it was opened: SQLite
// would go on writing to the unlinked file, and everything written after
// would be lost at exit.
func (d *sqliteDB) check() error {
	if d.path == "" {
		return nil
	}
	fi, err := os.Stat(d.path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("data store file %s was deleted while in use: what is written now would be lost; restart mmdbot to create it again", d.path)
	case err != nil:
		return fmt.Errorf("data store file %s: %w", d.path, err)
	case !os.SameFile(fi, d.id):
		return fmt.Errorf("data store file %s was replaced while in use: restart mmdbot to open the new one", d.path)
	}
	return nil
}

// openSQLite opens the SQLite file at path (or Memory), migrated and
// checked. A corrupt file is moved aside, loudly, and a fresh one created.
func openSQLite(ctx context.Context, path string, log *slog.Logger) (*sqliteDB, error) {
	d, err := trySQLite(ctx, path)
	if err == nil || !corrupt(err) || path == Memory {
		return d, err
	}
	moved, merr := moveAside(path, time.Now())
	if merr != nil {
		return nil, fmt.Errorf("open data store %s: it is corrupt (%v), and cannot be moved aside: %w", path, err, merr)
	}
	log.Error("DATA STORE CORRUPT: moved aside, starting with an empty one; the old records are in the moved file",
		"file", path, "moved_to", moved, "error", err.Error())
	return trySQLite(ctx, path)
}

func trySQLite(ctx context.Context, path string) (*sqliteDB, error) {
	// The path goes into a file: URL; escape it so that "#" or "?" in a
	// file name stay part of the name. A writer waits at most a second for
	// another: recording must never hold up an answer for long.
	query := "_pragma=busy_timeout(1000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)"
	dsn := (&url.URL{Scheme: "file", OmitHost: true, Path: path, RawQuery: query}).String()
	if path == Memory {
		dsn = "file::memory:?_pragma=busy_timeout(1000)"
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open data store %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	d := &sqliteDB{db: db}
	fail := func(err error) (*sqliteDB, error) {
		db.Close()
		return nil, fmt.Errorf("open data store %s: %w", path, err)
	}
	if err := quickCheck(ctx, db); err != nil {
		return fail(err)
	}
	if err := migrate(ctx, db, func(m migration) string { return m.sqlite }, ""); err != nil {
		return fail(err)
	}
	if path != Memory {
		fi, err := os.Stat(path)
		if err != nil {
			return fail(err)
		}
		d.path, d.id = path, fi
	}
	return d, nil
}

// quickCheck runs PRAGMA quick_check: "ok", or what is wrong.
func quickCheck(ctx context.Context, db *sql.DB) error {
	rows, err := db.QueryContext(ctx, "PRAGMA quick_check")
	if err != nil {
		return err
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return err
		}
		if s != "ok" {
			problems = append(problems, s)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(problems) > 0 {
		return errCorrupt{strings.Join(problems, "; ")}
	}
	return nil
}

// errCorrupt is what quick_check found wrong.
type errCorrupt struct{ what string }

func (e errCorrupt) Error() string { return "database disk image is malformed: " + e.what }

// corrupt reports whether err says the file is not a sound SQLite database.
func corrupt(err error) bool {
	var ec errCorrupt
	if errors.As(err, &ec) {
		return true
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
			return true
		}
	}
	return false
}

// moveAside renames a corrupt file, and its write-ahead log, to
// path.corrupt-TIME, and returns the new name.
func moveAside(path string, now time.Time) (string, error) {
	to := path + ".corrupt-" + now.UTC().Format("20060102T150405Z")
	if err := os.Rename(path, to); err != nil {
		return "", err
	}
	for _, ext := range []string{"-wal", "-shm"} {
		if err := os.Rename(path+ext, to+ext); err != nil && !errors.Is(err, os.ErrNotExist) {
			return to, err
		}
	}
	return to, nil
}

// migrate brings the schema to the last version, in one transaction;
// lock, when set, is run first in it (PostgreSQL's advisory lock, so that
// replicas starting together migrate one after the other).
func migrate(ctx context.Context, db *sql.DB, sqlOf func(migration) string, lock string) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer tx.Rollback()
	if lock != "" {
		if _, err := tx.ExecContext(ctx, lock); err != nil {
			return fmt.Errorf("migrate: lock: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied BIGINT NOT NULL)"); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	var have int
	if err := tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations").Scan(&have); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if have > len(migrations) {
		return fmt.Errorf("migrate: the schema is at version %d, newer than this mmdbot knows (%d): run a newer mmdbot", have, len(migrations))
	}
	for v := have + 1; v <= len(migrations); v++ {
		if _, err := tx.ExecContext(ctx, sqlOf(migrations[v-1])); err != nil {
			return fmt.Errorf("migrate to version %d: %w", v, err)
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("INSERT INTO schema_migrations (version, applied) VALUES (%d, %d)", v, time.Now().UnixMilli())); err != nil {
			return fmt.Errorf("migrate to version %d: %w", v, err)
		}
	}
	return tx.Commit()
}
