package bot

import (
	"github.com/mmdbot/mmdbot/knowledge"
)

// MatchJSON is one ranked match in ReplyJSON.
type MatchJSON struct {
	ID    string          `json:"id"`
	Title string          `json:"title"`
	Owner knowledge.Owner `json:"owner"`
	Score float64         `json:"score"`
	URL   string          `json:"url"`
	// Side, on the answer's match, says which side does the part asked
	// about: "microsoft", "customer" or "both".
	Side string `json:"side,omitempty"`
}

// CommandJSON is one line of help in ReplyJSON.
type CommandJSON struct {
	Usage   string `json:"usage"`
	Summary string `json:"summary"`
}

// ReplyJSON is the JSON form of a reply to a question, the same for
// `mmdbot ask --json` and the web API's /api/ask.
type ReplyJSON struct {
	Question   string           `json:"question"`
	Intent     Intent           `json:"intent"`
	Answered   bool             `json:"answered"`
	Band       knowledge.Band   `json:"band,omitempty"`
	Confidence float64          `json:"confidence"`
	Matches    []MatchJSON      `json:"matches"`
	Answer     *knowledge.Entry `json:"answer,omitempty"`
	Also       *knowledge.Entry `json:"also,omitempty"`
	Choices    []MatchJSON      `json:"choices,omitempty"`
	// Entries are the entries of a table or listing, grouped by owner.
	Entries []*knowledge.Entry `json:"entries,omitempty"`
	// Commands are the help, for help and small talk.
	Commands []CommandJSON  `json:"commands,omitempty"`
	Text     string         `json:"text,omitempty"`
	Source   knowledge.Page `json:"source"`
	// Freshness says how current the source is, when checks are on.
	Freshness *FreshnessJSON `json:"freshness,omitempty"`
}

// FreshnessJSON is a reply's Freshness with its sentence.
type FreshnessJSON struct {
	Freshness
	Sentence string `json:"sentence"`
}

// JSON returns the JSON form of the reply. answered is true when the bot gives
// an answer or "did you mean" choices, false when it says it does not know
// (and for help, table and small talk, which answer no question).
func (r Reply) JSON() ReplyJSON {
	j := ReplyJSON{
		Question:   r.Question,
		Intent:     r.Intent,
		Answered:   r.Kind == KindAnswer || r.Kind == KindSuggest,
		Band:       r.Band,
		Confidence: r.Confidence,
		Matches:    []MatchJSON{},
		Text:       r.Sentence(),
		Source:     r.Source,
	}
	if f := r.Freshness; f != (Freshness{}) {
		j.Freshness = &FreshnessJSON{Freshness: f, Sentence: f.Sentence()}
	}
	for _, m := range r.Matches {
		j.Matches = append(j.Matches, matchJSON(r.Source, m.Entry, m.Score))
	}
	if r.Answer != nil {
		j.Answer = r.Answer.Entry
		if len(j.Matches) > 0 && j.Matches[0].ID == r.Answer.Entry.ID {
			j.Matches[0].Side = SideJSON(r.Answer.Side)
		}
	}
	if r.Also != nil {
		j.Also = r.Also.Entry
	}
	for _, g := range r.Groups {
		j.Entries = append(j.Entries, g.Entries...)
	}
	if r.Kind == KindHelp {
		for _, c := range r.Commands {
			j.Commands = append(j.Commands, CommandJSON(c))
		}
	}
	for _, c := range r.Alternatives {
		if e := findEntry(r.Matches, c.ID); e != nil {
			j.Choices = append(j.Choices, matchJSON(r.Source, e, c.Score))
		} else {
			j.Choices = append(j.Choices, MatchJSON{ID: c.ID, Title: c.Title, Owner: c.Owner, Score: c.Score})
		}
	}
	return j
}

func findEntry(ms []knowledge.Match, id string) *knowledge.Entry {
	for _, m := range ms {
		if m.Entry.ID == id {
			return m.Entry
		}
	}
	return nil
}

func matchJSON(p knowledge.Page, e *knowledge.Entry, score float64) MatchJSON {
	return MatchJSON{ID: e.ID, Title: e.Title, Owner: e.Owner, Score: score, URL: EntryURL(e, p)}
}

// SideJSON names a side as the JSON API does: "microsoft", "customer", or
// "both" for shared; "" when none is known.
func SideJSON(o knowledge.Owner) string {
	if o == knowledge.OwnerShared {
		return "both"
	}
	return string(o)
}
