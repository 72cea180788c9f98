// Package eval runs question sets against the bot and measures it: top-1
// accuracy on in-scope questions, abstention on out-of-scope ones, the side
// named for shared entries, and the time per question. The format of a set
// is that of eval/README.md: a YAML list of {q, expect, side, tags}.
//
// A figure on a set the model was trained on is no evidence: CrossValidate
// scores each set with a model trained without it.
package eval

import (
	"context"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/mmdbot/mmdbot/bot"
	"github.com/mmdbot/mmdbot/knowledge"
)

// Item is one labelled question: the knowledge's Example, whose YAML form
// is that of a question set.
type Item = knowledge.Example

// ReadFile reads a question set.
func ReadFile(path string) ([]Item, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read question set: %w", err)
	}
	return Parse(path, data)
}

// Parse reads a question set from bytes; name is used in errors.
func Parse(name string, data []byte) ([]Item, error) {
	return knowledge.ParseExamples(name, data)
}

// Miss is an item the bot got wrong.
type Miss struct {
	Item
	Got        string         `json:"got"` // the top answer's id, or "" for "I don't know"
	Band       knowledge.Band `json:"band"`
	Confidence float64        `json:"confidence"`
}

// Report is the figures of one run.
type Report struct {
	InScope    int     `json:"in_scope"`
	Top1       float64 `json:"top1"`
	OutOfScope int     `json:"out_of_scope"`
	Abstention float64 `json:"abstention"`
	Answered   int     `json:"answered"`  // in-scope questions given an answer band
	Suggested  int     `json:"suggested"` // in-scope questions given "did you mean"
	// Sides counts the in-scope questions that say which side of a shared
	// entry they ask about and got that entry as their answer; SidesRight
	// those whose answer named that side.
	Sides       int     `json:"sides"`
	SidesRight  int     `json:"sides_right"`
	PerQuestion float64 `json:"ns_per_question"`
	Misses      []Miss  `json:"misses"`
}

// Run asks every item and measures the replies. The first match of a reply
// counts as its answer, whether given outright or as the first "did you mean"
// choice; a reply that answers nothing counts as "I don't know".
func Run(ctx context.Context, b *bot.Bot, items []Item) Report {
	rep := Report{Misses: []Miss{}}
	var okIn, okOut int
	var total time.Duration
	// The set once untimed first: the time per question is the steady
	// state, not the one-time loading of word lists on first use.
	for _, it := range items {
		b.Handle(ctx, bot.Message{Text: it.Q, Via: bot.ViaCLI, Adapter: "eval"})
	}
	for _, it := range items {
		start := time.Now()
		r, _ := b.Handle(ctx, bot.Message{Text: it.Q, Via: bot.ViaCLI, Adapter: "eval"})
		total += time.Since(start)
		got := ""
		answered := r.Kind == bot.KindAnswer || r.Kind == bot.KindSuggest
		if answered && len(r.Matches) > 0 {
			got = r.Matches[0].Entry.ID
		}
		if r.Kind == bot.KindSuggest && len(r.Alternatives) > 0 {
			got = r.Alternatives[0].ID
		}
		if it.Side != "" && r.Answer != nil && len(it.Expect) > 0 && r.Answer.Entry.ID == it.Expect[0] {
			rep.Sides++
			if bot.SideJSON(r.Answer.Side) == it.Side {
				rep.SidesRight++
			}
		}
		miss := Miss{Item: it, Got: got, Band: r.Band, Confidence: r.Confidence}
		if it.InScope() {
			rep.InScope++
			if r.Kind == bot.KindAnswer {
				rep.Answered++
			} else if r.Kind == bot.KindSuggest {
				rep.Suggested++
			}
			if slices.Contains(it.Expect, got) {
				okIn++
				continue
			}
		} else {
			rep.OutOfScope++
			if !answered {
				okOut++
				continue
			}
		}
		rep.Misses = append(rep.Misses, miss)
	}
	if rep.InScope > 0 {
		rep.Top1 = float64(okIn) / float64(rep.InScope)
	}
	if rep.OutOfScope > 0 {
		rep.Abstention = float64(okOut) / float64(rep.OutOfScope)
	}
	if len(items) > 0 {
		rep.PerQuestion = float64(total.Nanoseconds()) / float64(len(items))
	}
	return rep
}
