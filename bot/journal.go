package bot

import (
	"bytes"
	"context"
	"crypto/hmac"
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
	// User is the pseudonym of who asked (Options.Pseudonym), never the
	// id itself; empty when the adapter knows no one.
	User string
	At   time.Time
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
	// User is the user id as the adapter gives it; the bot records only
	// its pseudonym (Options.Pseudonym).
	User string
	// Voter stands for the person who voted: their pseudonym, or "" when
	// the adapter knows no one (each vote then stands alone).
	Voter string
	At    time.Time
}

// Voter is the unsalted pseudonym of a person, for a bot given no other
// (Options.Pseudonym): a SHA-256 digest of the adapter and the user id.
// mmdbot serve salts it (a known id could otherwise be tried against it).
func Voter(adapter, user string) string {
	sum := sha256.Sum256([]byte(adapter + "\x00" + user))
	return hex.EncodeToString(sum[:16])
}

// Salted returns the pseudonym function of a salt: an HMAC-SHA256 of the
// adapter and the user id keyed by the salt, so that an id cannot be
// tried against it without the salt.
func Salted(salt []byte) func(adapter, user string) string {
	salt = bytes.Clone(salt)
	return func(adapter, user string) string {
		mac := hmac.New(sha256.New, salt)
		mac.Write([]byte(adapter + "\x00" + user))
		return hex.EncodeToString(mac.Sum(nil)[:16])
	}
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
