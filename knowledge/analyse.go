package knowledge

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/sahilm/fuzzy"

	"github.com/mmdbot/mmdbot/internal/mention"
)

// The first stage of matching: a question is read into words. Mentions and
// markup go, misspelt words are corrected, the overlay's synonyms rewrite
// abbreviations and spellings, and each word is stemmed and marked as a topic
// word, an off-topic word or neither.

// analysis is a question read for matching.
type analysis struct {
	query       string            // the question, mentions stripped
	typed       []string          // its tokens as typed, for character n-grams
	words       []string          // after spelling correction and synonyms
	corrections map[string]string // a typed word → the word it was read as
	stems       []string          // the stem of each word
	weight      []float64         // how much each word counts
	// topic holds the positions in words of the topic words (not
	// stopwords); off marks those that belong to an off-topic phrase.
	topic []int
	off   []bool
}

// topicStem returns the stem of the k-th topic word.
func (a *analysis) topicStem(k int) string { return a.stems[a.topic[k]] }

// topicWord returns the k-th topic word.
func (a *analysis) topicWord(k int) string { return a.words[a.topic[k]] }

// analyse reads a question.
func (b *Base) analyse(question string) analysis {
	a := analysis{query: mention.Strip(question)}
	text := question
	if strings.IndexByte(text, '.') >= 0 {
		text = deliveryCode.ReplaceAllString(text, "${1} ndr ${2}")
	}
	a.typed = reshape(Tokens(text))
	corrected, fixed := b.index.correct(a.typed)
	a.corrections = fixed
	a.words = b.vocab.rewrite(corrected)
	a.stems = stems(a.words)
	a.weight = make([]float64, len(a.words))
	var topicSurface []string
	for i, w := range a.words {
		// The word right after "who" is mostly the action ("who updates
		// the manager field", "who installs printers"): it counts less, the
		// object of the action carries the topic.
		a.weight[i] = 1
		if i > 0 && a.words[i-1] == "who" || i > 1 && a.words[i-1] == "to" && modals[a.words[i-2]] {
			a.weight[i] = verbWeight
		}
		if !stopwords[w] {
			a.topic = append(a.topic, i)
			topicSurface = append(topicSurface, w)
		}
	}
	a.off = b.offTopicWords(a.words, topicSurface, a.topic)
	return a
}

// offTopicWords marks the topic words of a question (contSurface, standing
// at positions at of words) that belong to an off-topic phrase.
func (b *Base) offTopicWords(words, contSurface []string, at []int) []bool {
	offWord := b.index.offTopic(surface(contSurface))
	full := surface(words)
	for _, p := range b.vocab.offWhole {
		for i := 0; i+len(p) <= len(full); i++ {
			if slices.Equal(full[i:i+len(p)], p) {
				for k, j := range at {
					if j >= i && j < i+len(p) {
						offWord[k] = true
					}
				}
			}
		}
	}
	// An off-topic word that names an IT thing ("the expenses app", "the
	// payroll system") is not off-topic.
	for k := range offWord {
		if offWord[k] && k+1 < len(contSurface) && itNouns[contSurface[k+1]] {
			offWord[k] = false
		}
	}
	return offWord
}

// offTopic marks the words of seq that belong to an off-topic phrase.
func (ix *index) offTopic(seq []string) []bool {
	marks := make([]bool, len(seq))
	for i, w := range seq {
		for _, p := range ix.off[w] {
			if i+len(p) <= len(seq) && slices.Equal(seq[i:i+len(p)], p) {
				for j := i; j < i+len(p); j++ {
					marks[j] = true
				}
			}
		}
	}
	return marks
}

// rewrite applies the global synonyms to a word sequence, twice, so that a
// rule may build on another ("office wi fi" → "office wifi" → "location wifi").
func (v *Vocabulary) rewrite(words []string) []string {
	return v.rewriteOnce(v.rewriteOnce(words))
}

func (v *Vocabulary) rewriteOnce(words []string) []string {
	if !slices.ContainsFunc(words, func(w string) bool { return len(v.syn[w]) > 0 }) {
		return words // nothing to rewrite: most texts
	}
	var out []string
next:
	for i := 0; i < len(words); i++ {
		for _, rule := range v.syn[words[i]] {
			sep := slices.Index(rule, "=>")
			from, to := rule[:sep], rule[sep+1:]
			if i+len(from) <= len(words) && slices.Equal(words[i:i+len(from)], from) {
				out = append(out, to...)
				i += len(from) - 1
				continue next
			}
		}
		out = append(out, words[i])
	}
	return out
}

// correct replaces misspelt words by the closest word the knowledge knows:
// candidates come from sahilm/fuzzy (typed letters in order) and from an
// edit distance of one (two for long words), the nearest and most similar
// winning. Words the knowledge knows, stopwords and short words are kept.
func (ix *index) correct(words []string) ([]string, map[string]string) {
	var fixed map[string]string
	out := make([]string, len(words))
	for i, w := range words {
		out[i] = w
		best := ix.correction(w)
		if best != "" {
			if fixed == nil {
				fixed = map[string]string{}
			}
			fixed[w] = best
			out[i] = best
		}
	}
	return out, fixed
}

// correction returns the word w is a misspelling of, or "", remembering
// the answer for the words people type again.
func (ix *index) correction(w string) string {
	if c, ok := ix.corrected.Load(w); ok {
		return c.(string)
	}
	c := ix.correctWord(w)
	if ix.correctedCount.Load() < maxRemembered {
		ix.correctedCount.Add(1)
		ix.corrected.Store(strings.Clone(w), c)
	}
	return c
}

// correctWord finds the word w is a misspelling of, or "".
func (ix *index) correctWord(w string) string {
	n := utf8.RuneCountInString(w)
	if n < 4 || ix.dictSet[w] || stopwords[w] || ix.known[Stem(w)] || isNoise(w) || isEnglish(w) {
		// Known words, and real English words ("picking" is not a
		// misspelt "parking"), are read as typed.
		return ""
	}
	maxDist := 1
	if n >= 7 {
		maxDist = 2
	}
	best, bestD, bestS := "", maxDist+1, -1<<31
	// People rarely mistype the first letter: a word that differs there
	// is another word ("watches", "patches"), so only words that start
	// alike are candidates.
	first, _ := utf8.DecodeRuneInString(w)
	var pool []string
	for l := n - maxDist; l <= n+maxDist; l++ {
		pool = append(pool, ix.dictBy[dictKey{first, l}]...)
	}
	fz := map[string]int{}
	for _, m := range fuzzy.FindNoSort(w, pool) {
		fz[pool[m.Index]] = m.Score
	}
	for _, c := range pool {
		d := editDistance(w, c, maxDist)
		if d > maxDist {
			continue
		}
		if n <= 5 && utf8.RuneCountInString(c) == n && !transposed(w, c) {
			// In a short word a changed letter makes another word
			// ("byod", "bsod") more often than a typo does.
			continue
		}
		s, ok := fz[c]
		if !ok {
			s = -1000
		}
		if d < bestD || (d == bestD && s > bestS) {
			best, bestD, bestS = c, d, s
		}
	}
	if best != "" && englishCloser(w, first, n, bestD) {
		// A misspelt ordinary word ("droping") is not a domain word.
		best = ""
	}
	return best
}

// transposed reports whether a and b differ by two adjacent letters swapped.
func transposed(a, b string) bool {
	ra, rb := []rune(a), []rune(b)
	if len(ra) != len(rb) {
		return false
	}
	for i := 0; i+1 < len(ra); i++ {
		if ra[i] != rb[i] {
			return ra[i] == rb[i+1] && ra[i+1] == rb[i] && string(ra[i+2:]) == string(rb[i+2:])
		}
	}
	return false
}

// englishCloser reports whether an English word is nearer to w than d.
func englishCloser(w string, first rune, n, d int) bool {
	if d <= 1 {
		// Nothing but w itself is nearer; equally near words lose to the
		// knowledge's own.
		return false
	}
	by := englishBy()
	for l := n - d + 1; l <= n+d-1; l++ {
		for _, c := range by[dictKey{first, l}] {
			if editDistance(w, c, d-1) < d {
				return true
			}
		}
	}
	return false
}

// editDistance is the optimal-string-alignment distance between a and b
// (insertions, deletions, substitutions and adjacent transpositions), or
// max+1 as soon as it must exceed max.
func editDistance(a, b string, max int) int {
	ra, rb := []rune(a), []rune(b)
	if d := len(ra) - len(rb); d > max || -d > max {
		return max + 1
	}
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
			rowMin = min(rowMin, cur[j])
		}
		if rowMin > max {
			return max + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

// isNoise reports whether a word is too short or numeric to count for or
// against a question.
func isNoise(w string) bool {
	if utf8.RuneCountInString(w) < 3 {
		return true
	}
	for _, r := range w {
		if unicode.IsLetter(r) {
			return false
		}
	}
	return true
}
