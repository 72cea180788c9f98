package knowledge

import "slices"

// Teaching: what admins decide on the review page, from the questions the
// bot could not answer or got wrong, are examples. Teach makes them answer
// at once, for the very question decided; Learn also trains the model on
// them, so that questions like them follow.

// Teach returns a copy of the base that answers each example's question
// (folded: case, spacing and trailing punctuation aside) as the example
// says, whatever the model says: its entries, or "I don't know" for one
// out of scope. The model is not retrained (see Learn); examples naming
// entries the base does not have are left out. The given examples replace
// those taught before.
func (b *Base) Teach(exs []Example) *Base {
	c := *b
	c.taught = make(map[string]Example, len(exs))
	for _, ex := range b.usable(exs) {
		if k := Fold(ex.Q); k != "" {
			c.taught[k] = ex
		}
	}
	return &c
}

// Learn returns a copy of the base trained on its examples and the given
// ones, which replace its own examples of the same question, and taught
// them (Teach). The model weighs each of them as taughtWeight examples: an
// admin's decision is this organisation's own word, where the base's
// examples were written for every organisation. It costs what loading the
// knowledge costs. A base without
// examples of its own has no model to train (a few decisions would make a
// poor one): it is only taught.
func (b *Base) Learn(exs []Example) *Base {
	given := b.usable(exs)
	if len(given) == 0 || len(b.examples) == 0 {
		return b.Teach(given)
	}
	asked := make(map[string]bool, len(given))
	for _, ex := range given {
		asked[Fold(ex.Q)] = true
	}
	own := slices.DeleteFunc(slices.Clone(b.examples), func(ex Example) bool { return asked[Fold(ex.Q)] })
	c := b.Teach(given)
	c.examples = append(own, given...)
	c.learnt = &learning{}
	c.model, c.sides = c.fit(c.prepared(), c.examples)
	return c
}

// teach turns the verdict on a question into the one an admin decided.
// The matches keep the model's ranking after the entries taught, so that
// whoever looks at the result still sees what the model thought.
func (b *Base) teach(r Result, ex Example) Result {
	r.Taught = true
	if !ex.InScope() {
		r.Verdict = Verdict{Band: BandUnknown}
		r.OutOfScope = 1
		return r
	}
	ms := make([]Match, 0, MaxMatches)
	for _, id := range ex.Expect {
		e := b.byID[id]
		ms = append(ms, Match{Entry: e, Score: 1})
	}
	for _, m := range r.Matches {
		if len(ms) == MaxMatches {
			break
		}
		if !slices.Contains(ex.Expect, m.Entry.ID) {
			ms = append(ms, m)
		}
	}
	for i, m := range ms[:len(ex.Expect)] {
		for _, old := range r.Matches {
			if old.Entry == m.Entry {
				ms[i].Lexical = old.Lexical
			}
		}
	}
	r.Matches = ms
	r.OutOfScope = 0
	r.Verdict = Verdict{Confidence: 1, Band: BandAnswer, Side: ms[0].Entry.Owner}
	if len(ex.Expect) > 1 && ms[0].Entry.Side != ms[1].Entry.Side {
		r.BothSides, r.Choices = true, 2
	}
	if r.Side == OwnerShared {
		switch ex.Side {
		case "microsoft":
			r.Side = OwnerMicrosoft
		case "customer":
			r.Side = OwnerCustomer
		}
	}
	return r
}
