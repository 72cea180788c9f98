package knowledge

import (
	"slices"
	"testing"
)

// TestVocabularyPointsToItsEntries asks each vocabulary term of the embedded
// overlay on its own, and in a question, and checks that the answer is one of
// the entries the term is tied to: the vocabulary says what it means.
func TestVocabularyPointsToItsEntries(t *testing.T) {
	kb := Default()
	for _, term := range kb.Vocabulary().Terms {
		for _, q := range []string{term.Term, "who handles " + term.Term + "?"} {
			r := kb.Search(q)
			if len(r.Matches) == 0 || r.Band == BandUnknown {
				t.Errorf("%q: no answer (confidence %.2f)", q, r.Confidence)
				continue
			}
			if top := r.Matches[0].Entry.ID; !slices.Contains(term.Entries, top) {
				t.Errorf("%q: answered %s, but the term is tied to %v", q, top, term.Entries)
			}
		}
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
