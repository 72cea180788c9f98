// Package bot is mmdbot's brain and its only door: every adapter hands it
// what arrives (a message, a pressed button, text typed in a search box) and
// gets back a platform-neutral Reply.
//
// A message flows like this:
//
//	Slack / Teams / web / CLI adapter
//	    │  Message{Text, User, Conversation, Via, Adapter}
//	    ▼
//	Bot.Handle ── parse: strip mentions, find the intent (help, table,
//	    │         list <owner>, show <id>, small talk, or a question)
//	    │── question ──► knowledge.Base.Search ──► ranked matches, band
//	    │                 (counted; misses go to the Journal)
//	    ▼
//	Reply{Kind, Answer, Also, Alternatives, Groups, Commands, Text, Hint, Actions}
//	    │
//	    ▼
//	adapter renders it: Block Kit, Adaptive Card, HTML, text or JSON
//
// Bot.Act takes a pressed button (an Action the reply offered), Bot.Search
// what is typed in a search box, Bot.Welcome a new conversation: each is
// counted and journalled as Handle does. The sentences every renderer shows
// (say.go), the actions (action.go), grouping by owner and the paginator
// (page.go) are here, once; renderers only lay them out. The bot knows
// nothing of chat platforms; adapters never decide what to answer, only how
// it looks.
package bot

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/mmdbot/mmdbot/internal/mention"
	"github.com/mmdbot/mmdbot/knowledge"
)

// MaxQuestion is the longest question, in characters, the bot reads.
const MaxQuestion = 2000

// journalTimeout bounds one write to the journal.
const journalTimeout = time.Second

// Handler answers one message, the way net/http's Handler answers one
// request: Bot implements it, middleware wraps it, and each adapter's
// interface of what it asks of the bot starts with it.
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
	// Pseudonym turns a user id into what the journal keeps of the person
	// with unanswered questions and votes: a one-way, salted digest, so
	// that how many people asked can be counted and who asked cannot be
	// read back. Nil: Voter, unsalted.
	Pseudonym func(adapter, user string) string
	// Now tells the time (tests set it).
	Now func() time.Time
	// Freshness, if set, tells how current the knowledge is against its
	// published page; every reply carries it.
	Freshness func() Freshness
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
	if opts.Pseudonym == nil {
		opts.Pseudonym = Voter
	}
	b := &Bot{opts: opts}
	b.kb.Store(kb)
	return b
}

// Knowledge returns the knowledge the bot answers from now.
func (b *Bot) Knowledge() *knowledge.Base { return b.kb.Load() }

// SetKnowledge replaces the knowledge; messages in flight finish with the old.
func (b *Bot) SetKnowledge(kb *knowledge.Base) { b.kb.Store(kb) }

// Source is the page the knowledge comes from: its title, address and date,
// and how current the knowledge is against it when that is checked.
func (b *Bot) Source() knowledge.Page {
	p := b.kb.Load().Page()
	if b.opts.Freshness != nil {
		p.Freshness = b.opts.Freshness().Sentence()
	}
	return p
}

// Refused counts a request an adapter refused, and why ("signature",
// "stale", "token", "too-large", …).
func (b *Bot) Refused(adapter, reason string) { b.opts.Telemetry.Refused(adapter, reason) }

// Handle answers one message. "No match" is a reply (KindUnknown), not an
// error; the error is for a message that cannot be read at all, and even then
// the Reply (KindError) carries a safe sentence to show. Every question is
// counted, and journalled when it is not answered.
func (b *Bot) Handle(ctx context.Context, m Message) (Reply, error) {
	start := b.opts.Now()
	kb := b.kb.Load()
	if r, err := b.unreadable(kb, m.Text); err != nil {
		return r, err
	}
	p := Parse(clean(m.Text))
	var r Reply
	switch p.Intent {
	case IntentHelp:
		r = b.help(kb, "")
	case IntentSmallTalk:
		r = b.help(kb, smallTalkReply(p.Question))
	case IntentTable:
		r = b.table(kb)
	case IntentList:
		r = b.table(kb, p.Owner)
		r.Intent = IntentList
	case IntentShow:
		r = b.show(kb, p.Arg)
	case IntentError:
		r = b.errorReply(kb, p.Problem)
	default:
		r = b.ask(kb, p.Question)
	}
	r.Question = p.Question
	if r.Intent == "" {
		r.Intent = p.Intent
	}
	b.observe(ctx, m, r, start)
	return b.fresh(r), nil
}

// unreadable returns the error reply to a text that cannot be read: not
// UTF-8, or too long.
func (b *Bot) unreadable(kb *knowledge.Base, text string) (Reply, error) {
	if !utf8.ValidString(text) {
		return b.errorReply(kb, "That message is not valid text."), ErrBadInput
	}
	if utf8.RuneCountInString(text) > MaxQuestion {
		return b.errorReply(kb, fmt.Sprintf("That message is too long: ask in at most %d characters.", MaxQuestion)), ErrBadInput
	}
	return Reply{}, nil
}

// observe counts, journals and logs one reply: a question (asked or
// searched) is counted by band and journalled when not answered; anything
// else is logged as a command.
func (b *Bot) observe(ctx context.Context, m Message, r Reply, start time.Time) {
	elapsed := b.opts.Now().Sub(start)
	if r.Intent != IntentAsk && r.Intent != IntentSearch {
		b.opts.Logger.LogAttrs(ctx, slog.LevelInfo, "command",
			slog.String("adapter", m.Adapter), slog.String("via", string(m.Via)),
			slog.String("intent", string(r.Intent)), slog.Duration("latency", elapsed))
		return
	}
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
}

// Act does what a pressed button asks (see Action): shows an entry, asks a
// question or runs a command again, or records a vote and thanks for it.
// A button whose data cannot be an action of mmdbot's (no entry, an id or
// question too long) gets ErrBadInput and an error reply the adapter may
// leave unsaid.
func (b *Bot) Act(ctx context.Context, m Message, a Action) (Reply, error) {
	start := b.opts.Now()
	kb := b.kb.Load()
	if !utf8.ValidString(a.ID) || len(a.ID) > maxID || len(a.Question) > 4*MaxQuestion {
		return b.errorReply(kb, "That button cannot be read."), ErrBadInput
	}
	switch a.Kind {
	case ActShow:
		if a.ID == "" {
			break
		}
		r := b.show(kb, a.ID)
		if a.Question != "" {
			r.Question = a.Question
		}
		b.observe(ctx, m, r, start)
		return b.fresh(r), nil
	case ActAsk, ActRun, ActShare:
		if a.Text == "" {
			break
		}
		m.Text = a.Text
		if m.Via == "" && a.Kind != ActAsk {
			m.Via = ViaCommand
		}
		r, err := b.Handle(ctx, m)
		if a.Question != "" && err == nil {
			r.Question = a.Question
		}
		return r, err
	case ActVote:
		if a.ID == "" {
			break
		}
		err := b.Feedback(ctx, Vote{Question: a.Question, EntryID: a.ID, Up: a.Up, Undo: a.Undo, Adapter: m.Adapter, User: m.User})
		return b.voted(kb, a, err), nil
	}
	return b.errorReply(kb, "That button cannot be read."), ErrBadInput
}

// maxID is the longest entry id a button may carry.
const maxID = 200

// Search lists, for a search box that shows entries as one types (Teams'
// messaging extension), the entries that fit m.Text, best first, at most
// limit of them, each as the reply that shows it: the matcher's ranked
// matches, then type-ahead suggestions; every entry when nothing is typed
// yet. What is typed is a question: it is counted, and journalled when the
// matcher would not answer it.
func (b *Bot) Search(ctx context.Context, m Message, limit int) []Reply {
	start := b.opts.Now()
	kb := b.kb.Load()
	if _, err := b.unreadable(kb, m.Text); err != nil || limit <= 0 {
		return nil
	}
	text := mention.Strip(clean(m.Text))
	var found []*knowledge.Entry
	seen := map[string]bool{}
	add := func(e *knowledge.Entry) {
		if !seen[e.ID] {
			seen[e.ID] = true
			found = append(found, e)
		}
	}
	if text == "" {
		for _, e := range kb.Entries() {
			add(e)
		}
	} else {
		res := kb.Search(text)
		for _, mt := range res.Matches {
			add(mt.Entry)
		}
		for _, e := range kb.Suggest(text, limit) {
			add(e)
		}
		r := Reply{Intent: IntentSearch, Question: text, Band: res.Band, Confidence: res.Confidence}
		if res.Band == knowledge.BandSuggest {
			r.Alternatives = choicesOf(res.Matches[:res.Choices])
		}
		if res.Band == knowledge.BandAnswer {
			r.Answer = answerOf(kb, res.Matches[0])
		}
		b.observe(ctx, m, r, start)
	}
	out := make([]Reply, 0, min(limit, len(found)))
	for _, e := range found[:min(limit, len(found))] {
		out = append(out, b.fresh(b.show(kb, e.ID)))
	}
	return out
}

// Welcome is what the bot says when it meets someone (added to a
// conversation, or its home opened): the greeting, the help, and the whole
// table for a surface with room for it.
func (b *Bot) Welcome(ctx context.Context, m Message) Reply {
	start := b.opts.Now()
	kb := b.kb.Load()
	r := b.help(kb, Greeting)
	r.Intent = IntentWelcome
	r.Groups = GroupByOwner(kb.Entries())
	b.observe(ctx, m, r, start)
	return b.fresh(r)
}

// Show returns the answer for one entry by id ("customer/printing"); an
// unknown id gets the closest entries as choices, or "I don't know". It
// records nothing: a pressed button goes through Act.
func (b *Bot) Show(id string) Reply { return b.fresh(b.show(b.kb.Load(), id)) }

// Table returns the entries of the owners given (every owner when none is),
// grouped by owner, as the reply to "table" or "list <owner>" has them.
func (b *Bot) Table(owners ...knowledge.Owner) Reply {
	return b.fresh(b.table(b.kb.Load(), owners...))
}

// Feedback records a 👍 or 👎 on an answer, replacing the voter's earlier
// vote on it, or takes the vote back (Vote.Undo).
func (b *Bot) Feedback(ctx context.Context, v Vote) error {
	if v.At.IsZero() {
		v.At = b.opts.Now()
	}
	if v.User != "" {
		v.User = b.opts.Pseudonym(v.Adapter, v.User)
		if v.Voter == "" {
			v.Voter = v.User
		}
	}
	if !v.Undo {
		b.opts.Telemetry.Vote(v.Adapter, v.Up)
	}
	ctx, cancel := context.WithTimeout(ctx, journalTimeout)
	defer cancel()
	if err := b.opts.Journal.RecordVote(ctx, v); err != nil {
		b.opts.Telemetry.JournalFailed("vote")
		b.opts.Logger.LogAttrs(ctx, slog.LevelWarn, "record feedback", slog.String("error", err.Error()))
		return fmt.Errorf("record feedback: %w", err)
	}
	return nil
}
