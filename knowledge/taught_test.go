package knowledge

import (
	"slices"
	"testing"
)

func TestTeach(t *testing.T) {
	kb := Default()
	const vpn = "customer/network-infrastructure-including-vpn"
	q := "the badge reader at the loading dock is broken"
	before := kb.Search(q)
	taught := kb.Teach([]Example{
		{Q: "The badge reader at the loading dock is broken!", Expect: []string{vpn}},
		{Q: "who handles VPN issues?", Expect: []string{}},
		{Q: "who runs the canteen", Expect: []string{"customer/no-such-entry"}},
	})
	r := taught.Search(q)
	if !r.Taught || r.Band != BandAnswer || r.Matches[0].Entry.ID != vpn || r.Confidence != 1 || r.Side != OwnerCustomer {
		t.Errorf("taught question: %+v", r.Verdict)
	}
	if r := taught.Search("who handles vpn issues"); !r.Taught || r.Band != BandUnknown || r.OutOfScope != 1 {
		t.Errorf("question taught out of scope: %+v", r.Verdict)
	}
	if r := kb.Search(q); r.Taught || r.Band != before.Band {
		t.Errorf("the base taught from changed: %+v", r.Verdict)
	}
	if r := taught.Search("who handles vpn issues and printers?"); r.Taught {
		t.Error("a different question was answered as taught")
	}
	if len(taught.taught) != 2 || taught.Search("who runs the canteen").Taught {
		t.Errorf("taught %d examples, want the 2 naming known entries: %+v", len(taught.taught), taught.taught)
	}
	// Teaching again replaces what was taught.
	if r := taught.Teach(nil).Search(q); r.Taught {
		t.Error("teaching nothing kept the old lesson")
	}
}

func TestTeachBothSides(t *testing.T) {
	kb := Default()
	var ms, cu string
	for _, e := range kb.Entries() {
		if e.Side == SideMicrosoft && ms == "" {
			ms = e.ID
		}
		if e.Side == SideCustomer && cu == "" {
			cu = e.ID
		}
	}
	r := kb.Teach([]Example{{Q: "who owns the thing", Expect: []string{ms, cu}}}).Search("who owns the thing?")
	if !r.BothSides || r.Choices != 2 || r.Matches[0].Entry.ID != ms || r.Matches[1].Entry.ID != cu {
		t.Errorf("two sides taught: %+v, matches %v %v", r.Verdict, r.Matches[0].Entry.ID, r.Matches[1].Entry.ID)
	}
}

func TestLearn(t *testing.T) {
	kb := Default()
	own := kb.Examples()[0]
	exs := []Example{
		{Q: own.Q, Expect: []string{}, Set: "admin"},
		{Q: "the badge reader at the loading dock is broken", Expect: []string{"customer/network-infrastructure-including-vpn"}, Set: "admin"},
	}
	l := kb.Learn(exs)
	if len(l.Examples()) != len(kb.Examples())+1 {
		t.Errorf("learnt from %d examples, want %d (one replaced, one added)", len(l.Examples()), len(kb.Examples())+1)
	}
	i := slices.IndexFunc(l.Examples(), func(ex Example) bool { return ex.Q == own.Q })
	if i < 0 || l.Examples()[i].Set != "admin" {
		t.Errorf("the admin's example did not replace the base's own")
	}
	if r := l.Search(own.Q); !r.Taught || r.Band != BandUnknown {
		t.Errorf("learnt question: %+v", r.Verdict)
	}
	if l := kb.Learn(nil); l.model != kb.model {
		t.Error("learning nothing retrained the model")
	}
}

// TestLearnGeneralises: two decisions teach the model the kind of
// question, not only the words decided, and leave the rest as it was.
func TestLearnGeneralises(t *testing.T) {
	kb := Default()
	const support = "customer/user-support"
	l := kb.Learn([]Example{
		{Q: "problem with my laptop", Expect: []string{support}},
		{Q: "problems with my laptop!", Expect: []string{support}},
	})
	q := "my laptop has a problem"
	if r := kb.Search(q); r.Band == BandAnswer && r.Matches[0].Entry.ID == support {
		t.Fatalf("%q is answered before any decision", q)
	}
	if r := l.Search(q); r.Taught || r.Band != BandAnswer || r.Matches[0].Entry.ID != support {
		t.Errorf("%q after learning: %s %s", q, r.Band, r.Matches[0].Entry.ID)
	}
	for _, q := range []string{"who handles vpn issues?", "who patches windows", "who feeds the office goldfish?"} {
		before, after := kb.Search(q), l.Search(q)
		if before.Band != after.Band || before.Matches[0].Entry != after.Matches[0].Entry {
			t.Errorf("%q changed: %s %s → %s %s", q, before.Band, before.Matches[0].Entry.ID, after.Band, after.Matches[0].Entry.ID)
		}
	}
}

// adminExamples are n decisions, as admins make them: questions of the
// question sets, each answered by its first entry or out of scope.
func adminExamples(n int) []Example {
	all := Default().Examples()
	out := make([]Example, 0, n)
	for i := 0; len(out) < n && i < len(all); i += max(1, len(all)/n) {
		ex := all[i]
		out = append(out, Example{Q: ex.Q + " please", Expect: ex.Expect, Set: "admin"})
	}
	return out
}

// BenchmarkSearchTaught is BenchmarkSearchBuiltin on knowledge taught 1,000
// decisions: what answering costs once admins have decided many.
func BenchmarkSearchTaught(b *testing.B) {
	kb := Default().Teach(adminExamples(1000))
	b.ResetTimer()
	benchmarkSearch(b, kb)
}

// BenchmarkTeach is what a decision costs before the answer changes: the
// base taught all the decisions again.
func BenchmarkTeach(b *testing.B) {
	kb, exs := Default(), adminExamples(1000)
	b.ReportAllocs()
	for b.Loop() {
		kb.Teach(exs)
	}
	b.ReportMetric(float64(len(exs)), "decisions")
}

// BenchmarkLearn is the retraining after decisions: the embedded knowledge's
// models trained again with 100 decisions added.
func BenchmarkLearn(b *testing.B) {
	kb, exs := Default(), adminExamples(100)
	b.ReportAllocs()
	for b.Loop() {
		kb.Learn(exs)
	}
	b.ReportMetric(float64(len(exs)), "decisions")
}
