package knowledge

import (
	"math"
	"slices"
	"sync"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/optimize"
)

// The fourth stage of matching: a multinomial logistic regression, trained
// on the knowledge's labelled examples when the knowledge loads, turns the
// features of a question into a probability for each entry and for "out of
// scope". Each entry that examples name has a class with a weight per
// question feature; entries that no example names share one class weight
// and are ranked by their entry features alone; the entry features' weights
// are shared by all entries.

// Training settings. Regularisation and the number of iterations were chosen
// by cross-validation (mmdbot eval --cross-validate); see docs/matching.md.
const (
	l2Question = 1e-4 // L2 penalty on the question features' weights
	l2Entry    = 1e-3 // L2 penalty on the shared entry features' weights
	warmEvery  = 4    // the warm start trains on every fourth example…
	warmIter   = 30   // …for this many iterations at most,
	maxIter    = 20   // then on all of them for this many at most,
	lbfgsStore = 7    // remembering this many steps to shape the next
	// derivedWeight is how much an example the knowledge derives from
	// itself counts against one written as people ask.
	derivedWeight = 3
	// taughtWeight is what an example an admin decided counts (Learn).
	taughtWeight = 10
	minUses      = 3 // examples a feature must occur in to get a weight
	// trainWorkers is fixed, so that sums are added in the same order on
	// every machine.
	trainWorkers = 4
)

// model is a trained multinomial logistic regression.
type model struct {
	// classOf maps an entry to its class, or -1; class nclass-1 is out of
	// scope.
	classOf []int
	// classes lists the entry of each class but the last.
	classes []int
	nclass  int
	rows    map[uint64]int32 // feature key → row of w
	w       []float64        // len(rows) × nclass
	bias    []float64        // nclass, then the bias of entries without a class
	u       [numEntryFeatures]float64
}

// oos is the class of out-of-scope questions.
func (m *model) oos() int { return m.nclass - 1 }

// example is a labelled question, observed.
type example struct {
	obs     observation
	rows    []int32   // the row of each feature
	vals    []float64 // and its value
	targets []int     // indexes in obs.cands of the right entries; empty: out of scope
	// lexOrder are the lexically best entries, best first, and lexScores
	// their lexical scores.
	lexOrder  []int
	lexScores []float64
	// weight is how much the example counts in the loss (0 counts as 1).
	weight float64
}

// prediction is the model's verdict on a question.
type prediction struct {
	// probs holds the probability of each candidate, then of out of scope.
	probs  []float64
	logits []float64
}

// predict scores an observation. The returned slices belong to the caller.
func (m *model) predict(o *observation) prediction {
	acc := make([]float64, m.nclass)
	copy(acc, m.bias[:m.nclass])
	for _, f := range o.feats {
		r, ok := m.rows[f.key]
		if !ok {
			continue
		}
		axpy(acc, f.val, m.w[int(r)*m.nclass:int(r+1)*m.nclass])
	}
	p := prediction{logits: make([]float64, len(o.cands)+1)}
	for i, e := range o.cands {
		p.logits[i] = m.entryLogit(acc, e, &o.ent[i])
	}
	p.logits[len(o.cands)] = acc[m.oos()]
	p.probs = softmax(slices.Clone(p.logits))
	return p
}

// entryLogit is the logit of entry e, given the class sums of the question
// features.
func (m *model) entryLogit(acc []float64, e int, f *[numEntryFeatures]float64) float64 {
	z := m.bias[m.nclass] // entries without a class of their own
	if c := m.classOf[e]; c >= 0 {
		z = acc[c]
	}
	for k, v := range f {
		z += m.u[k] * v
	}
	return z
}

// softmax turns logits into probabilities, in place.
func softmax(z []float64) []float64 {
	mx := floats.Max(z)
	sum := 0.0
	for i, v := range z {
		z[i] = math.Exp(v - mx)
		sum += z[i]
	}
	floats.Scale(1/sum, z)
	return z
}

// train fits a model to labelled examples. The result depends on the
// examples alone: the same examples give the same model on any machine.
func train(n int, classes []int, exs []example) *model {
	exs = slices.Clone(exs) // each gets rows of its own; observations may be shared
	m := &model{classOf: make([]int, n), classes: classes, nclass: len(classes) + 1, rows: map[uint64]int32{}}
	for i := range m.classOf {
		m.classOf[i] = -1
	}
	for c, e := range classes {
		m.classOf[e] = c
	}
	// A feature seen in fewer than minUses examples teaches nothing that
	// carries over to other questions: it gets no row. Rows are numbered in
	// order of first use, so that the layout is deterministic.
	uses := map[uint64]int{}
	for i := range exs {
		for _, f := range exs[i].obs.feats {
			uses[f.key]++
		}
	}
	for i := range exs {
		ex := &exs[i]
		ex.rows, ex.vals = nil, nil
		for _, f := range ex.obs.feats {
			if uses[f.key] < minUses {
				continue
			}
			r, ok := m.rows[f.key]
			if !ok {
				r = int32(len(m.rows))
				m.rows[f.key] = r
			}
			ex.rows = append(ex.rows, r)
			ex.vals = append(ex.vals, f.val)
		}
	}
	nw := len(m.rows) * m.nclass
	dim := nw + m.nclass + 1 + numEntryFeatures
	// First every warmEvery-th example, cheaply, then all of them from
	// there: the same model as from scratch, for half the work.
	var warm []example
	for i := 0; i < len(exs); i += warmEvery {
		warm = append(warm, exs[i])
	}
	x := minimise(m, warm, make([]float64, dim), warmIter)
	x = minimise(m, exs, x, maxIter)
	m.setParams(x)
	return m
}

// minimise fits the model's parameters to examples from x0.
func minimise(m *model, exs []example, x0 []float64, iterations int) []float64 {
	nw := len(m.rows) * m.nclass
	dim := len(x0)
	obj := &objective{m: m, exs: exs, nw: nw, dim: dim}
	for _, ex := range exs {
		obj.total += max(ex.weight, 0)
		if ex.weight == 0 {
			obj.total++
		}
	}
	res, err := optimize.Minimize(optimize.Problem{Func: obj.value, Grad: obj.gradient},
		x0, &optimize.Settings{
			MajorIterations: iterations,
			// The fit stops after its iterations or when the loss stops
			// falling; a gradient threshold (gonum checks one by
			// default, a pass over every weight at each iteration) is
			// never met first.
			GradientThreshold: math.NaN(),
			Converger:         &optimize.FunctionConverge{Relative: 1e-6, Iterations: 8},
		}, &optimize.LBFGS{Store: lbfgsStore, GradStopThreshold: math.NaN()})
	x := obj.lastX
	if err == nil && res != nil {
		x = res.X
	}
	if x == nil {
		x = slices.Clone(x0)
	}
	return x
}

// setParams lays out a parameter vector into the model.
func (m *model) setParams(x []float64) {
	nw := len(m.rows) * m.nclass
	m.w = x[:nw:nw]
	m.bias = x[nw : nw+m.nclass+1 : nw+m.nclass+1]
	copy(m.u[:], x[nw+m.nclass+1:])
}

// objective is the regularised negative log-likelihood of the examples,
// where an example with several right entries counts as right when any of
// them is chosen.
type objective struct {
	m       *model
	exs     []example
	nw, dim int
	mu      sync.Mutex
	lastX   []float64
	lastF   float64
	lastG   []float64
	parts   [][]float64 // each worker's gradient
	total   float64     // the examples' weights added up
}

func (o *objective) value(x []float64) float64 {
	o.evaluate(x)
	return o.lastF
}

func (o *objective) gradient(grad, x []float64) {
	o.evaluate(x)
	copy(grad, o.lastG)
}

// evaluate computes the value and the gradient at x, once per x. The
// examples are split among a fixed number of workers, each with a gradient
// of its own, summed in a fixed order.
func (o *objective) evaluate(x []float64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.lastX != nil && floats.Equal(o.lastX, x) {
		return
	}
	m := *o.m
	m.setParams(x)
	if o.parts == nil {
		o.parts = make([][]float64, trainWorkers)
		for k := range o.parts {
			o.parts[k] = make([]float64, o.dim)
		}
		o.lastG = make([]float64, o.dim)
	}
	losses := make([]float64, trainWorkers)
	var wg sync.WaitGroup
	for k := range trainWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g := o.parts[k]
			clear(g)
			var s scratch
			lo, hi := k*len(o.exs)/trainWorkers, (k+1)*len(o.exs)/trainWorkers
			for i := lo; i < hi; i++ {
				losses[k] += o.example(&m, &o.exs[i], g, &s)
			}
		}()
	}
	wg.Wait()
	n := o.total
	f := 0.0
	g := o.lastG
	copy(g, o.parts[0])
	for k, p := range o.parts {
		f += losses[k]
		if k > 0 {
			floats.Add(g, p)
		}
	}
	f /= n
	floats.Scale(1/n, g)
	// The penalties.
	w := x[:o.nw]
	f += l2Question / 2 * floats.Dot(w, w)
	floats.AddScaled(g[:o.nw], l2Question, w)
	u := x[o.nw+m.nclass+1:]
	f += l2Entry / 2 * floats.Dot(u, u)
	floats.AddScaled(g[o.nw+m.nclass+1:], l2Entry, u)
	o.lastX = append(o.lastX[:0], x...)
	o.lastF = f
}

// scratch holds a worker's buffers for one example at a time.
type scratch struct {
	acc, z, dc []float64
}

func grow(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n)
	}
	s = s[:n]
	clear(s)
	return s
}

// axpy adds a·x to y, for the short vectors of one row of classes,
// four at a time.
func axpy(y []float64, a float64, x []float64) {
	x = x[:len(y)]
	i := 0
	for ; i+4 <= len(y); i += 4 {
		y0, y1, y2, y3 := y[i]+a*x[i], y[i+1]+a*x[i+1], y[i+2]+a*x[i+2], y[i+3]+a*x[i+3]
		y[i], y[i+1], y[i+2], y[i+3] = y0, y1, y2, y3
	}
	for ; i < len(y); i++ {
		y[i] += a * x[i]
	}
}

// axpy16 adds a·x to y for sixteen classes, the number of the embedded
// knowledge (fifteen entries and out of scope): a fixed size lets the
// compiler drop the bounds checks.
func axpy16(y *[16]float64, a float64, x *[16]float64) {
	y[0] += a * x[0]
	y[1] += a * x[1]
	y[2] += a * x[2]
	y[3] += a * x[3]
	y[4] += a * x[4]
	y[5] += a * x[5]
	y[6] += a * x[6]
	y[7] += a * x[7]
	y[8] += a * x[8]
	y[9] += a * x[9]
	y[10] += a * x[10]
	y[11] += a * x[11]
	y[12] += a * x[12]
	y[13] += a * x[13]
	y[14] += a * x[14]
	y[15] += a * x[15]
}

// example adds one example's gradient to g and returns its loss.
func (o *objective) example(m *model, ex *example, g []float64, s *scratch) float64 {
	C := m.nclass
	s.acc = grow(s.acc, C)
	acc := s.acc
	copy(acc, m.bias[:C])
	if C == 16 {
		a := (*[16]float64)(acc)
		for j, r := range ex.rows {
			axpy16(a, ex.vals[j], (*[16]float64)(m.w[int(r)*16:]))
		}
	} else {
		for j, r := range ex.rows {
			v, row := ex.vals[j], m.w[int(r)*C:int(r+1)*C]
			row = row[:len(acc)]
			for c := range acc {
				acc[c] += v * row[c]
			}
		}
	}
	cands := ex.obs.cands
	s.z = grow(s.z, len(cands)+1)
	z := s.z
	for i, e := range cands {
		z[i] = m.entryLogit(acc, e, &ex.obs.ent[i])
	}
	z[len(cands)] = acc[m.oos()]
	p := softmax(z)
	// The gradient of the loss with respect to the logits is p - q, where
	// q is the posterior of the right answers.
	oosIndex := len(cands)
	mass := 0.0
	if len(ex.targets) == 0 {
		mass = p[oosIndex]
	}
	for _, t := range ex.targets {
		mass += p[t]
	}
	mass = max(mass, 1e-300)
	wt := ex.weight
	if wt == 0 {
		wt = 1
	}
	loss := -wt * math.Log(mass)
	if len(ex.targets) == 0 {
		p[oosIndex] -= p[oosIndex] / mass
	}
	for _, t := range ex.targets {
		p[t] -= p[t] / mass
	}
	dz := p
	if wt != 1 {
		floats.Scale(wt, dz)
	}
	// Back to the parameters: per class for the question features.
	s.dc = grow(s.dc, C)
	dc := s.dc
	bOther := o.nw + C
	for i, e := range cands {
		if c := m.classOf[e]; c >= 0 {
			dc[c] += dz[i]
		} else {
			g[bOther] += dz[i]
		}
		for k, v := range ex.obs.ent[i] {
			g[o.nw+C+1+k] += dz[i] * v
		}
	}
	dc[m.oos()] += dz[oosIndex]
	if C == 16 {
		d := (*[16]float64)(dc)
		for j, r := range ex.rows {
			axpy16((*[16]float64)(g[int(r)*16:]), ex.vals[j], d)
		}
	} else {
		for j, r := range ex.rows {
			v, row := ex.vals[j], g[int(r)*C:int(r+1)*C]
			row = row[:len(dc)]
			for c := range dc {
				row[c] += v * dc[c]
			}
		}
	}
	floats.Add(g[o.nw:o.nw+C], dc)
	return loss
}
