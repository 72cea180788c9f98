package knowledge

import (
	"hash/maphash"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"
)

// The third stage of matching: what the model sees of a question. Features
// of the question itself (its stems, pairs of stems, character n-grams of
// its words as typed, the vocabulary's concepts and off-topic words found,
// and how much of it the lexical matcher explains) feed one weight per
// class; features of each entry for the question (its lexical score, its
// rank, what the vocabulary says of it) feed weights shared by all entries,
// so that the lexical matcher's judgement carries over to entries and
// concepts no example mentions.

// featureFamily names a kind of feature; it prefixes the feature's key.
type featureFamily byte

// The families of question features.
const (
	famStem    featureFamily = 'w' // a topic word's stem
	famPair    featureFamily = 'b' // two consecutive topic stems
	famChars   featureFamily = 'c' // a character trigram of a typed word
	famConcept featureFamily = 'p' // a vocabulary term, keyword or title found as a phrase
	famOff     featureFamily = 'o' // an off-topic word
	famGlobal  featureFamily = 'g' // a measure of the whole question
)

// charGram is the length of the character n-grams, chosen by
// cross-validation with 3 to 5 (docs/matching.md): trigrams do as well as
// longer ones, at a fraction of the features.
const charGram = 3

// The measures of the whole question, features of family famGlobal.
var globalNames = []string{
	"lexical confidence", "ideas explained", "ideas known elsewhere",
	"unknown words", "off-topic words", "topic words", "best lexical score",
	"second to best lexical score", "off-topic share of the ideas",
	"best vocabulary evidence", "off-topic without vocabulary",
}

// The features of an entry for a question, with weights shared by all
// entries.
var entryFeatureNames = []string{
	"lexical score", "lexical score relative to the best", "lexical best",
	"vocabulary evidence", "argued against", "lexical confidence if best",
}

// numEntryFeatures is the number of features of an entry for a question.
const numEntryFeatures = 6

// feature is one question feature: its key and value.
type feature struct {
	key uint64
	val float64
}

// observation is what the model sees of one question.
type observation struct {
	feats []feature
	// names holds each feature's readable name, when traced.
	names []string
	// cands are the entries considered, and ent their entry features.
	cands []int
	ent   [][numEntryFeatures]float64
}

// featureSeed makes feature keys stable for the life of the process; models
// are trained and used in the same process, never stored.
var featureSeed = maphash.MakeSeed()

func featureKey(f featureFamily, s string) uint64 {
	var h maphash.Hash
	h.SetSeed(featureSeed)
	h.WriteByte(byte(f))
	h.WriteString(s)
	return h.Sum64()
}

// observe extracts the features of an analysed and matched question. cands
// are the entries to consider: every entry the model has a class for, and
// the lexical matcher's best.
func (b *Base) observe(a *analysis, lx *lexical, classes []int, trace bool) observation {
	var o observation
	add := func(f featureFamily, s string, v float64) {
		o.feats = append(o.feats, feature{featureKey(f, s), v})
		if trace {
			o.names = append(o.names, string(f)+":"+s)
		}
	}
	// Stems and pairs of stems of the topic words, then character n-grams
	// of the words as typed (for misspellings and forms the stemmer does
	// not join), each counted as often as it occurs. They are not scaled to
	// the length of the message: scaled, the words of a long message each
	// weigh little, and a clear question told at length looked out of
	// scope (cross-validation preferred counts, docs/matching.md).
	from := len(o.feats)
	for k := range a.topic {
		add(famStem, a.topicStem(k), 1)
		if k > 0 {
			add(famPair, a.topicStem(k-1)+" "+a.topicStem(k), 1)
		}
	}
	o.block(from)
	from = len(o.feats)
	var buf [64]byte
	for _, w := range a.typed {
		if stopwords[w] || utf8.RuneCountInString(w) < charGram || len(w)+2 > len(buf) {
			continue
		}
		g := append(append(append(buf[:0], '<'), w...), '>')
		for i := 0; i+charGram <= len(g); i++ {
			add(famChars, string(g[i:i+charGram]), 1)
		}
	}
	o.block(from)
	for _, g := range lx.groups {
		add(famConcept, strconv.Itoa(g), 1)
	}
	for _, w := range lx.offWords {
		add(famOff, w, 1)
	}
	// Measures of the whole question.
	top, second := 0.0, 0.0
	if len(lx.order) > 0 {
		top = lx.scores[lx.order[0]]
	}
	if len(lx.order) > 1 && top > 0 {
		second = lx.scores[lx.order[1]] / top
	}
	// A word of a topic outside MMD counts for less when the question is
	// about the IT estate all the same: the share of the ideas it is, and
	// whether anything of the vocabulary stands beside it.
	bestVocab := 0.0
	for _, h := range lx.phrases {
		if h.vocab {
			bestVocab = max(bestVocab, h.score)
		}
	}
	offShare := float64(lx.offTopic) / float64(lx.offTopic+lx.covered+lx.known+1)
	offAlone := 0.0
	if lx.offTopic > 0 && bestVocab == 0 {
		offAlone = 1
	}
	for i, v := range []float64{
		lx.confidence, math.Log1p(float64(lx.covered)), math.Log1p(float64(lx.known)),
		math.Log1p(float64(lx.unknown)), math.Log1p(float64(lx.offTopic)), math.Log1p(float64(len(a.topic))),
		math.Log1p(top), second, offShare, math.Log1p(bestVocab), offAlone,
	} {
		add(famGlobal, globalNames[i], v)
	}
	if trace {
		for i, n := range o.names {
			if n[0] == byte(famConcept) {
				g, _ := strconv.Atoi(n[2:])
				o.names[i] = "concept:" + b.index.groupName[g]
			}
		}
	}

	// The entries to consider, and their features.
	o.cands = append(o.cands, classes...)
	for _, e := range lx.order {
		if !containsInt(o.cands, e) {
			o.cands = append(o.cands, e)
		}
	}
	o.ent = make([][numEntryFeatures]float64, len(o.cands))
	for i, e := range o.cands {
		s := lx.scores[e]
		f := &o.ent[i]
		f[0] = math.Log1p(s)
		if top > 0 {
			f[1] = s / top
		}
		if len(lx.order) > 0 && lx.order[0] == e {
			f[2] = 1
			f[5] = lx.confidence
		}
		f[3] = math.Log1p(lx.vocabScore(e))
		if containsInt(lx.against, e) {
			f[4] = 1
		}
	}
	return o
}

// block merges the features from index from on that share a key, adding
// their values: a feature counts its occurrences.
func (o *observation) block(from int) {
	fs := o.feats[from:]
	n := 0
	for i, f := range fs {
		j := slices.IndexFunc(fs[:n], func(g feature) bool { return g.key == f.key })
		if j >= 0 {
			fs[j].val += f.val
			continue
		}
		fs[n] = f
		if o.names != nil {
			o.names[from+n] = o.names[from+i]
		}
		n++
	}
	o.feats = o.feats[:from+n]
	if o.names != nil {
		o.names = o.names[:from+n]
	}
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
