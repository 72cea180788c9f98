package knowledge

import (
	"slices"
	"strconv"
	"strings"
)

// The second stage of matching: the analysed question is matched against
// the index. Each entry collects evidence (phrases of the vocabulary, its
// keywords and title; topic words found in its text; terms that argue
// against it), and the evidence adds up to the entry's lexical score. Then
// each idea of the question is judged as explained by the best entry, known
// elsewhere, unknown or off-topic.

// EvidenceKind says what a piece of evidence is.
type EvidenceKind string

// The kinds of evidence.
const (
	// EvidencePhrase: a vocabulary term, a keyword or alias, or the title,
	// found as a phrase.
	EvidencePhrase EvidenceKind = "phrase"
	// EvidenceWord: a topic word found in the entry's text.
	EvidenceWord EvidenceKind = "word"
	// EvidenceAgainst: a term that argues against the entry ("not in MMD"
	// against Microsoft's rows); its score is negative.
	EvidenceAgainst EvidenceKind = "against"
)

// Evidence is one thing the matcher found for an entry. The scores of an
// entry's evidence add up to its lexical score.
type Evidence struct {
	Entry string       `json:"entry"`
	Kind  EvidenceKind `json:"kind"`
	What  string       `json:"what"`
	Score float64      `json:"score"`
}

// lexical is what the matching stage found in a question.
type lexical struct {
	// scores holds every entry's lexical score; it comes from the index's
	// pool and goes back with release.
	scores []float64
	// order holds the best entries, best first (at most MaxMatches).
	order []int
	// groups lists the phrase groups (vocabulary terms, keywords, titles)
	// found, each once.
	groups []int
	// The ideas of the question (a phrase, or a topic word on its own):
	// explained by the best entry, known elsewhere, unknown, off-topic.
	covered, known, unknown, offTopic int
	// confidence is the lexical matcher's own confidence in its best
	// entry (see docs/matching.md).
	confidence float64
	// phrases lists what each phrase found gave, for the vocabulary's
	// evidence of an entry; against lists the entries argued against.
	phrases []phraseHit
	against []int
	// offWords are the off-topic words of the question, as typed.
	offWords []string
	// evidence is filled only when the match is traced.
	evidence []Evidence
}

// phraseHit is what one phrase gave its entries.
type phraseHit struct {
	entries []int
	score   float64
	vocab   bool
}

// vocabScore is what the vocabulary's terms gave entry e.
func (lx *lexical) vocabScore(e int) float64 {
	s := 0.0
	for _, h := range lx.phrases {
		if h.vocab && containsInt(h.entries, e) {
			s += h.score
		}
	}
	return s
}

// span is where a phrase stands in the question's words, and the entries it
// speaks for.
type span struct {
	from, to int // words[from:to]
	entries  []int
	vocab    bool
}

// matcher holds the state of matching one question.
type matcher struct {
	b     *Base
	ix    *index
	a     *analysis
	lx    *lexical
	trace bool
	// cont holds the stems of the topic words; offWord marks those that
	// are off-topic, inPhrase those inside a phrase of topic words.
	cont              []string
	offWord, inPhrase []bool
	seen              map[int]float64 // phrase group → the weight it was counted with
	against           []int
	spans             []span
}

// found is a phrase found in the question.
type found struct {
	p        *phrase
	w        float64
	from, to int
}

// match finds the evidence for every entry: phrases, then the forms whose
// words stand apart, then words; then the terms that argue against entries.
// Last, it judges how much of the question the best entry explains.
func (b *Base) match(a *analysis, trace bool) lexical {
	lx := lexical{scores: b.index.scratch()}
	m := matcher{b: b, ix: b.index, a: a, lx: &lx, trace: trace, seen: map[int]float64{}}
	m.cont = make([]string, len(a.topic))
	for k := range a.topic {
		m.cont[k] = a.topicStem(k)
	}
	m.offWord = slices.Clone(a.off)
	m.inPhrase = make([]bool, len(m.cont))
	m.phrases()
	m.combos()
	m.knowledgeBeatsOffTopic()
	m.words()
	m.argueAgainst()
	lx.order = topK(lx.scores, MaxMatches)
	lx.count(a, m.ix, m.cont, m.offWord, m.inPhrase, m.spans)
	for k, off := range m.offWord {
		if off {
			lx.offWords = append(lx.offWords, a.topicWord(k))
		}
	}
	if len(lx.order) > 0 {
		lx.confidence = lexicalConfidence(lx.scores[lx.order[0]], lx.covered, lx.unknown, lx.offTopic)
	}
	return lx
}

// note records a piece of evidence when the match is traced.
func (m *matcher) note(e int, kind EvidenceKind, what string, s float64) {
	if m.trace {
		m.lx.evidence = append(m.lx.evidence, Evidence{m.b.entries[e].ID, kind, what, s})
	}
}

// hit counts a phrase found: a term counts once, with its strongest
// occurrence.
func (m *matcher) hit(p *phrase, w float64, from, to int) {
	m.spans = append(m.spans, span{from, to, p.entries, p.vocab})
	prev, counted := m.seen[p.group]
	if counted && w <= prev {
		return
	}
	m.seen[p.group] = w
	if !counted {
		m.lx.groups = append(m.lx.groups, p.group)
		m.against = append(m.against, p.against...)
	}
	w -= prev
	m.lx.phrases = append(m.lx.phrases, phraseHit{p.entries, p.weight * w, p.vocab})
	for _, e := range p.entries {
		m.lx.scores[e] += p.weight * w
		m.note(e, EvidencePhrase, strings.Join(p.stems, " "), p.weight*w)
	}
}

// phrases finds the vocabulary terms, keywords and titles, on the whole
// question and on its topic words alone.
func (m *matcher) phrases() {
	a := m.a
	var hits []found
	m.ix.eachPhrase(a.stems, func(p *phrase, i int) {
		w := 1.0
		if len(p.stems) == 1 {
			w = a.weight[i]
		}
		hits = append(hits, found{p, w, i, i + len(p.stems)})
	})
	m.ix.eachPhrase(m.cont, func(p *phrase, k int) {
		w := 1.0
		if len(p.stems) == 1 {
			w = a.weight[a.topic[k]]
		}
		hits = append(hits, found{p, w, a.topic[k], a.topic[k+len(p.stems)-1] + 1})
		for j := k; j < k+len(p.stems); j++ {
			m.inPhrase[j] = true
		}
	})
	var vocabHits []found // few: compared with each other only
	for _, h := range hits {
		if h.p.vocab {
			vocabHits = append(vocabHits, h)
		}
	}
	for _, h := range hits {
		if !h.p.vocab || !insideLonger(h, vocabHits) {
			m.hit(h.p, h.w, h.from, h.to)
		}
	}
}

// insideLonger reports whether a vocabulary form lies inside a longer one of
// another term: "network" inside "cut off from the network" is part of that
// idea, not one of its own.
func insideLonger(h found, vocabHits []found) bool {
	for _, o := range vocabHits {
		if o.p.group != h.p.group && o.from <= h.from && h.to <= o.to && o.to-o.from > h.to-h.from {
			return true
		}
	}
	return false
}

// combos finds the forms whose words stand apart, on the whole question.
func (m *matcher) combos() {
	for k := range m.ix.combos {
		c := &m.ix.combos[k]
		where, ok := c.find(m.a.stems)
		if !ok {
			continue
		}
		m.hit(&c.phrase, 1, where[0][0], where[0][1])
		for _, sp := range where[1:] {
			m.spans = append(m.spans, span{sp[0], sp[1], c.entries, true})
		}
	}
}

// knowledgeBeatsOffTopic clears the off-topic mark of a word inside a
// vocabulary phrase of several words ("book" in "address book") or inside
// an entry's own title or keywords: the knowledge beats the off-topic list.
func (m *matcher) knowledgeBeatsOffTopic() {
	for k := range m.offWord {
		for _, sp := range m.spans {
			if (!sp.vocab || sp.to-sp.from > 1) && m.a.topic[k] >= sp.from && m.a.topic[k] < sp.to {
				m.offWord[k] = false
			}
		}
	}
}

// words counts each topic word once, by its best field in each entry. A
// word that is part of a vocabulary term counts through the term mostly:
// the vocabulary says which entries it means.
func (m *matcher) words() {
	a := m.a
	consumed := make([]bool, len(a.words))
	for _, sp := range m.spans {
		if sp.vocab {
			for i := sp.from; i < sp.to; i++ {
				consumed[i] = true
			}
		}
	}
	for k, s := range m.cont {
		if slices.Index(m.cont, s) < k {
			continue // counted at its first occurrence
		}
		idf := m.ix.idf[s] * a.weight[a.topic[k]]
		if consumed[a.topic[k]] {
			idf *= consumedWeight
		}
		for _, p := range m.ix.post[s] {
			m.lx.scores[p.entry] += idf * p.weight
			m.note(p.entry, EvidenceWord, s, idf*p.weight)
		}
	}
}

// argueAgainst cuts the scores of the entries a term argued against.
func (m *matcher) argueAgainst() {
	for _, e := range m.against {
		m.note(e, EvidenceAgainst, "argued against: score ×"+strconv.FormatFloat(againstFactor, 'f', -1, 64), -(1-againstFactor)*m.lx.scores[e])
		m.lx.scores[e] *= againstFactor
	}
	m.lx.against = m.against
}

// count judges each idea of the question against the best entry: explained
// by it, known to the knowledge but not explaining it, unknown, or
// off-topic.
func (lx *lexical) count(a *analysis, ix *index, cont []string, offWord, inPhrase []bool, spans []span) {
	top := -1
	if len(lx.order) > 0 {
		top = lx.order[0]
	}
	// explains returns what explains topic word k for the best entry: the
	// phrase it is part of (a phrase is one idea, however many words), or
	// the word itself; "" when nothing does.
	explains := func(k int) string {
		for i, sp := range spans {
			if a.topic[k] >= sp.from && a.topic[k] < sp.to && slices.Contains(sp.entries, top) {
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
		w := a.topicWord(k)
		var idea string
		if top >= 0 {
			idea = explains(k)
		}
		switch {
		case offWord[k]:
			lx.offTopic++
		case weakwords[w] || isNoise(w):
			// In MMD's world but vague, or too short to tell: neutral.
		case idea != "":
			if !ideas[idea] {
				ideas[idea] = true
				lx.covered++
			}
		case inPhrase[k] || ix.known[s]:
			lx.known++
		default:
			lx.unknown++
		}
	}
	// A vocabulary form made of small words only ("is down") is an idea
	// too, though none of its words is a topic word.
	for _, sp := range spans {
		if !sp.vocab || top < 0 || !slices.Contains(sp.entries, top) {
			continue
		}
		small := true
		for _, j := range a.topic {
			small = small && (j < sp.from || j >= sp.to)
		}
		if small {
			lx.covered++
			break
		}
	}
}
