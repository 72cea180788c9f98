package knowledge

import (
	"math"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
)

// fixture is the three-entry knowledge base of testdata/fixture.yaml, loaded
// once.
var fixture = sync.OnceValue(func() *Base {
	kb, err := LoadFile("testdata/fixture.yaml")
	if err != nil {
		panic(err)
	}
	return kb
})

func TestAnalyse(t *testing.T) {
	kb := fixture()
	tests := []struct {
		q           string
		words       string
		topic       string // the topic words, space-separated
		off         string // the off-topic ones
		corrections map[string]string
	}{
		{q: "<@U024BE7LH> who fixes the printer?", words: "who fixes the printer", topic: "fixes printer"},
		{q: "who installs the printrs", words: "who installs the printers", topic: "installs printers", corrections: map[string]string{"printrs": "printers"}},
		{q: "KB5034441 failed", words: "windows update failed", topic: "windows update failed"},
		{q: "laptop stuck on 23H2", words: "laptop stuck on feature update", topic: "laptop stuck feature update"},
		{q: "who runs payroll?", words: "who runs payroll", topic: "runs payroll", off: "payroll"},
	}
	for _, tt := range tests {
		a := kb.analyse(tt.q)
		if got := strings.Join(a.words, " "); got != tt.words {
			t.Errorf("%q: words %q, want %q", tt.q, got, tt.words)
		}
		var topic, off []string
		for k := range a.topic {
			topic = append(topic, a.topicWord(k))
			if a.off[k] {
				off = append(off, a.topicWord(k))
			}
		}
		if got := strings.Join(topic, " "); got != tt.topic {
			t.Errorf("%q: topic %q, want %q", tt.q, got, tt.topic)
		}
		if got := strings.Join(off, " "); got != tt.off {
			t.Errorf("%q: off-topic %q, want %q", tt.q, got, tt.off)
		}
		if len(tt.corrections) > 0 || len(a.corrections) > 0 {
			for k, v := range tt.corrections {
				if a.corrections[k] != v {
					t.Errorf("%q: corrections %v, want %v", tt.q, a.corrections, tt.corrections)
				}
			}
		}
	}
}

func TestDeliveryCodes(t *testing.T) {
	for q, want := range map[string]string{
		"550 5.7.1 delivery not authorized": "550 ndr delivery not authorized",
		"ndr 5.1.10.":                       "ndr ndr",
		"app v5.1.10 crashes":               "app v5 1 10 crashes",
		"ping 10.42.8.117":                  "ping 10 42 8 117",
	} {
		if got := strings.Join(fixture().analyse(q).typed, " "); got != want {
			t.Errorf("%q read as %q, want %q", q, got, want)
		}
	}
}

// evidenceSums adds up the evidence of each entry.
func evidenceSums(ev []Evidence) map[string]float64 {
	sum := map[string]float64{}
	for _, e := range ev {
		sum[e.Entry] += e.Score
	}
	return sum
}

func TestMatchEvidence(t *testing.T) {
	kb := fixture()
	// A phrase counts once however often it is said.
	_, once := kb.Explain("print queue")
	_, twice := kb.Explain("print queue, print queue")
	if a, b := evidenceSums(once.Evidence)["customer/printers"], evidenceSums(twice.Evidence)["customer/printers"]; a != b || a == 0 {
		t.Errorf("print queue said once scores %v, twice %v", a, b)
	}
	// A term that argues against an entry is negative evidence.
	r, ex := kb.Explain("kiosk windows updates")
	var against bool
	for _, e := range ex.Evidence {
		if e.Kind == EvidenceAgainst {
			against = true
			if e.Entry != "microsoft/windows-updates" || e.Score >= 0 {
				t.Errorf("against evidence %+v", e)
			}
		}
	}
	if !against {
		t.Errorf("no evidence against Microsoft's row: %+v", ex.Evidence)
	}
	for _, m := range r.Matches {
		if got := evidenceSums(ex.Evidence)[m.Entry.ID]; math.Abs(got-m.Lexical) > 1e-9 {
			t.Errorf("%s: evidence adds up to %v, lexical score %v", m.Entry.ID, got, m.Lexical)
		}
	}
}

func TestObserveFeatures(t *testing.T) {
	kb := fixture()
	a := kb.analyse("printer out of toner on floor 2, printer again")
	lx := kb.match(&a, false)
	defer kb.index.release(lx.scores)
	o := kb.observe(&a, &lx, kb.model.classes, true)
	seen := map[uint64]bool{}
	for i, f := range o.feats {
		if seen[f.key] {
			t.Errorf("feature %s given twice", o.names[i])
		}
		seen[f.key] = true
		if o.names[i] == "w:printer" && f.val != 2 {
			t.Errorf("w:printer counts %v, want 2 (the word occurs twice)", f.val)
		}
	}
	for _, want := range []string{"w:printer", "b:printer toner", "c:<pr", "concept:toner", "g:topic words"} {
		if !slices.Contains(o.names, want) {
			t.Errorf("no feature %q among %v", want, o.names)
		}
	}
	if len(o.cands) != 3 || len(o.ent) != 3 {
		t.Errorf("candidates %v", o.cands)
	}
}

func TestTrainIsDeterministic(t *testing.T) {
	a, b := fixture().Train(fixture().Examples()), fixture().Train(fixture().Examples())
	if !slices.Equal(a.model.w, b.model.w) || !slices.Equal(a.model.bias, b.model.bias) || a.model.u != b.model.u {
		t.Error("two trainings on the same examples give different models")
	}
}

func TestModelLearnsFixture(t *testing.T) {
	kb := fixture()
	for q, want := range map[string]string{
		"printer jammed, who fixes it?":          "customer/printers",
		"who replaces the toner cartridge":       "customer/printers",
		"windows update broke my laptop":         "microsoft/windows-updates",
		"who pushes out the new excel version?":  "customer/apps",
		"what's on the cafeteria menu for lunch": "",
		"who sorts out payroll questions?":       "",
	} {
		r := kb.Search(q)
		got := ""
		if r.Band != BandUnknown {
			got = r.Matches[0].Entry.ID
		}
		if got != want {
			t.Errorf("%q: got %q (%s, out of scope %.2f), want %q", q, got, r.Band, r.OutOfScope, want)
		}
	}
	if r := kb.Search("who keeps excel up to date?"); r.Side != OwnerMicrosoft {
		t.Errorf("side of a question about keeping Excel up to date: %q", r.Side)
	}
	if r := kb.Search("who packages our own app for deployment?"); r.Side != OwnerCustomer {
		t.Errorf("side of a question about packaging our app: %q", r.Side)
	}
}

func TestJudge(t *testing.T) {
	kb := fixture()
	printers, _ := kb.Entry("customer/printers")
	updates, _ := kb.Entry("microsoft/windows-updates")
	apps, _ := kb.Entry("customer/apps")
	bd := Bands{OutOfScope: 0.5, Unknown: 0.3, Close: 0.5}
	tests := []struct {
		name    string
		entries []*Entry
		probs   []float64
		oos     float64
		band    Band
		choices int
		both    bool
	}{
		{"one clear answer", []*Entry{printers, apps, updates}, []float64{0.9, 0.05, 0.03}, 0.02, BandAnswer, 0, false},
		{"out of scope wins", []*Entry{printers, apps, updates}, []float64{0.3, 0.1, 0.05}, 0.55, BandUnknown, 0, false},
		{"too unsure", []*Entry{printers, apps, updates}, []float64{0.25, 0.1, 0.1}, 0.15, BandUnknown, 0, false},
		{"two of one side", []*Entry{printers, apps, updates}, []float64{0.5, 0.4, 0.05}, 0.05, BandSuggest, 2, false},
		{"two sides", []*Entry{updates, printers, apps}, []float64{0.5, 0.4, 0.05}, 0.05, BandAnswer, 2, true},
		{"three close", []*Entry{printers, apps, updates}, []float64{0.35, 0.3, 0.3}, 0.05, BandSuggest, 3, false},
	}
	for _, tt := range tests {
		var ms []Match
		order := make([]int, len(tt.probs))
		for i, e := range tt.entries {
			ms = append(ms, Match{Entry: e, Score: tt.probs[i]})
			order[i] = i
		}
		v := bd.judge(ms, tt.probs, order, tt.oos)
		if v.Band != tt.band || v.Choices != tt.choices || v.BothSides != tt.both {
			t.Errorf("%s: %+v, want band %s, %d choices, both sides %v", tt.name, v, tt.band, tt.choices, tt.both)
		}
	}
}

// checkExplanation checks that an explanation adds up: each entry's evidence
// to its lexical score, each weighing's contributions to its logit, and the
// logits to the probabilities.
func checkExplanation(t *testing.T, kb *Base, q string) {
	t.Helper()
	r, ex := kb.Explain(q)
	sums := evidenceSums(ex.Evidence)
	for _, m := range r.Matches {
		if d := math.Abs(sums[m.Entry.ID] - m.Lexical); d > 1e-9*max(1, math.Abs(m.Lexical)) {
			t.Fatalf("%q: %s: evidence adds up to %v, lexical score %v", q, m.Entry.ID, sums[m.Entry.ID], m.Lexical)
		}
	}
	if len(ex.Model) == 0 {
		return
	}
	var logits []float64
	for _, w := range ex.Model {
		s := 0.0
		for _, c := range w.Contributions {
			s += c.Score
		}
		if d := math.Abs(s - w.Logit); d > 1e-9*max(1, math.Abs(w.Logit)) {
			t.Fatalf("%q: %q: contributions add up to %v, logit %v", q, w.Entry, s, w.Logit)
		}
		logits = append(logits, w.Logit)
	}
	probs := softmax(slices.Clone(logits))
	for i, w := range ex.Model {
		if math.Abs(probs[i]-w.Probability) > 1e-9 {
			t.Fatalf("%q: %q: probability %v, softmax of the logits %v", q, w.Entry, w.Probability, probs[i])
		}
	}
}

func FuzzExplainAddsUp(f *testing.F) {
	for _, s := range []string{"who fixes the printer?", "kiosk windows updates", "KB5034441", "payroll lunch", "", "printr printr printr", "outlook word excel"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		checkExplanation(t, fixture(), q)
		checkExplanation(t, Default(), q)
	})
}

func TestFixtureLoadsWithConcepts(t *testing.T) {
	kb := fixture()
	if len(kb.Examples()) != 16 || kb.model == nil || kb.sides == nil {
		t.Fatalf("%d examples, model %v, sides %v", len(kb.Examples()), kb.model != nil, kb.sides != nil)
	}
	if !slices.Contains(kb.Vocabulary().OffTopic, "payslip") {
		t.Errorf("the concept outside MMD is not off-topic: %v", kb.Vocabulary().OffTopic)
	}
	data, err := os.ReadFile("testdata/fixture.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ov, err := ParseOverlay("fixture.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	if len(ov.Categories) != 1 || ov.Categories[0].Concepts[0].Category != "Office" {
		t.Errorf("categories %+v", ov.Categories)
	}
}
