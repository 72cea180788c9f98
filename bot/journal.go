package bot

import (
	"context"
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

// Vote is a 👍 or 👎 on an answer.
type Vote struct {
	Question string
	EntryID  string
	Up       bool
	Adapter  string
	User     string // empty unless users are recorded
	At       time.Time
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
