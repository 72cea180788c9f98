package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/mmdbot/mmdbot/outbox"
)

// The outbox: one row per reply owed, claimed by a replica with a lease.

const outboxColumns = "id, dedup_key, platform, kind, target, payload, progress, attempts, created, next_at, deadline, last_error"

// Owe stores a reply to deliver and returns its id; a reply whose Key is
// stored already is not stored again (id 0).
func (s *Store) Owe(ctx context.Context, r outbox.Reply) (int64, error) {
	var key any
	if r.Key != "" {
		key = r.Key
	}
	deadline := int64(0)
	if !r.Deadline.IsZero() {
		deadline = r.Deadline.UnixMilli()
	}
	if err := s.d.check(); err != nil {
		s.wrote(err)
		return 0, fmt.Errorf("store a reply owed: %w", err)
	}
	var id int64
	err := s.db.QueryRowContext(ctx, s.d.rebind(`INSERT INTO outbox (dedup_key, platform, kind, target, payload, progress, attempts, created, next_at, deadline, last_error)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '') ON CONFLICT (dedup_key) DO NOTHING RETURNING id`),
		key, r.Platform, r.Kind, r.Target, r.Payload, r.Progress, r.Attempts,
		at(r.Created, s.now).UnixMilli(), at(r.Next, s.now).UnixMilli(), deadline).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		s.wrote(nil)
		return 0, nil
	}
	s.wrote(err)
	if err != nil {
		return 0, fmt.Errorf("store a reply owed: %w", err)
	}
	return id, nil
}

// Claim leases up to n replies due at now to owner until now+lease.
func (s *Store) Claim(ctx context.Context, owner string, now time.Time, lease time.Duration, n int) ([]outbox.Reply, error) {
	if err := s.d.check(); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, s.d.rebind(s.d.claim()), owner, now.Add(lease).UnixMilli(), now.UnixMilli(), now.UnixMilli(), n)
	if err != nil {
		s.wrote(err)
		return nil, fmt.Errorf("claim replies owed: %w", err)
	}
	defer rows.Close()
	var out []outbox.Reply
	for rows.Next() {
		r, err := scanReply(rows)
		if err != nil {
			return nil, fmt.Errorf("claim replies owed: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		s.wrote(err)
		return nil, fmt.Errorf("claim replies owed: %w", err)
	}
	return out, nil
}

func scanReply(rows *sql.Rows) (outbox.Reply, error) {
	var (
		r                       outbox.Reply
		key                     sql.NullString
		created, next, deadline int64
	)
	if err := rows.Scan(&r.ID, &key, &r.Platform, &r.Kind, &r.Target, &r.Payload, &r.Progress, &r.Attempts, &created, &next, &deadline, &r.LastError); err != nil {
		return r, err
	}
	r.Key = key.String
	r.Created, r.Next = time.UnixMilli(created), time.UnixMilli(next)
	if deadline != 0 {
		r.Deadline = time.UnixMilli(deadline)
	}
	return r, nil
}

// Done deletes a delivered (or finally failed) reply.
func (s *Store) Done(ctx context.Context, id int64, owner string) error {
	if _, err := s.exec(ctx, "DELETE FROM outbox WHERE id = ? AND owner = ?", id, owner); err != nil {
		return fmt.Errorf("delete a reply delivered: %w", err)
	}
	return nil
}

// Retry records a failed attempt and the next, and releases the lease.
func (s *Store) Retry(ctx context.Context, r outbox.Reply, owner string) error {
	_, err := s.exec(ctx, `UPDATE outbox SET progress = ?, attempts = ?, next_at = ?, last_error = ?, owner = '', lease_until = 0
		WHERE id = ? AND owner = ?`, r.Progress, r.Attempts, r.Next.UnixMilli(), r.LastError, r.ID, owner)
	if err != nil {
		return fmt.Errorf("record a retry: %w", err)
	}
	return nil
}

// Pending counts the replies not delivered yet.
func (s *Store) Pending(ctx context.Context) (int, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM outbox").Scan(&n); err != nil {
		return 0, fmt.Errorf("count replies owed: %w", err)
	}
	return n, nil
}

// Due counts the replies whose next attempt is due by then.
func (s *Store) Due(ctx context.Context, by time.Time) (int, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, s.d.rebind("SELECT COUNT(*) FROM outbox WHERE next_at <= ?"), by.UnixMilli()).Scan(&n); err != nil {
		return 0, fmt.Errorf("count replies due: %w", err)
	}
	return n, nil
}
