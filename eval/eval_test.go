package eval

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mmdbot/mmdbot/bot"
	"github.com/mmdbot/mmdbot/knowledge"
)

// publicSet is the project's development question set. The repository
// carries its own copy; upstream is the question set the project was given,
// which sits beside a development checkout as ../shared/eval/questions.yaml.
const (
	examplesDir       = "../knowledge/data/examples"
	publicSet         = examplesDir + "/public.yaml"
	upstreamPublicSet = "../../shared/eval/questions.yaml"
)

// The bars the cross-validated figures must clear: the mean over the
// question sets (each scored by a model trained without it), and the public
// set on its own.
const (
	minMeanTop1       = 0.93
	minMeanAbstention = 0.90
	minPublicTop1     = 0.95
	minPublicAbst     = 0.90
)

// TestCrossValidated scores every set of the embedded examples with a model
// trained without it, gates on the figures, and checks that the bands of
// the embedded knowledge are those the held-out probabilities choose.
func TestCrossValidated(t *testing.T) {
	base := knowledge.Default()
	sets := Sets(base.Examples())
	rep := CrossValidate(context.Background(), base, sets, bot.Options{})
	var top1, abst float64
	var n int
	for _, s := range rep.Sets {
		t.Logf("%-60s top-1 %.3f of %3d, abstention %.3f of %3d", s.Name, s.Top1, s.InScope, s.Abstention, s.OutOfScope)
		if s.Name == filepath.Base(publicSet) {
			for _, m := range s.Misses {
				t.Logf("  public set miss line %d %q: expected %v, got %q (%s %.2f)", m.Line, m.Q, m.Expect, m.Got, m.Band, m.Confidence)
			}
			if s.Top1 < minPublicTop1 || s.Abstention < minPublicAbst {
				t.Errorf("public set, cross-validated: top-1 %.3f, abstention %.3f; want at least %.2f and %.2f", s.Top1, s.Abstention, minPublicTop1, minPublicAbst)
			}
		}
		if !strings.HasPrefix(s.Name, "category examples") {
			top1 += s.Top1
			abst += s.Abstention
			n++
		}
	}
	if n < 10 {
		t.Fatalf("only %d question sets among the examples", n)
	}
	top1, abst = top1/float64(n), abst/float64(n)
	t.Logf("mean of %d question sets: top-1 %.3f, abstention %.3f; of all %d sets: %.3f, %.3f; sides %.3f of %d",
		n, top1, abst, len(rep.Sets), rep.MeanTop1, rep.MeanAbstention, rep.SideAccuracy, rep.Sides)
	if top1 < minMeanTop1 || abst < minMeanAbstention {
		t.Errorf("cross-validated mean top-1 %.3f, abstention %.3f; want at least %.2f and %.2f", top1, abst, minMeanTop1, minMeanAbstention)
	}
	// The bands in use must do as well on the held-out predictions as the
	// best: the score within a hair, the cost no more than a tenth above.
	if rep.CurrentFit.Score < rep.BandsFit.Score-2*knowledge.BandsHair || rep.CurrentFit.Cost > rep.BandsFit.Cost*1.1+0.001 {
		t.Errorf("the embedded bands %+v do %+v on held-out predictions, the best %+v do %+v: set them in knowledge/data/overlay.yaml (mmdbot eval --cross-validate prints them)",
			rep.Current, rep.CurrentFit, rep.Bands, rep.BandsFit)
	}
}

// TestPublicSetIsUpstream checks that the repository's copy of the public
// set is the upstream one, where a checkout has it beside it.
func TestPublicSetIsUpstream(t *testing.T) {
	upstream, err := os.ReadFile(upstreamPublicSet)
	if errors.Is(err, fs.ErrNotExist) {
		t.Skipf("%s is not beside this checkout: nothing to compare the copy with", upstreamPublicSet)
	}
	if err != nil {
		t.Fatal(err)
	}
	ours, err := os.ReadFile(publicSet)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ours, upstream) {
		t.Errorf("%s differs from %s: copy it again (cp %s knowledge/data/examples/public.yaml)", publicSet, upstreamPublicSet, upstreamPublicSet)
	}
}

func TestParseErrors(t *testing.T) {
	for src, want := range map[string]string{
		"":                         "empty",
		"q: x":                     "a list",
		"- q: x\n  expect: nope\n": "cannot unmarshal",
		"- expect: []\n":           "needs a question",
		"- [":                      "not valid YAML",
	} {
		_, err := Parse("set.yaml", []byte(src))
		if err == nil || !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), "set.yaml") {
			t.Errorf("Parse(%q) = %v, want …%s…", src, err, want)
		}
	}
}

func TestRunCounts(t *testing.T) {
	items := []Item{
		{Q: "who handles VPN issues?", Expect: []string{"customer/network-infrastructure-including-vpn"}},
		{Q: "who handles VPN issues?", Expect: []string{"customer/printing"}},
		{Q: "who runs payroll?"},
		{Q: "hi"},
		{Q: "who installs new printers?"},
	}
	rep := Run(context.Background(), bot.New(knowledge.Default(), bot.Options{}), items)
	if rep.InScope != 2 || rep.OutOfScope != 3 || rep.Top1 != 0.5 || rep.Abstention != 2.0/3 || len(rep.Misses) != 2 {
		t.Errorf("report %+v", rep)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("- q: \"who handles VPN issues?\"\n  expect: [customer/network-infrastructure-including-vpn]\n  tags: [keyword]\n"))
	f.Add([]byte("- q: x\n  expect: []\n"))
	f.Add([]byte("{}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		items, err := Parse("set.yaml", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "set.yaml") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		for _, it := range items {
			if it.Q == "" || it.Line == 0 {
				t.Fatalf("item %+v", it)
			}
		}
	})
}
