package knowledge

import (
	"slices"
)

// Choosing the bands from held-out predictions: each example scored by a
// model that never saw it.

// Scored is one held-out prediction: what the model said of an example it
// was not trained on.
type Scored struct {
	InScope bool `json:"in_scope"`
	// Probs are the probabilities of the best entries, best first (at most
	// MaxAlternatives); OutOfScope that of "out of scope".
	Probs      []float64 `json:"probs"`
	OutOfScope float64   `json:"out_of_scope"`
	// Right is the rank among Probs of the first right entry, -1 if none.
	Right int `json:"right"`
	// CrossSides: the two best entries come from different sides.
	CrossSides bool `json:"cross_sides"`
}

// ScoreExample turns a result into a held-out prediction for an example.
func ScoreExample(ex Example, r Result) Scored {
	s := Scored{InScope: ex.InScope(), OutOfScope: r.OutOfScope, Right: -1}
	for i, m := range r.Matches[:min(len(r.Matches), MaxAlternatives)] {
		s.Probs = append(s.Probs, m.Score)
		if s.Right < 0 && slices.Contains(ex.Expect, m.Entry.ID) {
			s.Right = i
		}
	}
	if len(r.Matches) > 1 {
		s.CrossSides = r.Matches[0].Entry.Side != r.Matches[1].Entry.Side
	}
	return s
}

// verdict is what bands make of a held-out prediction: whether the bot
// answers, how many choices it offers, and the first right one among them.
func (bd Bands) verdict(s Scored) (answered bool, choices int) {
	if len(s.Probs) == 0 {
		return false, 0
	}
	choices = closeChoices(bd, s.Probs)
	mass := 0.0
	for _, p := range s.Probs[:choices] {
		mass += p
	}
	return s.OutOfScope < bd.OutOfScope && mass >= bd.Unknown, choices
}

// closeChoices counts the entries close enough to the best to be offered
// with it.
func closeChoices(bd Bands, probs []float64) int {
	n := 1
	for n < len(probs) && n < MaxAlternatives && probs[n] >= bd.Close*probs[0] {
		n++
	}
	return n
}

// suggestCost is what a "did you mean" costs a person, against 1 for a
// wrong answer given outright: reading two or three titles and picking one,
// where a wrong answer sends a ticket to the wrong team. It is a product
// decision, not learnt: with calibrated probabilities, offering the runner
// up pays when its probability exceeds suggestCost/(1-suggestCost) of the
// best's, and the close ratio the held-out predictions choose lands near.
const suggestCost = 0.25

// BandsFit is how well bands do on held-out predictions: Score is the mean
// of top-1 accuracy in scope and abstention out of scope; Cost counts wrong
// answers given outright, plus suggestCost for each "did you mean", per
// question in scope.
type BandsFit struct {
	Score float64 `json:"score"`
	Cost  float64 `json:"cost"`
}

// FitBands measures bands on held-out predictions.
func FitBands(scored []Scored, bd Bands) BandsFit {
	var in, out, okIn, okOut int
	cost := 0.0
	for _, s := range scored {
		if s.InScope {
			in++
		} else {
			out++
		}
		answered, choices := bd.verdict(s)
		switch {
		case !s.InScope && !answered:
			okOut++
		case !s.InScope:
			cost++
		case !answered:
		case s.Right == 0:
			okIn++
			if choices > 1 && !s.CrossSides {
				cost += suggestCost
			}
		case s.Right > 0 && s.Right < choices && !(choices == 2 && s.CrossSides):
			cost += suggestCost
		case s.Right > 0 && s.Right < choices:
			// An answer naming both sides, the right one second.
		default:
			cost++
		}
	}
	var f BandsFit
	if in > 0 && out > 0 {
		f.Score = (float64(okIn)/float64(in) + float64(okOut)/float64(out)) / 2
		f.Cost = cost / float64(in)
	}
	return f
}

// ChooseBands picks the bands that do best on held-out predictions: the
// highest score; among bands within a hair of it, the lowest cost.
func ChooseBands(scored []Scored) Bands {
	type candidate struct {
		bd  Bands
		fit BandsFit
	}
	var cands []candidate
	for c := 0.2; c < 0.951; c += 0.05 {
		for u := 0.0; u < 0.951; u += 0.05 {
			for o := 0.05; o < 0.951; o += 0.05 {
				bd := Bands{OutOfScope: round(o), Unknown: round(u), Close: round(c)}
				cands = append(cands, candidate{bd, FitBands(scored, bd)})
			}
		}
	}
	best := 0.0
	for _, c := range cands {
		best = max(best, c.fit.Score)
	}
	if best == 0 {
		return DefaultBands
	}
	// Among the bands within a hair of the best score, the cheapest; ties
	// go to the first: the lowest close ratio and thresholds.
	var pick *candidate
	for i := range cands {
		if c := &cands[i]; c.fit.Score >= best-BandsHair && (pick == nil || c.fit.Cost < pick.fit.Cost) {
			pick = c
		}
	}
	return pick.bd
}

// BandsHair is how far under the best score bands may stand and still be
// as good: a question or two in a few thousand.
const BandsHair = 0.002
