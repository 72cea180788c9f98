package admin

import (
	"math"
	"slices"
	"time"

	"github.com/mmdbot/mmdbot/knowledge"
	"github.com/mmdbot/mmdbot/store"
)

// Grouping thresholds.
const (
	// sameWords is the Jaccard similarity of two questions' word sets
	// from which they are one group.
	sameWords = 0.5
	// sameEntry is the score both questions' top entry must reach for the
	// model to place them together.
	sameEntry = 0.3
	// closestShown is how many of the closest entries a group shows.
	closestShown = 3
)

// Group is questions to review that belong together: they share most of
// their words, or the model places them on the same entry.
type Group struct {
	// Questions are the group's questions, the most recently asked first.
	Questions []store.Question `json:"questions"`
	// Count is how often they were asked (or voted 👎), all together.
	Count int `json:"count"`
	// People is how many different people asked them: by their
	// pseudonyms (store.Question.Askers), so that someone who asked two of
	// them counts once; a question without them adds its People.
	People int `json:"people"`
	// Last is when one of them was last asked.
	Last time.Time `json:"last"`
	// Lead is the question the closest entries are for: the most asked.
	Lead string `json:"lead"`
	// Closest are the bot's closest entries for Lead, best first.
	Closest []Closest `json:"closest"`
	// Confidence is how sure the bot is of its answer to Lead, 0..1, and
	// Band what it does with it: answer, suggest or unknown.
	Confidence float64        `json:"confidence"`
	Band       knowledge.Band `json:"band"`
	// OutOfScope is the model's probability that Lead is about nothing
	// the knowledge covers.
	OutOfScope float64 `json:"outOfScope"`
	// Choices are every entry, the closest first: the "answer with" list.
	Choices []*knowledge.Entry `json:"-"`
}

// Closest is one of the bot's closest entries for a question.
type Closest struct {
	Entry   string          `json:"entry"`
	Title   string          `json:"title"`
	Owner   knowledge.Owner `json:"owner"`
	Percent int             `json:"percent"`
}

// grouped is a question with what grouping needs of it.
type grouped struct {
	q     store.Question
	words map[string]bool
	res   knowledge.Result
}

// groupQuestions groups the questions as the knowledge sees them, the
// most recent group first.
func groupQuestions(qs []store.Question, kb *knowledge.Base) []Group {
	items := make([]grouped, len(qs))
	for i, q := range qs {
		items[i] = grouped{q: q, words: wordSet(q), res: kb.Search(q.Question)}
	}
	parent := make([]int, len(items))
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		if parent[i] != i {
			parent[i] = find(parent[i])
		}
		return parent[i]
	}
	for i := range items {
		for j := i + 1; j < len(items); j++ {
			if find(i) != find(j) && together(&items[i], &items[j]) {
				parent[find(j)] = find(i)
			}
		}
	}
	byRoot := map[int][]grouped{}
	var roots []int
	for i := range items {
		r := find(i)
		if _, ok := byRoot[r]; !ok {
			roots = append(roots, r)
		}
		byRoot[r] = append(byRoot[r], items[i])
	}
	out := make([]Group, 0, len(roots))
	for _, r := range roots {
		out = append(out, makeGroup(byRoot[r], kb))
	}
	slices.SortStableFunc(out, func(a, b Group) int { return b.Last.Compare(a.Last) })
	return out
}

// wordSet is the set of a question's words, folded.
func wordSet(q store.Question) map[string]bool {
	text := q.Norm
	if text == "" {
		text = knowledge.Fold(q.Question)
	}
	set := map[string]bool{}
	for _, w := range knowledge.Tokens(text) {
		set[w] = true
	}
	return set
}

// together reports whether two questions are one group.
func together(a, b *grouped) bool {
	if jaccard(a.words, b.words) >= sameWords {
		return true
	}
	ta, okA := a.res.Top()
	tb, okB := b.res.Top()
	return okA && okB && ta.Entry.ID == tb.Entry.ID && ta.Score >= sameEntry && tb.Score >= sameEntry
}

// jaccard is the size of the intersection of two sets over that of their
// union; 0 for two empty sets.
func jaccard(a, b map[string]bool) float64 {
	if len(a) == 0 && len(b) == 0 {
		return 0
	}
	both := 0
	for w := range a {
		if b[w] {
			both++
		}
	}
	return float64(both) / float64(len(a)+len(b)-both)
}

// makeGroup sums up the questions of one group.
func makeGroup(items []grouped, kb *knowledge.Base) Group {
	slices.SortStableFunc(items, func(a, b grouped) int { return b.q.Last.Compare(a.q.Last) })
	g := Group{Questions: make([]store.Question, len(items))}
	lead := 0
	askers := map[string]bool{}
	for i, it := range items {
		g.Questions[i] = it.q
		g.Count += it.q.Count
		if len(it.q.Askers) == 0 {
			g.People += it.q.People
		}
		for _, a := range it.q.Askers {
			askers[a] = true
		}
		if it.q.Last.After(g.Last) {
			g.Last = it.q.Last
		}
		if it.q.Count > items[lead].q.Count {
			lead = i
		}
	}
	g.People += len(askers)
	res := items[lead].res
	g.Lead, g.Confidence, g.Band, g.OutOfScope = items[lead].q.Question, res.Confidence, res.Band, res.OutOfScope
	g.Closest = []Closest{}
	seen := map[string]bool{}
	for _, m := range res.Matches {
		if len(g.Closest) < closestShown && percent(m.Score) > 0 {
			g.Closest = append(g.Closest, Closest{Entry: m.Entry.ID, Title: m.Entry.Title, Owner: m.Entry.Owner, Percent: percent(m.Score)})
		}
		g.Choices = append(g.Choices, m.Entry)
		seen[m.Entry.ID] = true
	}
	for _, e := range kb.Entries() {
		if !seen[e.ID] {
			g.Choices = append(g.Choices, e)
		}
	}
	return g
}

// percent is a score 0..1 as a whole percentage.
func percent(f float64) int {
	if math.IsNaN(f) {
		return 0
	}
	return int(math.Round(math.Max(0, math.Min(1, f)) * 100))
}
