package knowledge

import (
	"math"
	"slices"
	"strings"

	"github.com/sahilm/fuzzy"
)

// Searching runs in stages, a file each: analyse (analyse.go: tokens,
// spelling, synonyms, stems) → match (match.go: evidence for each entry and
// its lexical score) → features (features.go) → model (model.go: a
// probability for each entry and for "out of scope") → judge (judge.go: the
// band and the alternatives). A Base without examples has no model: the
// lexical scores are judged directly.

// Band says how sure the matcher is.
type Band string

// The three bands of confidence.
const (
	// BandAnswer: one entry (or one per side, when both own the topic) fits.
	BandAnswer Band = "answer"
	// BandSuggest: a few entries fit about equally; ask "did you mean".
	BandSuggest Band = "suggest"
	// BandUnknown: nothing fits; say so and point to the table.
	BandUnknown Band = "unknown"
)

const (
	// MaxAlternatives bounds the "did you mean" choices.
	MaxAlternatives = 3
	// MaxMatches bounds the ranked matches a Result carries.
	MaxMatches = 5
)

// Match is one entry ranked for a question.
type Match struct {
	Entry *Entry
	// Score is the entry's relevance: the model's probability that it is
	// the right answer where the knowledge has a model, else its lexical
	// score. Higher is better.
	Score float64
	// Lexical is the entry's lexical score: the sum of its evidence.
	Lexical float64
}

// Verdict is the judgement on a question's best matches.
type Verdict struct {
	// Confidence is how sure the matcher is that the entries it offers
	// (the best match, and those close to it) hold the right one, 0..1.
	Confidence float64
	// Band is answer, suggest or unknown.
	Band Band
	// Choices is how many of the matches are close "did you mean" choices
	// (BandSuggest), or 2 when the best two are from different sides and
	// both fit (BandAnswer naming both).
	Choices int
	// BothSides is true when the answer names what Microsoft does and what
	// your organisation does.
	BothSides bool
	// Side says, for the best match, which side does the part the question
	// asks about: the owner of an entry that is not shared; for a shared
	// entry, the side the question points to, or OwnerShared when it
	// points to both or neither.
	Side Owner
}

// Result is what Search returns: ranked matches and the verdict on them.
type Result struct {
	// Query is the question with mentions stripped.
	Query string
	// Matches are the best entries, best first (at most MaxMatches).
	Matches []Match
	Verdict
	// OutOfScope is the model's probability that the question is about
	// nothing the knowledge covers (0 without a model).
	OutOfScope float64
	// Words are the question's words after spelling correction and
	// synonyms; Corrections maps a typed word to the word it was read as.
	Words       []string
	Corrections map[string]string
	// Taught is true when the question is one an admin decided the answer
	// of (see Base.Teach): the verdict is theirs, not the model's.
	Taught bool
	// Covered counts the ideas of the question (a phrase, or a word on its
	// own) that the lexically best entry explains;
	// Known those the knowledge knows but that entry does not explain;
	// Unknown those the knowledge does not know; OffTopic those it knows to
	// be outside MMD.
	Covered, Known, Unknown, OffTopic int
}

// Top returns the best match, if any.
func (r Result) Top() (Match, bool) {
	if len(r.Matches) == 0 {
		return Match{}, false
	}
	return r.Matches[0], true
}

// Explanation says why a question got its result: the lexical evidence of
// each entry (it adds up to the entry's lexical score) and what the model
// weighed (it adds up to each entry's logit, the probability before
// normalisation).
type Explanation struct {
	Evidence []Evidence `json:"evidence"`
	// Model holds, per entry considered and for out of scope, the
	// contributions to its logit, largest first.
	Model []Weighing `json:"model,omitempty"`
}

// Weighing is what the model weighed for one entry, or for out of scope
// (Entry ""): its logit, its probability, and the contributions that add up
// to the logit.
type Weighing struct {
	Entry         string         `json:"entry"`
	Logit         float64        `json:"logit"`
	Probability   float64        `json:"probability"`
	Contributions []Contribution `json:"contributions"`
}

// Contribution is one term of a logit: a feature's value times its weight,
// or a bias.
type Contribution struct {
	What  string  `json:"what"`
	Score float64 `json:"score"`
}

// Search ranks the entries for a question. It never fails: a question that
// fits nothing gets BandUnknown.
func (b *Base) Search(question string) Result {
	r, _ := b.search(question, false)
	return r
}

// Explain is Search that also says what each entry's score is made of, so
// that whoever curates the vocabulary and the examples can see why an
// answer won.
func (b *Base) Explain(question string) (Result, Explanation) {
	return b.search(question, true)
}

func (b *Base) search(question string, trace bool) (Result, Explanation) {
	r, ex := b.judged(question, trace)
	if len(b.taught) > 0 {
		if t, ok := b.taught[Fold(question)]; ok {
			r = b.teach(r, t)
		}
	}
	return r, ex
}

func (b *Base) judged(question string, trace bool) (Result, Explanation) {
	a := b.analyse(question)
	lx := b.match(&a, trace)
	defer b.index.release(lx.scores)
	r := Result{Query: a.query, Words: a.words, Corrections: a.corrections,
		Covered: lx.covered, Known: lx.known, Unknown: lx.unknown, OffTopic: lx.offTopic}
	ex := Explanation{Evidence: lx.evidence}
	// The model knows only the entries its examples name: when the lexically
	// best entry is one it has no class for (an entry an organisation added
	// without examples) and the lexical matcher is sure of it, the lexical
	// verdict stands.
	lexicalOnly := b.model == nil || len(lx.order) > 0 && b.model.classOf[lx.order[0]] < 0 && lx.confidence >= lexicalUnknown
	if lexicalOnly {
		for _, e := range lx.order {
			r.Matches = append(r.Matches, Match{Entry: b.entries[e], Score: round(lx.scores[e]), Lexical: lx.scores[e]})
		}
		r.Verdict = judgeLexical(&lx, r.Matches)
		if len(r.Matches) > 0 {
			r.Side = r.Matches[0].Entry.Owner
		}
		return r, ex
	}
	o := b.observe(&a, &lx, b.model.classes, trace)
	p := b.model.predict(&o)
	order := make([]int, len(o.cands))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(i, j int) int {
		switch {
		case p.probs[i] > p.probs[j]:
			return -1
		case p.probs[i] < p.probs[j]:
			return 1
		}
		return 0
	})
	for _, i := range order[:min(MaxMatches, len(order))] {
		e := o.cands[i]
		r.Matches = append(r.Matches, Match{Entry: b.entries[e], Score: round(p.probs[i]), Lexical: lx.scores[e]})
	}
	r.OutOfScope = round(p.probs[len(o.cands)])
	r.Verdict = b.bands.judge(r.Matches, p.probs, order, r.OutOfScope)
	if len(r.Matches) > 0 {
		r.Side = r.Matches[0].Entry.Owner
		if r.Side == OwnerShared && b.sides != nil {
			r.Side = b.sides.side(&o)
		}
	}
	if trace {
		ex.Model = b.model.weigh(b, &o, &p)
	}
	return r, ex
}

// topK returns the indexes of the k highest positive scores, best first;
// ties keep page order. It runs in one pass, whatever the number of entries.
func topK(scores []float64, k int) []int {
	top := make([]int, 0, k+1)
	for i, s := range scores {
		if s <= 0 || (len(top) == k && s <= scores[top[k-1]]) {
			continue
		}
		j := len(top)
		top = append(top, i)
		for j > 0 && scores[top[j-1]] < s {
			top[j] = top[j-1]
			j--
		}
		top[j] = i
		if len(top) > k {
			top = top[:k]
		}
	}
	return top
}

func round(f float64) float64 { return math.Round(f*1000) / 1000 }

// Suggest returns the entries whose id or title best fits a short, partial or
// misspelt lookup (type-ahead, "show upd"), best first, using sahilm/fuzzy.
func (b *Base) Suggest(prefix string, limit int) []*Entry {
	prefix = strings.TrimSpace(strings.ToLower(prefix))
	if prefix == "" {
		return nil
	}
	keys := make([]string, len(b.entries))
	for i, e := range b.entries {
		keys[i] = strings.ToLower(e.Title + " " + e.ID)
	}
	var out []*Entry
	for _, m := range fuzzy.Find(prefix, keys) {
		out = append(out, b.entries[m.Index])
		if limit > 0 && len(out) == limit {
			break
		}
	}
	return out
}
