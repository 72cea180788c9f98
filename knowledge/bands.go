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

// ChooseBands picks the bands that do best on held-out predictions: first
// the mean of top-1 accuracy (in scope) and abstention (out of scope); among
// bands within a hair of the best, the fewest wrong answers given outright
// plus suggestCost for each "did you mean".
func ChooseBands(scored []Scored) Bands {
	var in, out int
	for _, s := range scored {
		if s.InScope {
			in++
		} else {
			out++
		}
	}
	if in == 0 || out == 0 {
		return DefaultBands
	}
	type candidate struct {
		bd         Bands
		score, cst float64
	}
	var cands []candidate
	for c := 0.2; c < 0.951; c += 0.05 {
		for u := 0.0; u < 0.951; u += 0.05 {
			for o := 0.05; o < 0.951; o += 0.05 {
				bd := Bands{OutOfScope: round(o), Unknown: round(u), Close: round(c)}
				var okIn, okOut int
				cost := 0.0
				for _, s := range scored {
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
				score := (float64(okIn)/float64(in) + float64(okOut)/float64(out)) / 2
				cands = append(cands, candidate{bd, score, cost})
			}
		}
	}
	best := slices.MaxFunc(cands, func(a, b candidate) int {
		switch {
		case a.score < b.score:
			return -1
		case a.score > b.score:
			return 1
		}
		return 0
	}).score
	// Among the bands within a hair of the best score, the cheapest; ties
	// go to the first: the lowest close ratio and thresholds.
	var pick *candidate
	for i := range cands {
		if c := &cands[i]; c.score >= best-0.002 && (pick == nil || c.cst < pick.cst) {
			pick = c
		}
	}
	return pick.bd
}
