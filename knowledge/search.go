package knowledge

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/sahilm/fuzzy"
)

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

// The calibrated thresholds of the bands (see docs/matching.md).
const (
	// MinConfidence is the confidence below which the bot does not know.
	MinConfidence = 0.35
	// CloseRatio: an entry whose score is at least this share of the one
	// above it is a close alternative.
	CloseRatio = 0.78
	// TopRatio: an alternative must also score at least this share of the top.
	TopRatio = 0.62
	// MaxAlternatives bounds the "did you mean" choices.
	MaxAlternatives = 3
	// MaxMatches bounds the ranked matches a Result carries.
	MaxMatches = 5
)

// Match is one entry ranked for a question.
type Match struct {
	Entry *Entry
	// Score is the entry's raw relevance score; higher is better.
	Score float64
}

// Result is what Search returns: ranked matches, a confidence and a band.
type Result struct {
	// Query is the question with mentions stripped.
	Query string
	// Matches are the best entries, best first (at most MaxMatches).
	Matches []Match
	// Confidence is how sure the matcher is that Matches[0] is right, 0..1.
	Confidence float64
	// Band is answer, suggest or unknown.
	Band Band
	// Alternatives is how many of Matches are close "did you mean" choices
	// (BandSuggest), or 2 when the top two are strong and from different
	// sides (BandAnswer naming both).
	Alternatives int
	// BothSides is true when the top two come from different sides and both
	// fit: the answer names what Microsoft does and what you do.
	BothSides bool
	// Words are the question's words after spelling correction and
	// synonyms; Corrections maps a typed word to the word it was read as.
	Words       []string
	Corrections map[string]string
	// Covered counts the ideas of the question (a phrase, or a word on its
	// own) that the best entry explains;
	// Known those the knowledge knows but the best entry does not explain;
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

// Field weights: how much a word counts by where an entry has it.
const (
	wTitle   = 2.5
	wKeyword = 1.6
	wItem    = 1.4
	wText    = 0.7
	wWeak    = 0.25 // multiplier for words that are in-domain but vague

	wTitlePhrase = 3.0 // per word of a title matched as a phrase
	wKeyPhrase   = 1.6 // per word of a keyword or alias matched as a phrase
	wVocab       = 3.4 // a vocabulary term, shared among its entries

	strengthScale = 4.5 // score at which strength reaches 1-1/e
	againstFactor = 0.35
	verbWeight    = 0.5 // the word right after "who"
	// consumedWeight is what a word of a vocabulary term still counts on its
	// own, besides the term.
	consumedWeight = 0.5

	unknownWeight   = 0.8 // how much unknown words lower the coverage…
	unknownExponent = 0.7 // …growing slower than their number
	offTopicWeight  = 4.0 // how much the first off-topic word lowers it…
	offTopicMore    = 1.5 // …and each one after it// what an entry keeps of its score when a term argues against it
)

// index is what Search needs of a Base, precomputed.
type index struct {
	n       int
	post    map[string][]posting // stem → the entries that have it
	idf     map[string]float64
	phrases map[string][]phrase   // first stem → phrases starting with it
	known   map[string]bool       // stems the knowledge uses
	off     map[string][][]string // first word → off-topic phrases (surface words)
	combos  []comboPhrase
	dict    []string // surface words, for spelling correction
	dictSet map[string]bool
	dictBy  map[dictKey][]string // surface words by first letter and length
}

// posting is one entry that has a stem, with the weight of its best field.
// comboPhrase is a combo form with what it scores.
type comboPhrase struct {
	combo
	phrase
}

type posting struct {
	entry  int
	weight float64
}

type dictKey struct {
	first rune
	n     int
}

type phrase struct {
	stems   []string
	entries []int
	weight  float64 // the weight the phrase gives each of its entries
	against []int   // entries the phrase argues against
	// group identifies the term or keyword the phrase is a form of: each
	// group counts once per question, however many of its forms occur.
	group int
	// vocab marks a form of a vocabulary term.
	vocab bool
}

// vterm is a compiled vocabulary term.
type vterm struct {
	forms   [][]string // stemmed word sequences
	combos  []combo    // forms of words that occur apart
	entries []string
	against []string
	weight  float64
}

// Vocabulary is the compiled domain vocabulary of a Base.
type Vocabulary struct {
	Terms    []Term
	Synonyms []Synonym
	OffTopic []string
	terms    []vterm
	syn      map[string][][]string // first word → [from..., "=>", to...]
	off      [][]string            // off-topic phrases, topic words only
	offWhole [][]string            // off-topic phrases matched with their stopwords
}

func (ov *Overlay) vocabulary(b *Base) *Vocabulary {
	v := &Vocabulary{Terms: ov.Vocabulary, Synonyms: ov.Synonyms, OffTopic: ov.OffTopic, syn: map[string][][]string{}}
	// Synonyms first: every form below is read through them, as questions are.
	for _, s := range ov.Synonyms {
		to := Tokens(s.Means)
		for _, w := range s.Words {
			from := Tokens(w)
			if len(from) == 0 {
				continue
			}
			rule := append(append(slices.Clone(from), "=>"), to...)
			v.syn[from[0]] = append(v.syn[from[0]], rule)
		}
	}
	for k := range v.syn {
		// Longest rule first.
		slices.SortFunc(v.syn[k], func(a, b []string) int { return len(b) - len(a) })
	}
	for _, t := range ov.Vocabulary {
		var ids []string
		for _, id := range t.Entries {
			if _, ok := b.byID[id]; ok {
				ids = append(ids, id)
			}
		}
		if len(ids) == 0 {
			continue
		}
		w := t.Weight
		if w == 0 {
			w = 1
		}
		vt := vterm{entries: ids, weight: w, against: expandIDs(b, t.Not)}
		for _, f := range append([]string{t.Term}, t.Also...) {
			if c, ok := v.parseCombo(f); ok {
				vt.combos = append(vt.combos, c)
				continue
			}
			st := stems(v.rewrite(Tokens(f)))
			if len(st) == 0 || (len(st) == 1 && vague[st[0]]) {
				// A lone vague word ("manager" stems to "manag", as
				// "managed" does) would point everywhere.
				continue
			}
			vt.forms = append(vt.forms, st)
		}
		v.terms = append(v.terms, vt)
	}
	for _, o := range ov.OffTopic {
		words := v.rewrite(Tokens(o))
		var topic []string // matched against the question's topic words
		for _, w := range words {
			if !stopwords[w] {
				topic = append(topic, w)
			}
		}
		switch {
		case len(topic) == 0:
		case len(topic) == 1 && len(words) > 1:
			// "right to work" must not make "work" off-topic: such a
			// phrase is matched whole, stopwords and all.
			v.offWhole = append(v.offWhole, surface(words))
		default:
			v.off = append(v.off, surface(topic))
		}
	}
	return v
}

// surface folds words for off-topic matching, which works on the words as
// typed rather than on stems: "elevator" must not meet "elevated" (both stem
// to "elev"). Only a plural ending is dropped.
func surface(words []string) []string {
	out := make([]string, len(words))
	for i, w := range words {
		switch {
		case len(w) > 4 && (strings.HasSuffix(w, "ches") || strings.HasSuffix(w, "shes") || strings.HasSuffix(w, "sses") || strings.HasSuffix(w, "xes")):
			w = w[:len(w)-2] // lunches, boxes
		case len(w) > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss"):
			w = w[:len(w)-1]
		}
		out[i] = w
	}
	return out
}

// vague holds the stems of stopwords and weak words.
var vague = func() map[string]bool {
	m := map[string]bool{}
	for w := range stopwords {
		m[Stem(w)] = true
	}
	for w := range weakwords {
		m[Stem(w)] = true
	}
	return m
}()

// combo is a vocabulary form whose words need not stand together: "groups +
// microsoft" (both anywhere in the question) or "not ~ mmd" ("mmd" within a
// few words after "not").
type combo struct {
	parts [][]string // stemmed word sequences
	near  bool
}

// nearWords is how far the second part of a "~" form may follow the first.
const nearWords = 4

// parseCombo reads a "+" or "~" form.
func (v *Vocabulary) parseCombo(f string) (combo, bool) {
	sep, near := " + ", false
	if strings.Contains(f, " ~ ") {
		sep, near = " ~ ", true
	} else if !strings.Contains(f, " + ") {
		return combo{}, false
	}
	var c combo
	c.near = near
	for _, part := range strings.Split(f, sep) {
		st := stems(v.rewrite(Tokens(part)))
		if len(st) == 0 {
			return combo{}, false
		}
		c.parts = append(c.parts, st)
	}
	if len(c.parts) < 2 || (near && len(c.parts) != 2) {
		return combo{}, false
	}
	return c, true
}

// find returns where each part of the combo stands in seq, or false.
func (c combo) find(seq []string) ([][2]int, bool) {
	at := func(p []string, from, to int) int {
		for i := from; i+len(p) <= len(seq) && i <= to; i++ {
			if slices.Equal(seq[i:i+len(p)], p) {
				return i
			}
		}
		return -1
	}
	var spans [][2]int
	if c.near {
		for i := at(c.parts[0], 0, len(seq)); i >= 0; i = at(c.parts[0], i+1, len(seq)) {
			end := i + len(c.parts[0])
			if j := at(c.parts[1], end, end+nearWords); j >= 0 {
				return [][2]int{{i, end}, {j, j + len(c.parts[1])}}, true
			}
		}
		return nil, false
	}
	for _, p := range c.parts {
		i := at(p, 0, len(seq))
		if i < 0 {
			return nil, false
		}
		spans = append(spans, [2]int{i, i + len(p)})
	}
	return spans, true
}

func stems(words []string) []string {
	out := make([]string, len(words))
	for i, w := range words {
		out[i] = Stem(w)
	}
	return out
}

func buildIndex(b *Base) *index {
	ix := &index{
		n:       len(b.entries),
		idf:     map[string]float64{},
		phrases: map[string][]phrase{},
		known:   map[string]bool{},
		post:    map[string][]posting{},
		off:     map[string][][]string{},
		dictSet: map[string]bool{},
		dictBy:  map[dictKey][]string{},
	}
	pos := map[string]int{}
	for i, e := range b.entries {
		pos[e.ID] = i
	}
	addWords := func(words []string) {
		for _, w := range words {
			if !ix.dictSet[w] && utf8.RuneCountInString(w) > 2 {
				ix.dictSet[w] = true
				ix.dict = append(ix.dict, w)
				first, _ := utf8.DecodeRuneInString(w)
				k := dictKey{first, utf8.RuneCountInString(w)}
				ix.dictBy[k] = append(ix.dictBy[k], w)
			}
		}
	}
	group := 0
	addPhrase := func(p phrase) {
		if len(p.stems) == 0 {
			return
		}
		if p.group == 0 {
			group++
			p.group = group
		}
		ix.phrases[p.stems[0]] = append(ix.phrases[p.stems[0]], p)
		for _, s := range p.stems {
			ix.known[s] = true
		}
	}
	// Forms the vocabulary already ties to an entry: a keyword with the same
	// words adds no phrase of its own, so one idea counts once.
	vocabForms := map[string]bool{}
	for _, t := range b.vocab.terms {
		for _, f := range t.forms {
			for _, id := range t.entries {
				vocabForms[id+" "+strings.Join(f, " ")] = true
			}
		}
	}
	for i, e := range b.entries {
		f := map[string]float64{}
		add := func(text string, w float64) {
			words := b.vocab.rewrite(Tokens(text))
			addWords(words)
			for _, t := range words {
				if stopwords[t] {
					continue
				}
				s := Stem(t)
				ww := w
				if weakwords[t] {
					ww *= wWeak
				}
				if ww > f[s] {
					f[s] = ww
				}
			}
		}
		add(e.Title, wTitle)
		for _, k := range append(slices.Clone(e.Keywords), e.Aliases...) {
			add(k, wKeyword)
			if st := content(b.vocab.rewrite(Tokens(k))); len(st) > 0 && !vocabForms[e.ID+" "+strings.Join(st, " ")] {
				addPhrase(phrase{stems: st, entries: []int{i}, weight: wKeyPhrase * float64(len(st))})
			}
		}
		for _, bl := range e.Blocks {
			add(bl.Text, wText)
			for _, it := range bl.Items {
				add(it, wItem)
			}
		}
		if e.Split != nil {
			add(e.Split.Microsoft, wText)
			add(e.Split.Customer, wText)
		}
		if st := content(b.vocab.rewrite(Tokens(e.Title))); len(st) > 1 {
			addPhrase(phrase{stems: st, entries: []int{i}, weight: wTitlePhrase * float64(len(st))})
		}
		for s, w := range f {
			ix.post[s] = append(ix.post[s], posting{entry: i, weight: w})
			ix.known[s] = true
		}
	}
	for s, ps := range ix.post {
		df := float64(len(ps))
		ix.idf[s] = math.Log(1 + (float64(ix.n)-df+0.5)/(df+0.5))
	}
	v := b.vocab
	for _, t := range v.terms {
		var ents []int
		for _, id := range t.entries {
			ents = append(ents, pos[id])
		}
		var against []int
		for _, id := range t.against {
			against = append(against, pos[id])
		}
		share := wVocab * t.weight / math.Sqrt(float64(len(ents)))
		group++
		for _, f := range t.forms {
			addPhrase(phrase{stems: f, entries: ents, weight: share, against: against, group: group, vocab: true})
		}
		for _, c := range t.combos {
			ix.combos = append(ix.combos, comboPhrase{c, phrase{stems: slices.Concat(c.parts...), entries: ents, weight: share, against: against, group: group, vocab: true}})
			for _, p := range c.parts {
				for _, s := range p {
					ix.known[s] = true
				}
			}
		}
	}
	for _, t := range v.Terms {
		for _, f := range append([]string{t.Term}, t.Also...) {
			addWords(Tokens(strings.NewReplacer(" + ", " ", " ~ ", " ").Replace(f)))
		}
	}
	for _, o := range v.off {
		ix.off[o[0]] = append(ix.off[o[0]], o)
	}
	for _, o := range v.OffTopic {
		addWords(Tokens(o))
	}
	for _, rules := range v.syn {
		for _, r := range rules {
			addWords(r)
		}
	}
	for w := range stopwords {
		addWords([]string{w})
	}
	for w := range weakwords {
		addWords([]string{w})
		ix.known[Stem(w)] = true
	}
	return ix
}

// content drops stopwords and stems the rest.
func content(words []string) []string {
	var out []string
	for _, w := range words {
		if !stopwords[w] {
			out = append(out, Stem(w))
		}
	}
	return out
}

// Contribution is one piece of evidence for an entry: a phrase or a word of
// the question and the score it gave.
type Contribution struct {
	Entry string  `json:"entry"`
	What  string  `json:"what"` // "phrase: …" or "word: …"
	Score float64 `json:"score"`
}

// Search ranks the entries for a question. It never fails: a question that
// fits nothing gets BandUnknown.
func (b *Base) Search(question string) Result {
	return b.search(question, nil)
}

// Explain is Search that also says what each entry's score is made of, so
// that whoever curates the vocabulary can see why an answer won.
func (b *Base) Explain(question string) (Result, []Contribution) {
	var trace []Contribution
	r := b.search(question, &trace)
	return r, trace
}

func (b *Base) search(question string, trace *[]Contribution) Result {
	ix := b.index
	r := Result{Query: StripMentions(question), Band: BandUnknown}
	words := Tokens(question)
	words, r.Corrections = ix.correct(words)
	words = b.vocab.rewrite(words)
	r.Words = words

	scores := make([]float64, ix.n)
	all := stems(words)
	// The word right after "who" is mostly the action ("who updates the
	// manager field", "who installs printers"): it counts half, the object
	// of the action carries the topic.
	weight := make([]float64, len(words))
	var cont, contSurface []string
	var at []int // index in words of each topic word
	for i, w := range words {
		weight[i] = 1
		if i > 0 && words[i-1] == "who" || i > 1 && words[i-1] == "to" && modals[words[i-2]] {
			weight[i] = verbWeight
		}
		if !stopwords[w] {
			cont = append(cont, all[i])
			contSurface = append(contSurface, w)
			at = append(at, i)
		}
	}
	offWord := b.offTopicWords(words, contSurface, at)
	// Phrases: vocabulary terms, keywords and titles, matched on the whole
	// question and on its topic words alone; each term counts once.
	inPhrase := make([]bool, len(cont))
	seen := map[int]float64{} // group → the weight it was counted with
	var against []int
	type span struct {
		from, to int // words[from:to]
		entries  []int
		vocab    bool
	}
	var spans []span
	hit := func(p *phrase, w float64, from, to int) {
		spans = append(spans, span{from, to, p.entries, p.vocab})
		// A term counts once, with its strongest occurrence.
		prev, counted := seen[p.group]
		if counted && w <= prev {
			return
		}
		seen[p.group] = w
		w -= prev
		for _, e := range p.entries {
			scores[e] += p.weight * w
			if trace != nil {
				*trace = append(*trace, Contribution{b.entries[e].ID, "phrase: " + strings.Join(p.stems, " "), round(p.weight * w)})
			}
		}
		if !counted {
			against = append(against, p.against...)
		}
	}
	type found struct {
		p        *phrase
		w        float64
		from, to int
	}
	var hits []found
	ix.eachPhrase(all, func(p *phrase, i int) {
		w := 1.0
		if len(p.stems) == 1 {
			w = weight[i]
		}
		hits = append(hits, found{p, w, i, i + len(p.stems)})
	})
	ix.eachPhrase(cont, func(p *phrase, k int) {
		w := 1.0
		if len(p.stems) == 1 {
			w = weight[at[k]]
		}
		hits = append(hits, found{p, w, at[k], at[k+len(p.stems)-1] + 1})
		for j := k; j < k+len(p.stems); j++ {
			inPhrase[j] = true
		}
	})
	// The longest vocabulary form wins: "network" inside "cut off from the
	// network" is part of that idea, not one of its own.
	var vocabHits []found // few: compared with each other only
	for _, h := range hits {
		if h.p.vocab {
			vocabHits = append(vocabHits, h)
		}
	}
	for _, h := range hits {
		inside := false
		if h.p.vocab {
			for _, o := range vocabHits {
				if o.p.group != h.p.group && o.from <= h.from && h.to <= o.to && o.to-o.from > h.to-h.from {
					inside = true
					break
				}
			}
		}
		if !inside {
			hit(h.p, h.w, h.from, h.to)
		}
	}
	// Forms whose words stand apart, on the whole question.
	for k := range ix.combos {
		c := &ix.combos[k]
		if where, ok := c.find(all); ok {
			for i, sp := range where {
				if i > 0 {
					spans = append(spans, span{sp[0], sp[1], c.entries, true})
					continue
				}
				hit(&c.phrase, 1, sp[0], sp[1])
			}
		}
	}
	// A word of a vocabulary phrase of several words is in MMD's world,
	// whatever it means alone ("book" in "address book"), and so is a word
	// of an entry's own title or keywords: the knowledge beats the
	// off-topic list.
	for k := range offWord {
		for _, sp := range spans {
			if (!sp.vocab || sp.to-sp.from > 1) && at[k] >= sp.from && at[k] < sp.to {
				offWord[k] = false
			}
		}
	}
	// Words: each topic word once, by its best field in each entry. A word
	// that is part of a vocabulary term counts through the term alone: the
	// vocabulary says which entries it means.
	consumed := make([]bool, len(words))
	for _, sp := range spans {
		if sp.vocab {
			for i := sp.from; i < sp.to; i++ {
				consumed[i] = true
			}
		}
	}
	done := map[string]bool{}
	for k, s := range cont {
		if !done[s] {
			done[s] = true
			idf := ix.idf[s] * weight[at[k]]
			if consumed[at[k]] {
				idf *= consumedWeight
			}
			for _, p := range ix.post[s] {
				scores[p.entry] += idf * p.weight
				if trace != nil {
					*trace = append(*trace, Contribution{b.entries[p.entry].ID, "word: " + s, round(idf * p.weight)})
				}
			}
		}
	}

	for _, e := range against {
		scores[e] *= againstFactor
		if trace != nil {
			*trace = append(*trace, Contribution{b.entries[e].ID, "argued against: score ×" + strconv.FormatFloat(againstFactor, 'f', -1, 64), 0})
		}
	}
	order := topK(scores, MaxMatches)
	for _, i := range order {
		r.Matches = append(r.Matches, Match{Entry: b.entries[i], Score: round(scores[i])})
	}
	// How much of the question the best entry explains: each topic word is
	// explained by it, known to the knowledge but not explaining it, unknown,
	// or off-topic.
	top := -1
	if len(order) > 0 {
		top = order[0]
	}
	// explains returns what explains topic word k for the best entry: the
	// phrase it is part of (a phrase is one idea, however many words), or
	// the word itself; "" when nothing does.
	explains := func(k int) string {
		for i, sp := range spans {
			if at[k] >= sp.from && at[k] < sp.to && slices.Contains(sp.entries, top) {
				return "phrase " + strconv.Itoa(i)
			}
		}
		for _, p := range ix.post[cont[k]] {
			if p.entry == top {
				return "word " + cont[k]
			}
		}
		return ""
	}
	ideas := map[string]bool{}
	for k, s := range cont {
		w := words[at[k]]
		var idea string
		if top >= 0 {
			idea = explains(k)
		}
		switch {
		case offWord[k]:
			r.OffTopic++
		case weakwords[w] || isNoise(w):
			// In MMD's world but vague, or too short to tell: neutral.
		case idea != "":
			if !ideas[idea] {
				ideas[idea] = true
				r.Covered++
			}
		case inPhrase[k] || ix.known[s]:
			r.Known++
		default:
			r.Unknown++
		}
	}
	// A vocabulary form made of small words only ("is down") is an idea
	// too, though none of its words is a topic word.
	for _, sp := range spans {
		if !sp.vocab || top < 0 || !slices.Contains(sp.entries, top) {
			continue
		}
		small := true
		for _, j := range at {
			small = small && (j < sp.from || j >= sp.to)
		}
		if small {
			r.Covered++
			break
		}
	}
	r.Confidence, r.Band, r.Alternatives, r.BothSides = judge(r, scores, order)
	return r
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

// modals come before "to" and the action asked about: "who is meant to
// update the field", "who has to approve".
var modals = setOf(`meant supposed has have need needs needed going able allowed want wants ought got`)

// itNouns name IT things: a word before one of them is part of its name.
var itNouns = setOf(`app apps tool tools software system systems portal
server servers database platform client program programs site printer printers laptop laptops
mailbox`)

// isNoise reports whether a word is too short or numeric to count for or
// against a question.
func isNoise(w string) bool {
	if utf8.RuneCountInString(w) < 3 {
		return true
	}
	for _, r := range w {
		if unicode.IsLetter(r) {
			return false
		}
	}
	return true
}

func round(f float64) float64 { return math.Round(f*1000) / 1000 }

// judge turns scores into a confidence and a band.
func judge(r Result, scores []float64, order []int) (float64, Band, int, bool) {
	if len(order) == 0 {
		return 0, BandUnknown, 0, false
	}
	top := scores[order[0]]
	strength := 1 - math.Exp(-top/strengthScale)
	// Unknown words weigh less each as they add up: a long message carries
	// chatter around its question.
	unknown := unknownWeight * math.Pow(float64(r.Unknown), unknownExponent)
	// The first off-topic word says most: a story told around a question
	// ("the CEO's all-hands starts in 20 minutes") may carry several.
	off := 0.0
	if r.OffTopic > 0 {
		off = offTopicWeight + offTopicMore*float64(r.OffTopic-1)
	}
	cover := (float64(r.Covered) + 0.5) / (float64(r.Covered) + 0.5 + unknown + off)
	conf := round(strength * cover)
	if conf < MinConfidence {
		return conf, BandUnknown, 0, false
	}
	// Close alternatives, in the manner of active learning: each must be close
	// to the one above it and to the top.
	alts := 1
	for k := 1; k < len(order) && k < MaxAlternatives; k++ {
		s := scores[order[k]]
		if s < CloseRatio*scores[order[k-1]] || s < TopRatio*top {
			break
		}
		alts++
	}
	if alts == 1 {
		return conf, BandAnswer, 0, false
	}
	first, second := r.Matches[0].Entry, r.Matches[1].Entry
	if alts == 2 && first.Side != second.Side {
		return conf, BandAnswer, 2, true
	}
	return conf, BandSuggest, alts, false
}

// offTopicWords marks the topic words of a question (contSurface, standing
// at positions at of words) that belong to an off-topic phrase.
func (b *Base) offTopicWords(words, contSurface []string, at []int) []bool {
	offWord := b.index.offTopic(surface(contSurface))
	full := surface(words)
	for _, p := range b.vocab.offWhole {
		for i := 0; i+len(p) <= len(full); i++ {
			if slices.Equal(full[i:i+len(p)], p) {
				for k, j := range at {
					if j >= i && j < i+len(p) {
						offWord[k] = true
					}
				}
			}
		}
	}
	// An off-topic word that names an IT thing ("the expenses app", "the
	// payroll system") is not off-topic.
	for k := range offWord {
		if offWord[k] && k+1 < len(contSurface) && itNouns[contSurface[k+1]] {
			offWord[k] = false
		}
	}
	return offWord
}

// offTopic marks the words of seq that belong to an off-topic phrase.
func (ix *index) offTopic(seq []string) []bool {
	marks := make([]bool, len(seq))
	for i, w := range seq {
		for _, p := range ix.off[w] {
			if i+len(p) <= len(seq) && slices.Equal(seq[i:i+len(p)], p) {
				for j := i; j < i+len(p); j++ {
					marks[j] = true
				}
			}
		}
	}
	return marks
}

// eachPhrase calls fn for every phrase that occurs in seq, longest first at
// each position.
func (ix *index) eachPhrase(seq []string, fn func(p *phrase, at int)) {
	for i, s := range seq {
		cands := ix.phrases[s]
		for k := range cands {
			p := &cands[k]
			if i+len(p.stems) > len(seq) {
				continue
			}
			if slices.Equal(seq[i:i+len(p.stems)], p.stems) {
				fn(p, i)
			}
		}
	}
}

// rewrite applies the global synonyms to a word sequence, twice, so that a
// rule may build on another ("office wi fi" → "office wifi" → "location wifi").
func (v *Vocabulary) rewrite(words []string) []string {
	return v.rewriteOnce(v.rewriteOnce(words))
}

func (v *Vocabulary) rewriteOnce(words []string) []string {
	var out []string
next:
	for i := 0; i < len(words); i++ {
		for _, rule := range v.syn[words[i]] {
			sep := slices.Index(rule, "=>")
			from, to := rule[:sep], rule[sep+1:]
			if i+len(from) <= len(words) && slices.Equal(words[i:i+len(from)], from) {
				out = append(out, to...)
				i += len(from) - 1
				continue next
			}
		}
		out = append(out, words[i])
	}
	return out
}

// correct replaces misspelt words by the closest word the knowledge knows:
// candidates come from sahilm/fuzzy (typed letters in order) and from an
// edit distance of one (two for long words), the nearest and most similar
// winning. Words the knowledge knows, stopwords and short words are kept.
func (ix *index) correct(words []string) ([]string, map[string]string) {
	var fixed map[string]string
	out := make([]string, len(words))
	for i, w := range words {
		out[i] = w
		n := utf8.RuneCountInString(w)
		if n < 4 || ix.dictSet[w] || stopwords[w] || ix.known[Stem(w)] || isNoise(w) || isEnglish(w) {
			// Known words, and real English words ("picking" is not a
			// misspelt "parking"), are read as typed.
			continue
		}
		maxDist := 1
		if n >= 7 {
			maxDist = 2
		}
		best, bestD, bestS := "", maxDist+1, -1<<31
		// People rarely mistype the first letter: a word that differs there
		// is another word ("watches", "patches"), so only words that start
		// alike are candidates.
		first, _ := utf8.DecodeRuneInString(w)
		var pool []string
		for l := n - maxDist; l <= n+maxDist; l++ {
			pool = append(pool, ix.dictBy[dictKey{first, l}]...)
		}
		fz := map[string]int{}
		for _, m := range fuzzy.FindNoSort(w, pool) {
			fz[pool[m.Index]] = m.Score
		}
		for _, c := range pool {
			d := editDistance(w, c, maxDist)
			if d > maxDist {
				continue
			}
			if n <= 5 && utf8.RuneCountInString(c) == n && !transposed(w, c) {
				// In a short word a changed letter makes another word
				// ("byod", "bsod") more often than a typo does.
				continue
			}
			s, ok := fz[c]
			if !ok {
				s = -1000
			}
			if d < bestD || (d == bestD && s > bestS) {
				best, bestD, bestS = c, d, s
			}
		}
		if best != "" && englishCloser(w, first, n, bestD) {
			// A misspelt ordinary word ("droping") is not a domain word.
			best = ""
		}
		if best != "" {
			if fixed == nil {
				fixed = map[string]string{}
			}
			fixed[w] = best
			out[i] = best
		}
	}
	return out, fixed
}

// transposed reports whether a and b differ by two adjacent letters swapped.
func transposed(a, b string) bool {
	ra, rb := []rune(a), []rune(b)
	if len(ra) != len(rb) {
		return false
	}
	for i := 0; i+1 < len(ra); i++ {
		if ra[i] != rb[i] {
			return ra[i] == rb[i+1] && ra[i+1] == rb[i] && string(ra[i+2:]) == string(rb[i+2:])
		}
	}
	return false
}

// englishCloser reports whether an English word is nearer to w than d.
func englishCloser(w string, first rune, n, d int) bool {
	if d <= 1 {
		// Nothing but w itself is nearer; equally near words lose to the
		// knowledge's own.
		return false
	}
	by := englishBy()
	for l := n - d + 1; l <= n+d-1; l++ {
		for _, c := range by[dictKey{first, l}] {
			if editDistance(w, c, d-1) < d {
				return true
			}
		}
	}
	return false
}

// editDistance is the optimal-string-alignment distance between a and b
// (insertions, deletions, substitutions and adjacent transpositions), or
// max+1 as soon as it must exceed max.
func editDistance(a, b string, max int) int {
	ra, rb := []rune(a), []rune(b)
	if d := len(ra) - len(rb); d > max || -d > max {
		return max + 1
	}
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
			rowMin = min(rowMin, cur[j])
		}
		if rowMin > max {
			return max + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

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
