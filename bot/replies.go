package bot

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"unicode"

	"github.com/mmdbot/mmdbot/knowledge"
)

// The replies the bot builds, one per intent. Each says what to answer and
// which actions it offers; none says how it looks.

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
// read (invalid UTF-8, too long), or a button whose data is not mmdbot's.
var ErrBadInput = fmt.Errorf("bad input")

func (b *Bot) errorReply(kb *knowledge.Base, text string) Reply {
	return Reply{Kind: KindError, Intent: IntentError, Text: text, Actions: []Action{runTable, runHelp}, Source: kb.Page()}
}

func (b *Bot) recordMiss(ctx context.Context, m Message, r Reply) {
	miss := Miss{Question: r.Question, Band: r.Band, Adapter: m.Adapter, At: b.opts.Now()}
	if m.User != "" {
		miss.User = b.opts.Pseudonym(m.Adapter, m.User)
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
		r.Actions = votes(r.Answer.Entry.ID, q)
	case knowledge.BandSuggest:
		r.Kind = KindSuggest
		r.Text = NotSure
		r.Alternatives = choicesOf(res.Matches[:res.Choices])
		r.Actions = showChoices(r.Alternatives, q)
	default:
		r.Text, r.Hint = DontKnow, hintTable
		r.Actions = []Action{runTable, runHelp}
	}
	return r
}

// voted is the answer a vote was on, shown again with the vote
// acknowledged: the thanks in place of its 👍/👎 and an undo; after an
// undo, the 👍/👎 again. The answer is the one the question gets, when it
// still names the entry, or else the entry alone. An entry gone since
// (the knowledge reloaded) leaves only the thanks.
func (b *Bot) voted(kb *knowledge.Base, a Action, err error) Reply {
	r := b.show(kb, a.ID)
	if a.Question != "" {
		if q := b.ask(kb, a.Question); q.Kind == KindAnswer && (q.Answer.Entry.ID == a.ID || (q.Also != nil && q.Also.Entry.ID == a.ID)) {
			r = q
		}
	}
	if r.Kind != KindAnswer {
		return Reply{Kind: KindThanks, Intent: IntentVote, Question: a.Question, Text: Thanks(a.Up, err), Source: kb.Page()}
	}
	r.Intent, r.Question = IntentVote, a.Question
	switch {
	case err != nil:
		r.Text, r.Actions = Thanks(a.Up, err), votes(a.ID, a.Question)
	case a.Undo:
		r.Actions = votes(a.ID, a.Question)
	default:
		r.Text, r.Actions = Thanks(a.Up, nil), []Action{undo(a.ID, a.Question)}
	}
	return r
}

// choicesOf are matches as "did you mean" choices.
func choicesOf(ms []knowledge.Match) []Choice {
	out := make([]Choice, 0, len(ms))
	for _, m := range ms {
		out = append(out, Choice{ID: m.Entry.ID, Title: m.Entry.Title, Owner: m.Entry.Owner, Score: m.Score})
	}
	return out
}

// showChoices are the actions that show each choice, for question q.
func showChoices(cs []Choice, q string) []Action {
	out := make([]Action, 0, len(cs))
	for _, c := range cs {
		out = append(out, Show(c.ID, c.Title, q))
	}
	return out
}

func answerOf(kb *knowledge.Base, m knowledge.Match) *Answer {
	a := NewAnswer(m.Entry, kb.Page())
	a.Score = m.Score
	return a
}

// show returns the answer for one entry by id ("customer/printing"), as when
// a "did you mean" choice is picked. An unknown id gets the closest entries
// as choices, or "I don't know".
func (b *Bot) show(kb *knowledge.Base, id string) Reply {
	if e, ok := kb.Entry(id); ok {
		return Reply{Kind: KindAnswer, Intent: IntentShow, Band: knowledge.BandAnswer, Confidence: 1,
			Answer: answerOf(kb, knowledge.Match{Entry: e}), Matches: []knowledge.Match{{Entry: e, Score: 0}},
			Actions: votes(e.ID, ""), Source: kb.Page()}
	}
	r := Reply{Kind: KindUnknown, Intent: IntentShow, Band: knowledge.BandUnknown, Source: kb.Page(),
		Text: noEntry(id), Hint: hintShow, Actions: []Action{runTable, runHelp}}
	if alts := kb.Suggest(id, MaxChoices); len(alts) > 0 {
		r.Kind, r.Band, r.Hint = KindSuggest, knowledge.BandSuggest, ""
		r.Text = noEntry(id) + " Did you mean:"
		for _, e := range alts {
			r.Alternatives = append(r.Alternatives, Choice{ID: e.ID, Title: e.Title, Owner: e.Owner})
		}
		r.Actions = showChoices(r.Alternatives, "")
	}
	return r
}

// MaxChoices bounds the "did you mean" choices of a reply.
const MaxChoices = knowledge.MaxAlternatives

func (b *Bot) table(kb *knowledge.Base, owners ...knowledge.Owner) Reply {
	r := Reply{Kind: KindTable, Intent: IntentTable, Source: kb.Page(), Groups: GroupByOwner(kb.Entries(), owners...)}
	if len(r.Groups) == 0 {
		r.Text = "No entries."
	}
	return r
}

func (b *Bot) help(kb *knowledge.Base, greeting string) Reply {
	return Reply{Kind: KindHelp, Intent: IntentHelp, Text: greeting, Commands: Commands(), Actions: []Action{runTable}, Source: kb.Page()}
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
		return fmt.Sprintf("%s: %d entries", TableTitle, n)
	case KindHelp:
		intro := strings.TrimSuffix(HelpIntro, ":") + "."
		switch {
		case r.Intent == IntentWelcome:
			return r.Text + ". " + intro
		case r.Text != "":
			return r.Text
		}
		return intro
	}
	return r.Sentence()
}
