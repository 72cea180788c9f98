package knowledge

import (
	"embed"
	"fmt"
	"path"
	"slices"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

// Examples are knowledge: labelled questions, each with the entries that are
// a right answer or none for out of scope. The model of a Base is trained on
// them when it loads.

// Example is one labelled question. Its YAML form is that of a question set
// (eval/README.md): q, expect, and optionally side and tags.
type Example struct {
	Q      string   `yaml:"q" json:"q"`
	Expect []string `yaml:"expect" json:"expect"`
	// Side, for a question about a shared entry, says which side does the
	// part asked about: microsoft, customer or both.
	Side string   `yaml:"side,omitempty" json:"side,omitempty"`
	Tags []string `yaml:"tags,omitempty" json:"tags,omitempty"`
	// Set names the file the example comes from: cross-validation leaves
	// one set out at a time. Line is where it stands in that file.
	Set  string `yaml:"-" json:"set,omitempty"`
	Line int    `yaml:"-" json:"line,omitempty"`
}

// InScope reports whether the example expects an answer.
func (ex Example) InScope() bool { return len(ex.Expect) > 0 }

// embeddedExamples are the project's labelled question sets.
//
//go:embed data/examples/*.yaml
var embeddedExamples embed.FS

// defaultExamples returns the embedded examples, read once.
var defaultExamples = sync.OnceValues(func() ([]Example, error) {
	files, err := embeddedExamples.ReadDir("data/examples")
	if err != nil {
		return nil, err
	}
	var all []Example
	for _, f := range files {
		data, err := embeddedExamples.ReadFile(path.Join("data/examples", f.Name()))
		if err != nil {
			return nil, err
		}
		exs, err := ParseExamples(f.Name(), data)
		if err != nil {
			return nil, err
		}
		all = append(all, exs...)
	}
	return all, nil
})

// ParseExamples reads a question set: a YAML list of {q, expect, side,
// tags}. Errors name the file and line.
func ParseExamples(name string, data []byte) ([]Example, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, Errors{yamlError(name, err)}
	}
	if len(doc.Content) == 0 {
		return nil, Errors{{File: name, Msg: "the question set is empty"}}
	}
	return examplesOf(name, doc.Content[0])
}

// examplesOf reads a YAML list of examples.
func examplesOf(name string, root *yaml.Node) ([]Example, error) {
	var errs Errors
	bad := func(n *yaml.Node, format string, args ...any) {
		errs = append(errs, &LoadError{File: name, Line: n.Line, Msg: fmt.Sprintf(format, args...)})
	}
	if root.Kind != yaml.SequenceNode {
		bad(root, "examples are a list of {q, expect, side, tags}")
		return nil, errs
	}
	var exs []Example
	seen := map[string]int{}
	for _, n := range root.Content {
		checkKeys(n, exampleKeys, "an example", bad)
		var ex Example
		if err := n.Decode(&ex); err != nil {
			bad(n, "example: %v", trimYAML(err))
			continue
		}
		ex.Set, ex.Line = name, n.Line
		key := normalQuestion(ex.Q)
		switch {
		case key == "":
			bad(n, "an example needs a question (q)")
			continue
		case !hasKey(n, "expect"):
			bad(n, "example %q needs expect: the ids of its right answers, or [] for out of scope", ex.Q)
			continue
		case ex.Side != "" && ex.Side != "microsoft" && ex.Side != "customer" && ex.Side != "both":
			bad(valueNode(n, "side"), "example %q: side %q is not microsoft, customer or both", ex.Q, ex.Side)
		}
		if prev, dup := seen[key]; dup {
			bad(n, "example %q is already given at line %d", ex.Q, prev)
			continue
		}
		seen[key] = n.Line
		for i, id := range ex.Expect {
			ex.Expect[i] = strings.ToLower(strings.TrimSpace(id))
		}
		exs = append(exs, ex)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return exs, nil
}

var exampleKeys = []string{"q", "expect", "side", "tags"}

// hasKey reports whether a YAML mapping has the key.
func hasKey(n *yaml.Node, key string) bool {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return true
		}
	}
	return false
}

// normalQuestion is a question folded for comparison: lower case, spaces
// collapsed.
func normalQuestion(q string) string {
	return strings.Join(strings.Fields(strings.ToLower(q)), " ")
}

// Fold is a question folded the way the journal and the decisions of the
// review page key it, so that the same question typed twice is one: lower
// case, single spaces, no trailing punctuation.
func Fold(q string) string {
	return strings.TrimRight(normalQuestion(q), " ?!.,;:")
}

// CheckExamples reports, with their file and line, the examples that name
// entries the base does not have, or give a side to an entry that is not
// shared: what loading them with the base would refuse.
func (b *Base) CheckExamples(exs []Example) Errors {
	var errs Errors
	for _, ex := range exs {
		for _, id := range ex.Expect {
			if _, ok := b.byID[id]; !ok {
				errs = append(errs, &LoadError{File: ex.Set, Line: ex.Line, Msg: fmt.Sprintf("example %q names unknown entry %q (mmdbot table lists the ids)", ex.Q, id)})
			}
		}
		if ex.Side != "" && (len(ex.Expect) == 0 || b.byID[ex.Expect[0]] == nil || b.byID[ex.Expect[0]].Owner != OwnerShared) {
			errs = append(errs, &LoadError{File: ex.Set, Line: ex.Line, Msg: fmt.Sprintf("example %q has a side, but its first entry is not shared", ex.Q)})
		}
	}
	return errs
}

// usable returns the examples that name only entries the base has.
func (b *Base) usable(exs []Example) []Example {
	return slices.DeleteFunc(slices.Clone(exs), func(ex Example) bool {
		for _, id := range ex.Expect {
			if _, ok := b.byID[id]; !ok {
				return true
			}
		}
		return false
	})
}

// Examples returns the examples the base's model was trained on (for a
// base read untrained, those it would be trained on).
func (b *Base) Examples() []Example { return b.examples }

// Train returns a copy of the base whose models are trained on the given
// examples instead of its own; examples naming entries the base does not
// have are left out.
func (b *Base) Train(exs []Example) *Base {
	c := *b
	c.examples = b.usable(exs)
	c.learnt = &learning{}
	c.model, c.sides = c.fit(c.prepared(), c.examples)
	return &c
}

// Without returns a copy of the base whose models are trained on its
// examples without those asked like the held-out ones (same question,
// whatever its case and spacing): cross-validation scores the held-out
// examples with it. The examples are observed once per base, and the
// observations shared by every copy.
func (b *Base) Without(held []Example) *Base {
	out := map[string]bool{}
	for _, ex := range held {
		out[normalQuestion(ex.Q)] = true
	}
	c := *b
	c.examples = slices.DeleteFunc(slices.Clone(b.examples), func(ex Example) bool { return out[normalQuestion(ex.Q)] })
	c.model, c.sides = c.fit(b.prepared(), c.examples)
	return &c
}

// learning is what the models of a base learn from, observed: its explicit
// examples, and the examples the knowledge derives from itself.
type learning struct {
	once     sync.Once
	classes  []int
	explicit map[string]example // by question, folded
	derived  []example
	// sides are what the splits of shared entries say each side does, as
	// examples for the model of sides.
	sides []example
}

// prepared returns the base's examples observed, observing them once.
func (b *Base) prepared() *learning {
	l := b.learnt
	l.once.Do(func() {
		l.classes = b.classes(b.examples)
		obs := b.observeAll(b.examples, l.classes)
		l.explicit = make(map[string]example, len(obs))
		for i, ex := range b.examples {
			l.explicit[normalQuestion(ex.Q)] = obs[i]
		}
		if len(b.examples) > 0 {
			l.derived = b.observeAll(b.derivedExamples(), l.classes)
		}
		for _, e := range b.entries {
			if e.Split == nil {
				continue
			}
			for side, text := range []string{e.Split.Microsoft, e.Split.Customer} {
				o := b.labelled(Example{Q: text, Expect: []string{e.ID}}, l.classes)
				l.sides = append(l.sides, sideExample(o.obs.feats, side))
			}
		}
	})
	return l
}

// fit trains the models on the given explicit examples and the derived
// ones: the model of entries, and the model of sides for the examples about
// shared entries that say which side they ask about. Either is nil when
// there is nothing to learn from; a base without explicit examples has
// no model and is judged by its lexical scores.
func (b *Base) fit(l *learning, exs []Example) (entries, sides *model) {
	if len(exs) == 0 {
		return nil, nil
	}
	named := make([]bool, len(b.entries))
	for _, c := range l.classes {
		named[c] = true
	}
	var obs, sideObs []example
	for _, ex := range exs {
		o := l.explicit[normalQuestion(ex.Q)]
		if side, ok := sideClass[ex.Side]; ok {
			sideObs = append(sideObs, sideExample(o.obs.feats, side))
		}
		if o.targets == nil || o.yields(named) {
			continue
		}
		if _, ok := b.taught[Fold(ex.Q)]; ok {
			o.weight = taughtWeight
		}
		obs = append(obs, o)
	}
	for _, o := range l.derived {
		if o.targets != nil {
			o.weight = derivedWeight
			obs = append(obs, o)
		}
	}
	entries = train(len(b.entries), l.classes, obs)
	if len(sideObs) > 0 {
		sides = train(len(sideOwners), []int{0, 1, 2}, append(sideObs, l.sides...))
	}
	return entries, sides
}

// yields reports whether an out-of-scope example gives way to an entry that
// no example names, such as one an organisation added to the embedded
// knowledge: the knowledge beats the examples, as it beats the off-topic
// words. It does when such an entry is among the lexically best for the
// question, with at least half the best score.
func (o *example) yields(named []bool) bool {
	if len(o.targets) > 0 {
		return false
	}
	for i, e := range o.lexOrder {
		if !named[e] && o.lexScores[i] >= 0.5*o.lexScores[0] {
			return true
		}
	}
	return false
}

// derivedExamples are what the knowledge says of itself: each entry's
// title, keywords and aliases name it; each vocabulary term and concept
// names its entries; each off-topic word or phrase names none.
func (b *Base) derivedExamples() []Example {
	var exs []Example
	add := func(q string, ids []string) {
		if strings.TrimSpace(q) != "" {
			exs = append(exs, Example{Q: q, Expect: ids, Set: "knowledge"})
		}
	}
	for _, e := range b.entries {
		add(e.Title, []string{e.ID})
		for _, k := range slices.Concat(e.Keywords, e.Aliases) {
			add(k, []string{e.ID})
		}
	}
	for _, t := range b.vocab.terms {
		add(t.name, t.entries)
	}
	for _, o := range b.vocab.OffTopic {
		add(o, []string{})
	}
	return exs
}

// classes returns the entries that examples name, in page order.
func (b *Base) classes(exs []Example) []int {
	named := make([]bool, len(b.entries))
	for _, ex := range exs {
		for _, id := range ex.Expect {
			named[b.pos[id]] = true
		}
	}
	var classes []int
	for i, ok := range named {
		if ok {
			classes = append(classes, i)
		}
	}
	return classes
}

// observeAll observes examples for training, in parallel.
func (b *Base) observeAll(exs []Example, classes []int) []example {
	obs := make([]example, len(exs))
	var wg sync.WaitGroup
	for k := range trainWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := k; i < len(exs); i += trainWorkers {
				obs[i] = b.labelled(exs[i], classes)
			}
		}()
	}
	wg.Wait()
	return obs
}

// The classes of the model of sides.
var (
	sideOwners = []Owner{OwnerMicrosoft, OwnerCustomer, OwnerShared}
	sideClass  = map[string]int{"microsoft": 0, "customer": 1, "both": 2}
)

// sideExample is an example for the model of sides: the question's
// features, and the three sides as candidates.
func sideExample(feats []feature, side int) example {
	o := observation{feats: feats, cands: []int{0, 1, 2}, ent: make([][numEntryFeatures]float64, 3)}
	t := []int{}
	if side >= 0 {
		t = []int{side}
	}
	return example{obs: o, targets: t}
}

// side says which side the question of an observation asks about, for a
// shared entry: the most probable side, or shared (both) when none is.
func (m *model) side(o *observation) Owner {
	p := m.predict(&observation{feats: o.feats, cands: []int{0, 1, 2}, ent: make([][numEntryFeatures]float64, 3)})
	best := 0
	for i := range 3 {
		if p.probs[i] > p.probs[best] {
			best = i
		}
	}
	return sideOwners[best]
}

// labelled observes an example for training; its targets are nil when none
// of its entries is among the candidates.
func (b *Base) labelled(ex Example, classes []int) example {
	a := b.analyse(ex.Q)
	lx := b.match(&a, false)
	defer b.index.release(lx.scores)
	o := example{obs: b.observe(&a, &lx, classes, false), targets: []int{}, lexOrder: lx.order}
	for _, e := range lx.order {
		o.lexScores = append(o.lexScores, lx.scores[e])
	}
	for _, id := range ex.Expect {
		if i := slices.Index(o.obs.cands, b.pos[id]); i >= 0 {
			o.targets = append(o.targets, i)
		}
	}
	if ex.InScope() && len(o.targets) == 0 {
		o.targets = nil
	}
	return o
}
