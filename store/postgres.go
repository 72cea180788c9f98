package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib" // the database/sql driver "pgx"
)

// postgresDB is a PostgreSQL database shared by every replica: outbox rows
// are claimed with FOR UPDATE SKIP LOCKED, so that two replicas never take
// the same row, and a lease, so that a replica that dies has its rows taken
// over.
type postgresDB struct{ db *sql.DB }

func (d *postgresDB) handle() *sql.DB              { return d.db }
func (d *postgresDB) rebind(q string) string       { return dollarPlaceholders(q) }
func (d *postgresDB) distinctList(c string) string { return "string_agg(DISTINCT " + c + ", ',')" }
func (d *postgresDB) check() error                 { return nil }

func (d *postgresDB) claim() string {
	return `UPDATE outbox SET owner = ?, lease_until = ?
		WHERE id IN (SELECT id FROM outbox WHERE next_at <= ? AND lease_until <= ? ORDER BY next_at, id LIMIT ? FOR UPDATE SKIP LOCKED)
		RETURNING ` + outboxColumns
}

// isPostgres reports whether target is a PostgreSQL URL.
func isPostgres(target string) bool {
	return strings.HasPrefix(target, "postgres://") || strings.HasPrefix(target, "postgresql://")
}

// migrateLock serialises the migrations of replicas starting together.
const migrateLock = "SELECT pg_advisory_xact_lock(7262840617)"

// openPostgres connects to the database at url and migrates it. Errors
// never repeat the URL: it may hold a password.
func openPostgres(ctx context.Context, url string) (*postgresDB, error) {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return nil, fmt.Errorf("open PostgreSQL data store: the URL in MMD_DATABASE_URL does not parse")
	}
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(16)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open PostgreSQL data store: %w", err)
	}
	if err := migrate(ctx, db, func(m migration) string { return m.postgres }, migrateLock); err != nil {
		db.Close()
		return nil, fmt.Errorf("open PostgreSQL data store: %w", err)
	}
	return &postgresDB{db: db}, nil
}
