// Package bot is mmdbot's brain: it turns one incoming message into one
// platform-neutral Reply.
//
// A message flows like this:
//
//	Slack / Teams / web / CLI adapter
//	    │  Message{Text, User, Conversation, Via, Adapter}
//	    ▼
//	Bot.Handle ── parse: strip mentions, find the intent (help, table,
//	    │         list <owner>, show <id>, small talk, or a question)
//	    │── question ──► knowledge.Base.Search ──► ranked matches, band
//	    │                 (misses go to the Journal for the unanswered report)
//	    ▼
//	Reply{Kind, Answer, Also, Alternatives, Groups, Commands, Source}
//	    │
//	    ▼
//	adapter renders it: Block Kit, Adaptive Card, HTML, text or JSON
//
// The bot knows nothing of chat platforms; adapters never decide what to
// answer, only how it looks.
package bot

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/mmdbot/mmdbot/knowledge"
)

// MaxQuestion is the longest question, in characters, the bot reads.
const MaxQuestion = 2000

// journalTimeout bounds one write to the journal.
const journalTimeout = time.Second

// Handler answers one message. Bot implements it; middleware wraps it.
type Handler interface {
	Handle(ctx context.Context, m Message) (Reply, error)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, m Message) (Reply, error)

// Handle calls f.
func (f HandlerFunc) Handle(ctx context.Context, m Message) (Reply, error) { return f(ctx, m) }

// Options configure a Bot. Every field is optional.
type Options struct {
	// Journal records what the bot could not answer, and feedback.
	Journal Journal
	// Telemetry counts questions, votes and failures.
	Telemetry Telemetry
	// Logger receives one line per answered question.
	Logger *slog.Logger
	// RecordUsers keeps the user id with unanswered questions and votes.
	RecordUsers bool
	// Now tells the time (tests set it).
	Now func() time.Time
}

// Bot answers messages from a knowledge base. It is safe for concurrent use;
// the knowledge can be replaced while it runs (SetKnowledge).
type Bot struct {
	kb   atomic.Pointer[knowledge.Base]
	opts Options
}

// New returns a Bot answering from kb.
func New(kb *knowledge.Base, opts Options) *Bot {
	if opts.Journal == nil {
		opts.Journal = NopJournal{}
	}
	if opts.Telemetry == nil {
		opts.Telemetry = NopTelemetry{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	b := &Bot{opts: opts}
	b.kb.Store(kb)
	return b
}

// Knowledge returns the knowledge the bot answers from now.
func (b *Bot) Knowledge() *knowledge.Base { return b.kb.Load() }

// SetKnowledge replaces the knowledge; messages in flight finish with the old.
func (b *Bot) SetKnowledge(kb *knowledge.Base) { b.kb.Store(kb) }

// Telemetry returns the telemetry the bot reports to (never nil).
func (b *Bot) Telemetry() Telemetry { return b.opts.Telemetry }

// Handle answers one message. "No match" is a reply (KindUnknown), not an
// error; the error is for a message that cannot be read at all, and even then
// the Reply (KindError) carries a safe sentence to show.
func (b *Bot) Handle(ctx context.Context, m Message) (Reply, error) {
	start := b.opts.Now()
	kb := b.kb.Load()
	if !utf8.ValidString(m.Text) {
		return b.errorReply(kb, "That message is not valid text."), ErrBadInput
	}
	if utf8.RuneCountInString(m.Text) > MaxQuestion {
		return b.errorReply(kb, fmt.Sprintf("That message is too long: ask in at most %d characters.", MaxQuestion)), ErrBadInput
	}
	p := Parse(clean(m.Text))
	var r Reply
	switch p.Intent {
	case IntentHelp:
		r = b.help(kb, "")
	case IntentSmallTalk:
		r = b.help(kb, smallTalkReply(p.Question))
	case IntentTable:
		r = b.table(kb, knowledge.Owners...)
	case IntentList:
		r = b.table(kb, p.Owner)
		r.Intent = IntentList
	case IntentShow:
		r = b.Show(p.Arg)
	case IntentError:
		r = b.errorReply(kb, p.Problem)
		r.Intent = IntentError
	default:
		r = b.ask(kb, p.Question)
	}
	r.Question = p.Question
	if r.Intent == "" {
		r.Intent = p.Intent
	}
	elapsed := b.opts.Now().Sub(start)
	if r.Intent == IntentAsk {
		b.opts.Telemetry.Question(m.Adapter, r.Band, elapsed)
		if r.Band != knowledge.BandAnswer {
			b.recordMiss(ctx, m, r)
		}
		entry := ""
		if r.Answer != nil {
			entry = r.Answer.Entry.ID
		}
		b.opts.Logger.LogAttrs(ctx, slog.LevelInfo, "question",
			slog.String("adapter", m.Adapter), slog.String("via", string(m.Via)),
			slog.String("band", string(r.Band)), slog.String("entry", entry),
			slog.Float64("confidence", r.Confidence), slog.Duration("latency", elapsed))
	} else {
		b.opts.Logger.LogAttrs(ctx, slog.LevelInfo, "command",
			slog.String("adapter", m.Adapter), slog.String("via", string(m.Via)),
			slog.String("intent", string(r.Intent)), slog.Duration("latency", elapsed))
	}
	return r, nil
}

// clean replaces control characters (NUL and the like) by spaces: they are
// never part of a question, and must not reach the journal or a log.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) && r != '\n' && r != '\t' {
			return ' '
		}
		return r
	}, s)
}

// ErrBadInput is returned with a KindError reply for a message that cannot be
// read (invalid UTF-8, too long).
var ErrBadInput = fmt.Errorf("bad input")

func (b *Bot) errorReply(kb *knowledge.Base, text string) Reply {
	return Reply{Kind: KindError, Intent: IntentError, Text: text, Commands: Commands(), Source: kb.Page()}
}

func (b *Bot) recordMiss(ctx context.Context, m Message, r Reply) {
	miss := Miss{Question: r.Question, Band: r.Band, Adapter: m.Adapter, At: b.opts.Now()}
	if b.opts.RecordUsers {
		miss.User = m.User
	}
	for _, c := range r.Alternatives {
		miss.Candidates = append(miss.Candidates, c.ID)
	}
	// Recording is bounded in time: a busy store never holds up an answer.
	ctx, cancel := context.WithTimeout(ctx, journalTimeout)
	defer cancel()
	if err := b.opts.Journal.RecordMiss(ctx, miss); err != nil {
		b.opts.Telemetry.JournalFailed("miss")
		b.opts.Logger.LogAttrs(ctx, slog.LevelWarn, "record unanswered question", slog.String("error", err.Error()))
	}
}

func (b *Bot) ask(kb *knowledge.Base, q string) Reply {
	res := kb.Search(q)
	r := Reply{
		Kind:       KindUnknown,
		Intent:     IntentAsk,
		Band:       res.Band,
		Confidence: res.Confidence,
		Matches:    res.Matches,
		Source:     kb.Page(),
	}
	switch res.Band {
	case knowledge.BandAnswer:
		r.Kind = KindAnswer
		r.Answer = answerOf(kb, res.Matches[0])
		r.Answer.Side = res.Side
		if res.BothSides {
			// Both sides have a part: Microsoft's comes first, as on the
			// page, whichever scored a hair higher.
			r.Also = answerOf(kb, res.Matches[1])
			if r.Answer.Entry.Side != knowledge.SideMicrosoft {
				r.Answer, r.Also = r.Also, r.Answer
			}
		}
	case knowledge.BandSuggest:
		r.Kind = KindSuggest
		r.Text = "I'm not sure which of these you mean:"
		for _, m := range res.Matches[:res.Choices] {
			r.Alternatives = append(r.Alternatives, Choice{ID: m.Entry.ID, Title: m.Entry.Title, Owner: m.Entry.Owner, Score: m.Score})
		}
	default:
		r.Text = "I don't know who is responsible for that. Type \"table\" to see every responsibility, or \"help\" for what I can do."
		r.Commands = Commands()
	}
	return r
}

func answerOf(kb *knowledge.Base, m knowledge.Match) *Answer {
	a := NewAnswer(m.Entry, kb.Page())
	a.Score = m.Score
	return a
}

// Show returns the answer for one entry by id ("customer/printing"), as when
// a "did you mean" choice is picked. An unknown id gets the closest entries as
// choices, or "I don't know".
func (b *Bot) Show(id string) Reply {
	kb := b.kb.Load()
	if e, ok := kb.Entry(id); ok {
		return Reply{Kind: KindAnswer, Intent: IntentShow, Band: knowledge.BandAnswer, Confidence: 1,
			Answer: answerOf(kb, knowledge.Match{Entry: e}), Matches: []knowledge.Match{{Entry: e, Score: 0}}, Source: kb.Page()}
	}
	r := Reply{Kind: KindUnknown, Intent: IntentShow, Band: knowledge.BandUnknown, Source: kb.Page(),
		Text: fmt.Sprintf("There is no entry %q. Type \"table\" to see them all.", id), Commands: Commands()}
	if alts := kb.Suggest(id, MaxChoices); len(alts) > 0 {
		r.Kind, r.Band = KindSuggest, knowledge.BandSuggest
		r.Text = fmt.Sprintf("There is no entry %q. Did you mean:", id)
		for _, e := range alts {
			r.Alternatives = append(r.Alternatives, Choice{ID: e.ID, Title: e.Title, Owner: e.Owner})
		}
	}
	return r
}

// MaxChoices bounds the "did you mean" choices of a reply.
const MaxChoices = knowledge.MaxAlternatives

func (b *Bot) table(kb *knowledge.Base, owners ...knowledge.Owner) Reply {
	r := Reply{Kind: KindTable, Intent: IntentTable, Source: kb.Page()}
	for _, o := range owners {
		if es := kb.ByOwner(o); len(es) > 0 {
			r.Groups = append(r.Groups, Group{Owner: o, Entries: es})
		}
	}
	if len(r.Groups) == 0 {
		r.Text = "No entries."
	}
	return r
}

func (b *Bot) help(kb *knowledge.Base, greeting string) Reply {
	return Reply{Kind: KindHelp, Intent: IntentHelp, Text: greeting, Commands: Commands(), Source: kb.Page()}
}

// Feedback records a 👍 or 👎 on an answer.
func (b *Bot) Feedback(ctx context.Context, v Vote) error {
	if v.At.IsZero() {
		v.At = b.opts.Now()
	}
	if !b.opts.RecordUsers {
		v.User = ""
	}
	b.opts.Telemetry.Vote(v.Adapter, v.Up)
	ctx, cancel := context.WithTimeout(ctx, journalTimeout)
	defer cancel()
	if err := b.opts.Journal.RecordVote(ctx, v); err != nil {
		b.opts.Telemetry.JournalFailed("vote")
		b.opts.Logger.LogAttrs(ctx, slog.LevelWarn, "record feedback", slog.String("error", err.Error()))
		return fmt.Errorf("record feedback: %w", err)
	}
	return nil
}

// Summary is a one-line, plain-text summary of a reply: the notification text
// of a chat message, or a fallback where rich rendering fails.
func (r Reply) Summary() string {
	switch r.Kind {
	case KindAnswer:
		s := fmt.Sprintf("%s: %s", r.Answer.Entry.Owner.Label(), r.Answer.Entry.Title)
		if r.Also != nil {
			s += fmt.Sprintf("; %s: %s", r.Also.Entry.Owner.Label(), r.Also.Entry.Title)
		}
		return s
	case KindSuggest:
		var titles []string
		for _, c := range r.Alternatives {
			titles = append(titles, c.Title)
		}
		return "Did you mean: " + strings.Join(titles, ", ") + "?"
	case KindTable:
		n := 0
		for _, g := range r.Groups {
			n += len(g.Entries)
		}
		return fmt.Sprintf("Microsoft Managed Desktop responsibilities: %d entries", n)
	case KindHelp:
		if r.Text != "" {
			return r.Text
		}
		return "Ask me who is responsible for something in Microsoft Managed Desktop."
	}
	return r.Text
}
