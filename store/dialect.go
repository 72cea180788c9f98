package store

import (
	"database/sql"
	"strconv"
	"strings"
)

// dialect is what differs between the two databases.
type dialect interface {
	// handle is the database, migrated.
	handle() *sql.DB
	// rebind turns the ? placeholders of a query into the database's.
	rebind(query string) string
	// distinctList is the SQL aggregating the distinct values of a column
	// into a comma-separated list.
	distinctList(column string) string
	// claim is the query leasing due outbox rows: its arguments are the
	// owner, the lease's end, now (twice) and how many.
	claim() string
	// check says whether the database is still the one opened.
	check() error
}

// dollarPlaceholders turns ? into $1, $2, ... (no query of the store holds
// a literal question mark).
func dollarPlaceholders(q string) string {
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// migration is one version of the schema, for each database.
type migration struct {
	sqlite, postgres string
}

// migrations are the schema's versions, in order; each runs once, in a
// transaction, and is recorded in schema_migrations. Never edit one that
// has shipped: add another.
var migrations = []migration{
	// 1: the journal of unanswered questions and votes.
	{sqlite: `
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
CREATE INDEX IF NOT EXISTS votes_at ON votes(at);`,
		postgres: `
CREATE TABLE IF NOT EXISTS misses (
	id BIGSERIAL PRIMARY KEY,
	at BIGINT NOT NULL,
	question TEXT NOT NULL,
	norm TEXT NOT NULL,
	band TEXT NOT NULL,
	candidates TEXT NOT NULL,
	adapter TEXT NOT NULL,
	"user" TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS misses_at ON misses(at);
CREATE INDEX IF NOT EXISTS misses_norm ON misses(norm);
CREATE TABLE IF NOT EXISTS votes (
	id BIGSERIAL PRIMARY KEY,
	at BIGINT NOT NULL,
	question TEXT NOT NULL,
	entry TEXT NOT NULL,
	up INTEGER NOT NULL,
	adapter TEXT NOT NULL,
	"user" TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS votes_at ON votes(at);`},
	// 2: the ids seen (de-duplication by time) and the outbox.
	{sqlite: `
CREATE TABLE seen (key TEXT PRIMARY KEY, at INTEGER NOT NULL);
CREATE INDEX seen_at ON seen(at);
CREATE TABLE outbox (
	id INTEGER PRIMARY KEY,
	dedup_key TEXT UNIQUE,
	platform TEXT NOT NULL,
	kind TEXT NOT NULL,
	target BLOB NOT NULL,
	payload BLOB NOT NULL,
	progress INTEGER NOT NULL DEFAULT 0,
	attempts INTEGER NOT NULL DEFAULT 0,
	created INTEGER NOT NULL,
	next_at INTEGER NOT NULL,
	deadline INTEGER NOT NULL DEFAULT 0,
	owner TEXT NOT NULL DEFAULT '',
	lease_until INTEGER NOT NULL DEFAULT 0,
	last_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX outbox_due ON outbox(next_at, id);`,
		postgres: `
CREATE TABLE seen (key TEXT PRIMARY KEY, at BIGINT NOT NULL);
CREATE INDEX seen_at ON seen(at);
CREATE TABLE outbox (
	id BIGSERIAL PRIMARY KEY,
	dedup_key TEXT UNIQUE,
	platform TEXT NOT NULL,
	kind TEXT NOT NULL,
	target BYTEA NOT NULL,
	payload BYTEA NOT NULL,
	progress INTEGER NOT NULL DEFAULT 0,
	attempts INTEGER NOT NULL DEFAULT 0,
	created BIGINT NOT NULL,
	next_at BIGINT NOT NULL,
	deadline BIGINT NOT NULL DEFAULT 0,
	owner TEXT NOT NULL DEFAULT '',
	lease_until BIGINT NOT NULL DEFAULT 0,
	last_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX outbox_due ON outbox(next_at, id);`},
	// 3: one vote per voter per answer (entry and question): a voter's
	// change of mind replaces their vote. Votes without a voter (the web
	// page, the command line) stand alone.
	{sqlite: `
ALTER TABLE votes ADD COLUMN voter TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX votes_voter ON votes(voter, entry, question) WHERE voter <> '';`,
		postgres: `
ALTER TABLE votes ADD COLUMN voter TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX votes_voter ON votes(voter, entry, question) WHERE voter <> '';`},
	// 4: what admins decided on the review page (answers and out of scope
	// become examples the model learns from; dismissals only leave the
	// review), one per folded question, with the decision it replaced, for
	// an undo to bring back; the secrets the store keeps for
	// every replica (the salt of user pseudonyms); and the digests sent,
	// one per period, whichever replica sends it.
	{sqlite: `
CREATE TABLE decisions (
	id INTEGER PRIMARY KEY,
	norm TEXT NOT NULL UNIQUE,
	question TEXT NOT NULL,
	kind TEXT NOT NULL,
	entries TEXT NOT NULL DEFAULT '',
	side TEXT NOT NULL DEFAULT '',
	decided_by TEXT NOT NULL,
	at INTEGER NOT NULL,
	source TEXT NOT NULL DEFAULT 'review',
	previous TEXT NOT NULL DEFAULT ''
);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE digests (period TEXT PRIMARY KEY, at INTEGER NOT NULL);
CREATE INDEX misses_norm ON misses(norm);`,
		postgres: `
CREATE TABLE decisions (
	id BIGSERIAL PRIMARY KEY,
	norm TEXT NOT NULL UNIQUE,
	question TEXT NOT NULL,
	kind TEXT NOT NULL,
	entries TEXT NOT NULL DEFAULT '',
	side TEXT NOT NULL DEFAULT '',
	decided_by TEXT NOT NULL,
	at BIGINT NOT NULL,
	source TEXT NOT NULL DEFAULT 'review',
	previous TEXT NOT NULL DEFAULT ''
);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE digests (period TEXT PRIMARY KEY, at BIGINT NOT NULL);`},
}
