package knowledge

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

func FuzzParseMarkdown(f *testing.F) {
	f.Add(defaultPage)
	f.Add([]byte("# T\n\n## Your roles\n\n| Role | Description | Owner |\n| --- | --- | --- |\n| A | B<br><ul><li>x</li></ul> | shared |\n"))
	f.Add([]byte("---\ntitle: x\nms.date: 1/2/2020\n---\n## Microsoft's roles\n\n| a | b |\n|---|---|\n| [l](../x.md#y) | **b** `c` |\n"))
	f.Add([]byte("| a |\n| b |\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		page, entries, err := ParseMarkdown("fuzz.md", src, "")
		if err != nil {
			es, ok := AsErrors(err)
			if !ok || len(es) == 0 {
				t.Fatalf("error %v is not a list of load errors", err)
			}
			for _, e := range es {
				if e.File != "fuzz.md" || e.Msg == "" {
					t.Fatalf("load error without file or message: %+v", e)
				}
			}
			if entries != nil {
				t.Fatal("a failed load returned entries")
			}
			return
		}
		if page.URL == "" || len(entries) == 0 {
			t.Fatalf("a successful load has no page address or no entries")
		}
		for _, e := range entries {
			if e.Title == "" || !validID(e.ID) {
				t.Fatalf("bad entry %+v", e)
			}
		}
	})
}

func FuzzSearch(f *testing.F) {
	for _, s := range []string{"who handles VPN issues?", "<at>mmd</at> printers", "<@U1|x> ", "\xff\xfe", "wi-fi 🙃", strings.Repeat("a ", 500), "who's who'''s"} {
		f.Add(s)
	}
	kb := Default()
	f.Fuzz(func(t *testing.T, q string) {
		r := kb.Search(q)
		switch r.Band {
		case BandAnswer, BandSuggest, BandUnknown:
		default:
			t.Fatalf("band %q", r.Band)
		}
		if r.Confidence < 0 || r.Confidence > 1 {
			t.Fatalf("confidence %v", r.Confidence)
		}
		if r.Band != BandUnknown && len(r.Matches) == 0 {
			t.Fatal("an answer without matches")
		}
		if len(r.Matches) > MaxMatches || r.Choices > MaxAlternatives {
			t.Fatalf("%d matches, %d alternatives", len(r.Matches), r.Choices)
		}
		for i := 1; i < len(r.Matches); i++ {
			if r.Matches[i].Score > r.Matches[i-1].Score {
				t.Fatal("matches out of order")
			}
		}
		if utf8.ValidString(q) && !utf8.ValidString(r.Query) {
			t.Fatal("query became invalid UTF-8")
		}
	})
}

func FuzzParseOverlay(f *testing.F) {
	f.Add(defaultOverlay)
	f.Add([]byte("extends: default\nentries:\n  - title: X\n    side: customer\n    description: d\n"))
	f.Add([]byte("vocabulary: {a: b}\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		ov, err := ParseOverlay("fuzz.yaml", src)
		if err != nil {
			if _, ok := AsErrors(err); !ok {
				t.Fatalf("error %v is not a list of load errors", err)
			}
			return
		}
		if ov == nil {
			t.Fatal("nil overlay without error")
		}
		// Loading it as a knowledge base must fail cleanly or succeed.
		_, _ = Load(File{Name: "fuzz.yaml", Data: src})
	})
}

// generated returns a knowledge base of n entries built from the real ones
// with varied titles and vocabulary, for benchmarks at scale.
func generated(n int) *Base {
	kb, err := Load(generatedFile(n))
	if err != nil {
		panic(err)
	}
	return kb
}

// generatedFile is the knowledge file generated returns the base of.
func generatedFile(n int) File {
	var b strings.Builder
	b.WriteString("page:\n  title: Generated\n  description: d\n  date: 2025-01-01\n  url: https://example.com/kb\nentries:\n")
	words := strings.Fields("printer vpn proxy mailbox sharepoint intune patch update group identity account licence app package firewall wifi dns defender alert kiosk server backup scanner phone tablet monitor dock headset badge camera storage network license portal")
	base := Default().Entries()
	for i := 0; i < n; i++ {
		src := base[i%len(base)]
		side := "customer"
		if i%3 == 0 {
			side = "microsoft"
		}
		desc := src.Description() + " Covers " + words[(i*7)%len(words)] + " and " + words[(i*13)%len(words)] + "."
		fmt.Fprintf(&b, "  - title: %s %s %d\n    side: %s\n    description: |\n      %s\n    keywords: [%s, %s]\n",
			src.Title, words[i%len(words)], i, side,
			strings.ReplaceAll(strings.ReplaceAll(desc, "• ", "- "), "\n", "\n      "),
			words[(i*3)%len(words)], words[(i*5)%len(words)]+" "+words[(i*11)%len(words)])
	}
	return File{Name: "generated.yaml", Data: []byte(b.String())}
}

var benchQuestions = []string{
	"@mmd who handles VPN issues?",
	"who packages our win32 apps for intune?",
	"printr queue stuck, who manages the print queues?",
	"<at>mmd</at> major incident: half our managed devices are blue-screening. who do IT admins contact?",
	"what's for lunch in the cafeteria today",
	"who fixes SPF for our domain?",
}

func benchmarkSearch(b *testing.B, kb *Base) {
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		kb.Search(benchQuestions[n%len(benchQuestions)])
		n++
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/question")
	b.ReportMetric(float64(len(kb.Entries())), "entries")
}

func BenchmarkSearchBuiltin(b *testing.B) { benchmarkSearch(b, Default()) }

func BenchmarkSearch10k(b *testing.B) {
	kb := generated(10000)
	b.ResetTimer()
	benchmarkSearch(b, kb)
}

// BenchmarkLoadDefault loads the embedded knowledge as the server does at
// start and on reload: the page, the overlay, the concepts and the examples
// read, the index built, and the models trained on every example.
func BenchmarkLoadDefault(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		p, entries, err := ParseMarkdown(DefaultPageName, defaultPage, "")
		if err != nil {
			b.Fatal(err)
		}
		ov, err := embeddedOverlay()
		if err != nil {
			b.Fatal(err)
		}
		kb, err := assemble(p, entries, ov, true)
		if err != nil || kb.model == nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(Default().Examples())), "examples")
}

// BenchmarkLoad10k loads a generated knowledge base of 10,000 entries.
func BenchmarkLoad10k(b *testing.B) {
	f := generatedFile(10000)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := Load(f); err != nil {
			b.Fatal(err)
		}
	}
}
