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

// The bars a question set must clear.
const (
	minTop1       = 0.95
	minAbstention = 0.90
)

func runSet(t *testing.T, path string) Report {
	t.Helper()
	items, err := ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && os.Getenv("MMD_REQUIRE_EVAL") != "1" {
		t.Skipf("%s is not here (set MMD_REQUIRE_EVAL=1 to make this a failure)", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	rep := Run(context.Background(), bot.New(knowledge.Default(), bot.Options{}), items)
	for _, m := range rep.Misses {
		t.Logf("miss %s:%d %q: expected %v, got %q (%s %.2f)", m.File, m.Line, m.Q, m.Expect, m.Got, m.Band, m.Confidence)
	}
	t.Logf("%s: top-1 %.3f of %d in scope, abstention %.3f of %d out of scope, %.0f ns per question",
		path, rep.Top1, rep.InScope, rep.Abstention, rep.OutOfScope, rep.PerQuestion)
	if rep.Top1 < minTop1 {
		t.Errorf("top-1 accuracy %.3f is below %.2f", rep.Top1, minTop1)
	}
	if rep.Abstention < minAbstention {
		t.Errorf("abstention %.3f is below %.2f", rep.Abstention, minAbstention)
	}
	return rep
}

func TestPublicSet(t *testing.T) { runSet(t, publicSet) }

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

// TestSets runs every question set the knowledge carries as examples.
func TestSets(t *testing.T) {
	files, err := filepath.Glob(examplesDir + "/*.yaml")
	if err != nil || len(files) < 2 {
		t.Fatalf("question sets in %s: %v %v", examplesDir, files, err)
	}
	for _, f := range files {
		if f == publicSet {
			continue // TestPublicSet
		}
		t.Run(filepath.Base(f), func(t *testing.T) { runSet(t, f) })
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
