package knowledge_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/mmdbot/mmdbot/internal/pagetest"
	"github.com/mmdbot/mmdbot/knowledge"
)

// loadPage reads an edited page as a comparison does: untrained.
func loadPage(t *testing.T, name string, page []byte) *knowledge.Base {
	t.Helper()
	kb, err := knowledge.ReadPage(knowledge.File{Name: name, Data: page})
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	return kb
}

// TestReadCompares: the knowledge read untrained compares as it loads.
func TestReadCompares(t *testing.T) {
	def, err := knowledge.ReadDefault()
	if err != nil {
		t.Fatal(err)
	}
	if d := knowledge.Compare(knowledge.Default(), def); !d.Equal() || len(def.Examples()) != len(knowledge.Default().Examples()) {
		t.Errorf("the embedded knowledge read untrained: %s, %d examples", d.Summary(), len(def.Examples()))
	}
	yaml := []byte("extends: default\nentries:\n  - title: Coffee machines\n    side: customer\n    description: Facilities keeps them running.\n")
	kb, err := knowledge.Read(knowledge.File{Name: "coffee.yaml", Data: yaml})
	if err != nil {
		t.Fatal(err)
	}
	if d := knowledge.Compare(def, kb); d.Summary() != "1 added" {
		t.Errorf("a YAML file extending the default: %s", d.Summary())
	}
	if _, err := knowledge.Read(knowledge.File{Name: "x.txt"}); err == nil {
		t.Error("a .txt file reads")
	}
}

func TestCompareSamePage(t *testing.T) {
	loaded, err := knowledge.Load(knowledge.File{Name: "copy.md", Data: knowledge.DefaultPage()})
	if err != nil {
		t.Fatal(err)
	}
	d := knowledge.Compare(knowledge.Default(), loaded)
	if !d.Equal() || d.Summary() != "no change" || len(d.Orphans) != 0 {
		t.Fatalf("the same page differs: %+v", d)
	}
}

// TestCompareEdits compares the embedded page with copies edited the way
// Microsoft edits its pages: each finds exactly its edit.
func TestCompareEdits(t *testing.T) {
	for _, e := range pagetest.Edits {
		t.Run(e.Name, func(t *testing.T) {
			d := knowledge.Compare(knowledge.Default(), loadPage(t, e.Name+".md", e.Page()))
			if d.Equal() {
				t.Fatal("no change found")
			}
			var pageFields []string
			for _, f := range d.Page {
				pageFields = append(pageFields, f.Field)
			}
			if want := slices.DeleteFunc([]string{e.PageFact}, func(s string) bool { return s == "" }); !slices.Equal(pageFields, want) {
				t.Errorf("page changes %v, want %v", pageFields, want)
			}
			if e.Kind == "" {
				if len(d.Entries) != 0 {
					t.Errorf("entry changes %+v, want none", d.Entries)
				}
				return
			}
			if len(d.Entries) != 1 {
				t.Fatalf("entry changes %+v, want one", d.Entries)
			}
			c := d.Entries[0]
			var fields []string
			for _, f := range c.Fields {
				fields = append(fields, f.Field)
			}
			if c.Kind != e.Kind || c.ID != e.ID || c.OldID != e.OldID || !slices.Equal(fields, e.Fields) {
				t.Errorf("change %s %q (was %q) %v, want %s %q (was %q) %v", c.Kind, c.ID, c.OldID, fields, e.Kind, e.ID, e.OldID, e.Fields)
			}
		})
	}
}

func TestCompareRewordedWords(t *testing.T) {
	d := knowledge.Compare(knowledge.Default(), loadPage(t, "x.md", pagetest.Find("reworded").Page()))
	f := d.Entries[0].Fields[0]
	got := knowledge.WordDiffText(f.Words)
	want := "[-Cloud printing is a-]{+Universal Print is the+} recommended solution, but it isn't required."
	if !strings.HasSuffix(got, want) || !strings.HasPrefix(got, "… and administering printers and print queues. [-") {
		t.Errorf("word diff %q, want it to end %q", got, want)
	}
}

func TestCompareOwnerMoved(t *testing.T) {
	d := knowledge.Compare(knowledge.Default(), loadPage(t, "x.md", pagetest.Find("owner-moved").Page()))
	f := d.Entries[0].Fields[0]
	if f.Old != "customer" || f.New != "microsoft" {
		t.Errorf("owner %q → %q, want customer → microsoft", f.Old, f.New)
	}
}

// TestCompareOrphans: a row gone leaves the overlay's annotations, the
// examples and the vocabulary that name it, all listed.
func TestCompareOrphans(t *testing.T) {
	for _, name := range []string{"removed", "renamed"} {
		d := knowledge.Compare(knowledge.Default(), loadPage(t, "x.md", pagetest.Find(name).Page()))
		what := map[string]int{}
		for _, o := range d.Orphans {
			if o.ID != "customer/printing" {
				t.Errorf("%s: orphan of %q", name, o.ID)
			}
			what[strings.Fields(o.What)[0]]++
			if strings.HasPrefix(o.What, "example") && !strings.Contains(o.Where, ":") {
				t.Errorf("%s: example orphan without file and line: %+v", name, o)
			}
		}
		if what["overlay"] == 0 || what["example"] == 0 || what["vocabulary"] == 0 {
			t.Errorf("%s: orphans %v, want overlay annotations, examples and vocabulary terms", name, what)
		}
	}
}

func TestDiffJSON(t *testing.T) {
	d := knowledge.Compare(knowledge.Default(), loadPage(t, "x.md", pagetest.Find("reworded").Page()))
	out, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	var back knowledge.Diff
	if err := json.Unmarshal(out, &back); err != nil {
		t.Fatal(err)
	}
	if back.Entries[0].Fields[0].Words[0].Op != "=" || back.Old.Date != "2022-12-06" {
		t.Errorf("JSON round trip lost the diff: %s", out)
	}
}

// TestWordDiff: the runs of a word diff rebuild both texts.
func TestWordDiff(t *testing.T) {
	for _, c := range [][2]string{
		{"", ""}, {"a b c", "a b c"}, {"", "new text"}, {"old text", ""},
		{"the quick brown fox", "the slow brown fox jumps"},
		{"  spaced   out ", "spaced out"},
		{"\U000F0000 private \U0010FFFD use", "private use"},
	} {
		checkWordDiff(t, c[0], c[1])
	}
}

func checkWordDiff(t *testing.T, a, b string) {
	t.Helper()
	var ra, rb strings.Builder
	for _, w := range knowledge.WordDiff(a, b) {
		if w.Text == "" {
			t.Fatalf("WordDiff(%q, %q) has an empty run", a, b)
		}
		switch w.Op {
		case "=":
			ra.WriteString(w.Text)
			rb.WriteString(w.Text)
		case "-":
			ra.WriteString(w.Text)
		case "+":
			rb.WriteString(w.Text)
		default:
			t.Fatalf("WordDiff(%q, %q): op %q", a, b, w.Op)
		}
	}
	if ra.String() != a || rb.String() != b {
		t.Fatalf("WordDiff(%q, %q) rebuilds %q and %q", a, b, ra.String(), rb.String())
	}
}

func FuzzWordDiff(f *testing.F) {
	f.Add("You're responsible for installing printers.", "You're responsible for printers and queues.")
	f.Add("a\tb\nc", "a b  c\n")
	f.Fuzz(func(t *testing.T, a, b string) {
		checkWordDiff(t, a, b)
		_ = knowledge.WordDiffText(knowledge.WordDiff(a, b))
	})
}

// TestReadPage: a page read for comparing, untrained, compares as the page
// loaded does, keeps the examples naming its entries, and still answers,
// from the lexical matcher.
func TestReadPage(t *testing.T) {
	e := pagetest.Find("renamed")
	kb, err := knowledge.ReadPage(knowledge.File{Name: "https://mirror.example/page", Data: e.Page()})
	if err != nil {
		t.Fatal(err)
	}
	d := knowledge.Compare(knowledge.Default(), kb)
	if len(d.Entries) != 1 || d.Entries[0].Kind != knowledge.ChangeRenamed || len(kb.Examples()) == 0 {
		t.Fatalf("diff %s, %d examples", d.Summary(), len(kb.Examples()))
	}
	for _, ex := range kb.Examples() {
		for _, id := range ex.Expect {
			if _, ok := kb.Entry(id); !ok {
				t.Fatalf("example %q names %q, which the page does not have", ex.Q, id)
			}
		}
	}
	if res := kb.Search("who installs printers?"); len(res.Matches) == 0 {
		t.Error("an untrained page finds nothing")
	}
	if _, err := knowledge.ReadPage(knowledge.File{Name: "https://mirror.example/page", Data: []byte("| a |\n")}); err == nil || !strings.Contains(err.Error(), "https://mirror.example/page:1:") {
		t.Errorf("a broken page: %v", err)
	}
}

// TestOrphanGroups: the orphans of one id, counted for a person to read.
func TestOrphanGroups(t *testing.T) {
	d := knowledge.Compare(knowledge.Default(), loadPage(t, "x.md", pagetest.Find("removed").Page()))
	gs := d.OrphanGroups()
	if len(gs) != 1 || gs[0].ID != "customer/printing" {
		t.Fatalf("groups %+v", gs)
	}
	g := gs[0]
	total := 0
	for i, f := range g.Files {
		total += f.Count
		if i > 0 && f.Count > g.Files[i-1].Count {
			t.Errorf("files not most first: %+v", g.Files)
		}
	}
	if total != g.Examples || g.Examples == 0 || !slices.Contains(g.Overlay, "keywords") || len(g.Terms) == 0 || strings.Contains(g.Terms[0], `"`) {
		t.Errorf("group %+v", g)
	}
}

// FuzzCompare: whatever page is published, reading it refuses garbage with
// errors naming the line, and comparing what reads never panics and finds
// the same page equal to itself.
func FuzzCompare(f *testing.F) {
	for _, e := range pagetest.Edits {
		f.Add(e.Page())
	}
	f.Add([]byte("# T\n\n## Your roles\n\n| Role | Description | Owner |\n| --- | --- | --- |\n| Printing | B<br><ul><li>x</li></ul> | shared |\n"))
	f.Fuzz(func(t *testing.T, page []byte) {
		kb, err := knowledge.ReadPage(knowledge.File{Name: "https://mirror.example/page.md", Data: page})
		if err != nil {
			if es, ok := knowledge.AsErrors(err); !ok || len(es) == 0 || es[0].File != "https://mirror.example/page.md" {
				t.Fatalf("error %v does not name the page", err)
			}
			return
		}
		d := knowledge.Compare(knowledge.Default(), kb)
		_ = d.Summary()
		_ = d.OrphanGroups()
		if same := knowledge.Compare(kb, kb); !same.Equal() {
			t.Fatalf("a page differs from itself: %s", same.Summary())
		}
	})
}

// BenchmarkCompare compares the embedded knowledge with an edited copy of
// its page: what a server's check does when the published page changed.
func BenchmarkCompare(b *testing.B) {
	kb, err := knowledge.ReadPage(knowledge.File{Name: "x.md", Data: pagetest.Find("renamed").Page()})
	if err != nil {
		b.Fatal(err)
	}
	old := knowledge.Default()
	b.ReportAllocs()
	for b.Loop() {
		knowledge.Compare(old, kb)
	}
	b.ReportMetric(float64(len(kb.Entries())), "entries")
}

// BenchmarkReadPage reads the published page without training a model:
// what a check does with a page that changed, before comparing it.
func BenchmarkReadPage(b *testing.B) {
	page := knowledge.DefaultPage()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := knowledge.ReadPage(knowledge.File{Name: "x.md", Data: page}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(page)), "page-bytes")
}
