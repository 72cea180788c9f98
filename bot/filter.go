package bot

import (
	"strings"

	"github.com/sahilm/fuzzy"

	"github.com/mmdbot/mmdbot/knowledge"
)

// filterMargin is how far below the best fuzzy score a title may score and
// still be kept: it keeps the close matches and drops the letters that are
// merely scattered through a long title.
const filterMargin = 25

// Filter returns the ids of the entries a table filter keeps, or nil when
// the filter is blank (every entry is kept). A filter narrows a table as one
// types; it is not a question, so it is neither journalled nor counted. An
// entry is kept when any of these finds it:
//
//   - the matcher the questions use: asked the filter as a question, it
//     answers with the entry or offers it as a choice ("wifi", "patch
//     tuesday", "who fixes printers?");
//   - words and stems: each word of the filter begins a word of the entry's
//     title or description, or shares its stem ("updates" finds "Update
//     monitoring", "upd" too, as one types);
//   - the title: it holds the text, or sahilm/fuzzy matches the text to it
//     close to the best title's score ("mgmt", "sec mon").
func (b *Bot) Filter(filter string) map[string]bool {
	text := strings.TrimSpace(filter)
	if text == "" {
		return nil
	}
	kb := b.kb.Load()
	keep := map[string]bool{}
	res := kb.Search(text)
	switch res.Band {
	case knowledge.BandAnswer:
		n := 1
		if res.BothSides {
			n = 2
		}
		for _, m := range res.Matches[:n] {
			keep[m.Entry.ID] = true
		}
	case knowledge.BandSuggest:
		for _, m := range res.Matches[:res.Choices] {
			keep[m.Entry.ID] = true
		}
	}

	words := filterWords(text)
	titles := make([]string, len(kb.Entries()))
	lower := strings.ToLower(text)
	for i, e := range kb.Entries() {
		titles[i] = e.Title
		if strings.Contains(strings.ToLower(e.Title), lower) || (len(words) > 0 && hasWords(e, words)) {
			keep[e.ID] = true
		}
	}
	matches := fuzzy.Find(text, titles)
	for _, m := range matches {
		if m.Score >= matches[0].Score-filterMargin {
			keep[kb.Entries()[m.Index].ID] = true
		}
	}
	return keep
}

// filterWords are the words of a filter that say something: its stopwords
// ("the", "who") are dropped, unless it has nothing else.
func filterWords(text string) []string {
	all := knowledge.Tokens(text)
	var words []string
	for _, w := range all {
		if !knowledge.IsStopword(w) {
			words = append(words, w)
		}
	}
	if len(words) == 0 {
		return all
	}
	return words
}

// hasWords reports whether each of words begins a word of the entry's title
// or description, or shares the stem of one.
func hasWords(e *knowledge.Entry, words []string) bool {
	own := knowledge.Tokens(e.Title + " " + e.Description())
	for _, w := range words {
		stem := knowledge.Stem(w)
		found := false
		for _, o := range own {
			if strings.HasPrefix(o, w) || knowledge.Stem(o) == stem {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}
