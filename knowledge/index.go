package knowledge

import (
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"
)

// What the matcher precomputes of a Base: where each stem occurs and with
// what weight, the phrases of the vocabulary, keywords and titles, the
// off-topic phrases, and the dictionary for spelling correction.

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
	// groupName names each phrase group (index: the group), for features
	// and explanations.
	groupName []string
	// pool holds scratch score slices of n entries.
	pool sync.Pool
	// corrected remembers the spelling corrections made (word → the word
	// it was read as, or ""), up to maxRemembered words.
	corrected      sync.Map
	correctedCount atomic.Int64
}

// scratch returns a zeroed slice of a score per entry, from the pool.
func (ix *index) scratch() []float64 {
	if s, ok := ix.pool.Get().(*[]float64); ok {
		return *s
	}
	return make([]float64, ix.n)
}

// release clears a scratch slice and returns it to the pool.
func (ix *index) release(s []float64) {
	clear(s)
	ix.pool.Put(&s)
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
	name    string     // the term as the overlay gives it
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
		vt := vterm{name: t.Term, entries: ids, weight: w, against: expandIDs(b, t.Not)}
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
		n:         len(b.entries),
		idf:       map[string]float64{},
		phrases:   map[string][]phrase{},
		known:     map[string]bool{},
		post:      map[string][]posting{},
		off:       map[string][][]string{},
		dictSet:   map[string]bool{},
		dictBy:    map[dictKey][]string{},
		groupName: []string{""},
	}
	ib := indexBuilder{ix: ix, owned: map[ownedPhrase]int{}}
	ib.entries(b)
	ib.vocabulary(b)
	// Every word the knowledge uses is in the dictionary for spelling
	// correction, in a fixed order: ties between corrections go the same
	// way every time.
	for _, t := range b.vocab.Terms {
		for _, f := range append([]string{t.Term}, t.Also...) {
			ib.addWords(Tokens(strings.NewReplacer(" + ", " ", " ~ ", " ").Replace(f)))
		}
	}
	for _, o := range b.vocab.off {
		ix.off[o[0]] = append(ix.off[o[0]], o)
	}
	for _, o := range b.vocab.OffTopic {
		ib.addWords(Tokens(o))
	}
	for _, first := range sortedIDs(b.vocab.syn) {
		for _, r := range b.vocab.syn[first] {
			ib.addWords(r)
		}
	}
	ib.addWords(sortedIDs(stopwords))
	ib.addWords(sortedIDs(weakwords))
	for w := range weakwords {
		ix.known[Stem(w)] = true
	}
	return ix
}

// indexBuilder builds an index.
type indexBuilder struct {
	ix *index
	// owned finds the phrase of keyword or title words already added: the
	// same words on several entries make one phrase for all of them, one
	// idea matched once, whatever the number of entries that share it.
	owned map[ownedPhrase]int // → index in ix.phrases[first stem]
}

type ownedPhrase struct {
	stems  string
	weight float64
}

// addWords adds words to the dictionary for spelling correction.
func (ib *indexBuilder) addWords(words []string) {
	ix := ib.ix
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

// newGroup names a new phrase group and returns it.
func (ib *indexBuilder) newGroup(name string) int {
	ib.ix.groupName = append(ib.ix.groupName, name)
	return len(ib.ix.groupName) - 1
}

// addPhrase adds a phrase, or its entries to the same keyword or title
// phrase already added.
func (ib *indexBuilder) addPhrase(p phrase) {
	ix := ib.ix
	if len(p.stems) == 0 {
		return
	}
	first := p.stems[0]
	if !p.vocab {
		k := ownedPhrase{strings.Join(p.stems, " "), p.weight}
		if i, ok := ib.owned[k]; ok {
			q := &ix.phrases[first][i]
			for _, e := range p.entries {
				if !slices.Contains(q.entries, e) {
					q.entries = append(q.entries, e)
				}
			}
			return
		}
		ib.owned[k] = len(ix.phrases[first])
	}
	if p.group == 0 {
		p.group = ib.newGroup(strings.Join(p.stems, " "))
	}
	ix.phrases[first] = append(ix.phrases[first], p)
	for _, s := range p.stems {
		ix.known[s] = true
	}
}

// entries indexes the entries' texts. Each entry is read apart, on every
// core; what it yields is merged in page order, so that the index is the
// same every time.
func (ib *indexBuilder) entries(b *Base) {
	ix := ib.ix
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
	read := make([]entryWords, len(b.entries))
	var wg sync.WaitGroup
	for k := range buildWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			er := entryReader{b: b, vocabForms: vocabForms, best: map[string]float64{}, seen: map[string]bool{}, stems: map[string]string{}}
			for i := k; i < len(b.entries); i += buildWorkers {
				read[i] = er.read(b.entries[i])
			}
		}()
	}
	wg.Wait()
	for i, r := range read {
		ib.addWords(r.words)
		for _, st := range r.keyPhrases {
			ib.addPhrase(phrase{stems: st, entries: []int{i}, weight: wKeyPhrase * float64(len(st))})
		}
		if len(r.titlePhrase) > 1 {
			ib.addPhrase(phrase{stems: r.titlePhrase, entries: []int{i}, weight: wTitlePhrase * float64(len(r.titlePhrase))})
		}
		for _, sw := range r.stems {
			ix.post[sw.stem] = append(ix.post[sw.stem], posting{entry: i, weight: sw.weight})
		}
	}
	for s, ps := range ix.post {
		ix.known[s] = true
		df := float64(len(ps))
		ix.idf[s] = math.Log(1 + (float64(ix.n)-df+0.5)/(df+0.5))
	}
}

// vocabulary indexes the vocabulary's terms and concepts as phrases, their
// weight shared among the entries each is tied to.
func (ib *indexBuilder) vocabulary(b *Base) {
	for _, t := range b.vocab.terms {
		var ents, against []int
		for _, id := range t.entries {
			ents = append(ents, b.pos[id])
		}
		for _, id := range t.against {
			against = append(against, b.pos[id])
		}
		share := wVocab * t.weight / math.Sqrt(float64(len(ents)))
		group := ib.newGroup(t.name)
		for _, f := range t.forms {
			ib.addPhrase(phrase{stems: f, entries: ents, weight: share, against: against, group: group, vocab: true})
		}
		for _, c := range t.combos {
			ib.ix.combos = append(ib.ix.combos, comboPhrase{c, phrase{stems: slices.Concat(c.parts...), entries: ents, weight: share, against: against, group: group, vocab: true}})
			for _, p := range c.parts {
				for _, s := range p {
					ib.ix.known[s] = true
				}
			}
		}
	}
}

// buildWorkers is how many goroutines read the entries' texts.
const buildWorkers = 4

// entryWords is what an entry's text yields for the index.
type entryWords struct {
	words       []string // the words of the texts, each once, for spelling correction
	stems       []stemWeight
	keyPhrases  [][]string // the keywords and aliases the vocabulary has not
	titlePhrase []string
}

// stemWeight is a stem of an entry with the weight of its best field.
type stemWeight struct {
	stem   string
	weight float64
}

// entryReader reads entries' texts, reusing its maps from one entry to the
// next.
type entryReader struct {
	b          *Base
	vocabForms map[string]bool
	best       map[string]float64 // stem → the weight of its best field
	seen       map[string]bool    // words met
	stems      map[string]string  // word → stem, for this reader's entries
}

// read reads an entry's title, keywords, description and split.
func (er *entryReader) read(e *Entry) entryWords {
	b := er.b
	var r entryWords
	clear(er.best)
	clear(er.seen)
	var order []string
	add := func(text string, w float64) {
		words := b.vocab.rewrite(Tokens(text))
		for _, t := range words {
			if !er.seen[t] {
				er.seen[t] = true
				r.words = append(r.words, t)
			}
			if stopwords[t] {
				continue
			}
			s, ok := er.stems[t]
			if !ok {
				s = Stem(t)
				er.stems[t] = s
			}
			ww := w
			if weakwords[t] {
				ww *= wWeak
			}
			prev, seen := er.best[s]
			if !seen {
				order = append(order, s)
			}
			if ww > prev {
				er.best[s] = ww
			}
		}
	}
	add(e.Title, wTitle)
	for _, k := range slices.Concat(e.Keywords, e.Aliases) {
		add(k, wKeyword)
		if st := content(b.vocab.rewrite(Tokens(k))); len(st) > 0 && !er.vocabForms[e.ID+" "+strings.Join(st, " ")] {
			r.keyPhrases = append(r.keyPhrases, st)
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
	r.titlePhrase = content(b.vocab.rewrite(Tokens(e.Title)))
	r.stems = make([]stemWeight, len(order))
	for i, s := range order {
		r.stems[i] = stemWeight{s, er.best[s]}
	}
	return r
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
