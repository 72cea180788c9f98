package knowledge

import (
	"math"
	"slices"
	"strconv"
)

// The last stage of matching: the probabilities (or, without a model, the
// lexical scores) become a verdict: answer, "did you mean", or "I don't
// know", with a confidence.

// Bands are the thresholds that turn the model's probabilities into a band.
// They are chosen from cross-validated probabilities (mmdbot eval
// --cross-validate --bands), not by hand, and kept in the knowledge file.
type Bands struct {
	// OutOfScope: at or above this probability of "out of scope", the bot
	// does not know.
	OutOfScope float64 `json:"out_of_scope" yaml:"out_of_scope"`
	// Unknown: below this probability of the entries offered (the best
	// one, and those close to it), the bot does not know either.
	Unknown float64 `json:"unknown" yaml:"unknown"`
	// Close: an entry whose probability is at least this share of the
	// best's is a close alternative, offered in "did you mean".
	Close float64 `json:"close" yaml:"close"`
}

// Bands returns the thresholds the base turns probabilities into bands with.
func (b *Base) Bands() Bands { return b.bands }

// DefaultBands are the bands of a knowledge file that gives none.
var DefaultBands = Bands{OutOfScope: 0.5, Unknown: 0.45, Close: 0.5}

// judge decides the band from the model's probabilities: probs per
// candidate, order the candidates best first, matches the best of them. The
// entries close to the best are offered with it; the bot does not know when
// "out of scope" is as probable as the OutOfScope band, or when the entries
// offered together are less probable than the Unknown band.
func (bd Bands) judge(matches []Match, probs []float64, order []int, oos float64) Verdict {
	if len(matches) == 0 {
		return Verdict{Band: BandUnknown}
	}
	top := make([]float64, 0, MaxAlternatives)
	for _, i := range order[:min(len(order), MaxAlternatives, len(matches))] {
		top = append(top, probs[i])
	}
	alts := closeChoices(bd, top)
	mass := 0.0
	for _, p := range top[:alts] {
		mass += p
	}
	v := Verdict{Confidence: round(mass), Band: BandUnknown}
	if oos >= bd.OutOfScope || mass < bd.Unknown {
		return v
	}
	return choose(v, matches, alts)
}

// choose sets the band of a confident verdict from its number of close
// alternatives: one is an answer; two from different sides an answer that
// names both; more a "did you mean".
func choose(v Verdict, matches []Match, alts int) Verdict {
	switch {
	case alts == 1:
		v.Band = BandAnswer
	case alts == 2 && matches[0].Entry.Side != matches[1].Entry.Side:
		v.Band, v.Choices, v.BothSides = BandAnswer, 2, true
	default:
		v.Band, v.Choices = BandSuggest, alts
	}
	return v
}

// The lexical matcher's own thresholds, for knowledge without examples (see
// docs/matching.md).
const (
	// lexicalUnknown is the confidence below which the bot does not know.
	lexicalUnknown = 0.35
	// closeRatio: an entry whose score is at least this share of the one
	// above it is a close alternative…
	closeRatio = 0.78
	// topRatio: …if it also scores at least this share of the best.
	topRatio = 0.62
)

// lexicalConfidence is the lexical matcher's confidence in its best entry:
// how strong its score is, times how much of the question it explains.
func lexicalConfidence(top float64, covered, unknownWords, offTopic int) float64 {
	strength := 1 - math.Exp(-top/strengthScale)
	// Unknown words weigh less each as they add up: a long message carries
	// chatter around its question.
	unknown := unknownWeight * math.Pow(float64(unknownWords), unknownExponent)
	// The first off-topic word says most: a story told around a question
	// ("the CEO's all-hands starts in 20 minutes") may carry several.
	off := 0.0
	if offTopic > 0 {
		off = offTopicWeight + offTopicMore*float64(offTopic-1)
	}
	cover := (float64(covered) + 0.5) / (float64(covered) + 0.5 + unknown + off)
	return round(strength * cover)
}

// judgeLexical decides the band from lexical scores alone.
func judgeLexical(lx *lexical, matches []Match) Verdict {
	if len(matches) == 0 {
		return Verdict{Band: BandUnknown}
	}
	v := Verdict{Confidence: lx.confidence, Band: BandUnknown}
	if v.Confidence < lexicalUnknown {
		return v
	}
	// Close alternatives, in the manner of active learning: each must be
	// close to the one above it and to the best.
	top := matches[0].Lexical
	alts := 1
	for k := 1; k < len(matches) && k < MaxAlternatives; k++ {
		s := matches[k].Lexical
		if s < closeRatio*matches[k-1].Lexical || s < topRatio*top {
			break
		}
		alts++
	}
	return choose(v, matches, alts)
}

// weigh explains a prediction: per candidate and for out of scope, the
// contributions to its logit, largest first.
func (m *model) weigh(b *Base, o *observation, p *prediction) []Weighing {
	var out []Weighing
	contrib := func(c int) []Contribution {
		cs := []Contribution{{"bias", m.bias[c]}}
		for j, f := range o.feats {
			if r, ok := m.rows[f.key]; ok {
				if s := f.val * m.w[int(r)*m.nclass+c]; s != 0 {
					cs = append(cs, Contribution{o.names[j], s})
				}
			}
		}
		return cs
	}
	for i, e := range o.cands {
		var cs []Contribution
		if c := m.classOf[e]; c >= 0 {
			cs = contrib(c)
		} else {
			cs = []Contribution{{"bias of entries without examples", m.bias[m.nclass]}}
		}
		for k, v := range o.ent[i] {
			if s := m.u[k] * v; s != 0 {
				cs = append(cs, Contribution{"entry: " + entryFeatureNames[k] + " " + strconv.FormatFloat(v, 'f', 2, 64), s})
			}
		}
		out = append(out, Weighing{Entry: b.entries[e].ID, Logit: p.logits[i], Probability: p.probs[i], Contributions: cs})
	}
	n := len(o.cands)
	out = append(out, Weighing{Entry: "", Logit: p.logits[n], Probability: p.probs[n], Contributions: contrib(m.oos())})
	for i := range out {
		slices.SortStableFunc(out[i].Contributions, func(a, b Contribution) int {
			switch {
			case math.Abs(a.Score) > math.Abs(b.Score):
				return -1
			case math.Abs(a.Score) < math.Abs(b.Score):
				return 1
			}
			return 0
		})
	}
	slices.SortStableFunc(out, func(a, b Weighing) int {
		switch {
		case a.Probability > b.Probability:
			return -1
		case a.Probability < b.Probability:
			return 1
		}
		return 0
	})
	return out
}
