package knowledge

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestVocabularyPointsToItsEntries asks each vocabulary term of the embedded
// overlay on its own, and in a question, and checks that it lands where it
// says: the best match is one of the entries the term is tied to, and the
// question is not judged out of scope. (Whether the bot then answers, or
// offers choices between the term's entries, is the bands' decision.)
func TestVocabularyPointsToItsEntries(t *testing.T) {
	kb := Default()
	for _, term := range kb.Vocabulary().Terms {
		for _, q := range []string{term.Term, "who handles " + term.Term + "?"} {
			if msg := landsOn(kb, q, term.Entries); msg != "" {
				t.Errorf("term %q: %s", term.Term, msg)
			}
		}
	}
}

// landsOn says how a question fails to land on one of the entries, or "".
func landsOn(kb *Base, q string, entries []string) string {
	r := kb.Search(q)
	switch {
	case len(r.Matches) == 0:
		return fmt.Sprintf("%q: no match", q)
	case r.OutOfScope >= kb.Bands().OutOfScope:
		return fmt.Sprintf("%q: judged out of scope (%.2f), best %v", q, r.OutOfScope, ids(r.Matches))
	case !slices.Contains(entries, r.Matches[0].Entry.ID):
		return fmt.Sprintf("%q: best %v, but it is tied to %v", q, ids(r.Matches), entries)
	}
	return ""
}

// TestConceptsLandWhereTheySay asks each concept of the IT estate on its
// own and checks that it lands on one of its entries, or gets "I don't
// know" when it is outside MMD.
func TestConceptsLandWhereTheySay(t *testing.T) {
	kb := Default()
	ov, err := ParseOverlay(DefaultConceptsName, defaultConcepts)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range ov.Categories {
		for _, k := range c.Concepts {
			n++
			if k.Outside {
				if r := kb.Search(k.Term.Term); r.Band != BandUnknown {
					t.Errorf("%s: %q is outside MMD, but answered %v (%s)", c.Name, k.Term.Term, ids(r.Matches), r.Band)
				}
			} else if msg := landsOn(kb, k.Term.Term, k.Entries); msg != "" {
				t.Errorf("%s: %s", c.Name, msg)
			}
		}
	}
	if n < 400 {
		t.Errorf("only %d concepts", n)
	}
}

// TestEmbeddedPhrasesOnce checks that no phrase is given twice across the
// embedded vocabulary, concepts and off-topic words: a phrase means one
// thing.
func TestEmbeddedPhrasesOnce(t *testing.T) {
	ov, err := embeddedOverlay()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	note := func(p, where string) {
		p = strings.ToLower(strings.TrimSpace(p))
		if prev, ok := seen[p]; ok {
			t.Errorf("%q is given in %s and in %s", p, prev, where)
		}
		seen[p] = where
	}
	for _, term := range ov.Vocabulary {
		for _, p := range append([]string{term.Term}, term.Also...) {
			note(p, fmt.Sprintf("%s:%d (term %q)", term.file, term.line, term.Term))
		}
	}
	for _, p := range ov.OffTopic {
		note(p, "the off-topic words")
	}
}

// TestOffTopicAbstains checks that each off-topic word of the overlay, asked
// about, gets "I don't know".
func TestOffTopicAbstains(t *testing.T) {
	kb := Default()
	for _, w := range kb.Vocabulary().OffTopic {
		q := "who is responsible for the " + w + "?"
		if r := kb.Search(q); r.Band != BandUnknown {
			t.Errorf("%q: band %s (%v), want unknown", q, r.Band, ids(r.Matches))
		}
	}
}

func TestTopK(t *testing.T) {
	tests := []struct {
		scores []float64
		k      int
		want   []int
	}{
		{[]float64{1, 5, 3, 5, 0, 2}, 3, []int{1, 3, 2}},
		{[]float64{0, 0, -1}, 3, []int{}},
		{[]float64{2, 1}, 5, []int{0, 1}},
		{[]float64{1, 2, 3, 4, 5, 6, 7}, 2, []int{6, 5}},
	}
	for _, tt := range tests {
		if got := topK(tt.scores, tt.k); !slices.Equal(got, tt.want) {
			t.Errorf("topK(%v, %d) = %v, want %v", tt.scores, tt.k, got, tt.want)
		}
	}
}

// TestOwnEntriesBeatOffTopic checks that an organisation's own entry about
// something the embedded overlay calls off-topic is found.
func TestOwnEntriesBeatOffTopic(t *testing.T) {
	kb, err := Load(File{Name: "kb.yaml", Data: []byte(`
extends: default
entries:
  - title: Docking stations and monitors
    side: customer
    description: The service desk orders and replaces docking stations.
    keywords: [docking station, external monitor]
`)})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"who replaces docking stations?", "my external monitor flickers"} {
		r := kb.Search(q)
		if r.Band == BandUnknown || r.Matches[0].Entry.ID != "customer/docking-stations-and-monitors" {
			t.Errorf("%q: band %s, %v", q, r.Band, ids(r.Matches))
		}
	}
	if r := Default().Search("who replaces docking stations?"); r.Band != BandUnknown {
		t.Errorf("without the entry: band %s", r.Band)
	}
}
