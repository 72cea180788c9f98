package bot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/mmdbot/mmdbot/knowledge"
)

// Miss is a question the bot could not answer with confidence.
type Miss struct {
	Question string
	Band     knowledge.Band
	// Candidates are the entries offered as "did you mean", best first;
	// none for an "I don't know", whose closest entries fit too badly to
	// mean anything.
	Candidates []string
	Adapter    string
	User       string // empty unless users are recorded
	At         time.Time
}

// Vote is a 👍 or 👎 on an answer: the entry given to a question. A
// person has one vote per answer: a later vote replaces theirs, and Undo
// takes it back.
type Vote struct {
	Question string
	EntryID  string
	Up       bool
	// Undo takes back the voter's vote on the answer, and records none.
	Undo    bool
	Adapter string
	User    string // empty unless users are recorded
	// Voter stands for the person who voted, whether or not users are
	// recorded: a one-way digest of adapter and user id (see Voter), or
	// "" when the adapter knows no one (each vote then stands alone).
	Voter string
	At    time.Time
}

// Voter is the pseudonym that keeps one vote per person per answer: a
// SHA-256 digest of the adapter and the user id, from which the id cannot
// be read back.
func Voter(adapter, user string) string {
	sum := sha256.Sum256([]byte(adapter + "\x00" + user))
	return hex.EncodeToString(sum[:16])
}

// Journal records what the bot could not answer and what people thought of
// its answers, for whoever curates the knowledge. The store package has the
// SQLite implementation.
type Journal interface {
	RecordMiss(ctx context.Context, m Miss) error
	RecordVote(ctx context.Context, v Vote) error
}

// NopJournal records nothing.
type NopJournal struct{}

// RecordMiss does nothing.
func (NopJournal) RecordMiss(context.Context, Miss) error { return nil }

// RecordVote does nothing.
func (NopJournal) RecordVote(context.Context, Vote) error { return nil }

// Telemetry receives counts of what happens, for metrics. Adapters report
// refused requests through it too.
type Telemetry interface {
	// Question counts one answered question and how long it took.
	Question(adapter string, band knowledge.Band, latency time.Duration)
	// Vote counts one 👍 (up) or 👎.
	Vote(adapter string, up bool)
	// Refused counts a request an adapter refused, and why ("signature",
	// "stale", "token", "too-large", …).
	Refused(adapter, reason string)
	// JournalFailed counts a journal write that failed ("miss", "vote").
	JournalFailed(op string)
}

// NopTelemetry counts nothing.
type NopTelemetry struct{}

// Question does nothing.
func (NopTelemetry) Question(string, knowledge.Band, time.Duration) {}

// Vote does nothing.
func (NopTelemetry) Vote(string, bool) {}

// Refused does nothing.
func (NopTelemetry) Refused(string, string) {}

// JournalFailed does nothing.
func (NopTelemetry) JournalFailed(string) {}
