// Package eval runs question sets against the bot and measures it: top-1
// accuracy on in-scope questions, abstention on out-of-scope ones, and the
// time per question. The format of a set is that of eval/README.md:
// a YAML list of {q, expect, tags}.
package eval

import (
	"context"
	"fmt"
	"os"
	"slices"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/mmdbot/mmdbot/bot"
	"github.com/mmdbot/mmdbot/knowledge"
)

// Item is one labelled question.
type Item struct {
	Q      string   `yaml:"q" json:"q"`
	Expect []string `yaml:"expect" json:"expect"`
	Tags   []string `yaml:"tags,omitempty" json:"tags,omitempty"`
	Line   int      `yaml:"-" json:"line,omitempty"`
	File   string   `yaml:"-" json:"file,omitempty"`
}

// InScope reports whether the item expects an answer.
func (it Item) InScope() bool { return len(it.Expect) > 0 }

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
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: not valid YAML: %v", name, err)
	}
	if len(doc.Content) == 0 {
		return nil, fmt.Errorf("%s: the question set is empty", name)
	}
	root := doc.Content[0]
	if root.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("%s:%d: a question set is a list of {q, expect, tags}", name, root.Line)
	}
	var items []Item
	for _, n := range root.Content {
		var it Item
		if err := n.Decode(&it); err != nil {
			return nil, fmt.Errorf("%s:%d: %v", name, n.Line, err)
		}
		if it.Q == "" {
			return nil, fmt.Errorf("%s:%d: an item needs a question (q)", name, n.Line)
		}
		it.Line, it.File = n.Line, name
		items = append(items, it)
	}
	return items, nil
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
	InScope     int     `json:"in_scope"`
	Top1        float64 `json:"top1"`
	OutOfScope  int     `json:"out_of_scope"`
	Abstention  float64 `json:"abstention"`
	Answered    int     `json:"answered"`  // in-scope questions given an answer band
	Suggested   int     `json:"suggested"` // in-scope questions given "did you mean"
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
