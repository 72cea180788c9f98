package knowledge

import (
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"

	"github.com/kljensen/snowball/english"

	"github.com/mmdbot/mmdbot/internal/mention"
)

var (
	slackEmoji  = regexp.MustCompile(`:[a-z0-9_+-]+:`)
	apostrophes = strings.NewReplacer("’", "'", "‘", "'", "`", "'")
	htmlEntity  = strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&nbsp;", " ", "&quot;", `"`, "&#39;", "'")
)

// Tokens splits text into lower-case words: letters and digits, with
// contractions expanded ("won't" → "will not") and possessives dropped;
// mentions, emoji, punctuation and markup are removed.
func Tokens(s string) []string {
	if strings.IndexByte(s, '&') >= 0 {
		s = htmlEntity.Replace(s)
	}
	s = strings.ToLower(mention.Remove(s))
	if strings.IndexByte(s, ':') >= 0 {
		s = slackEmoji.ReplaceAllString(s, " ")
	}
	if strings.IndexByte(s, '`') >= 0 || strings.IndexByte(s, 0xE2) >= 0 { // ’ and ‘ start with 0xE2
		s = apostrophes.Replace(s)
	}
	out := make([]string, 0, len(s)/5+1)
	start := -1
	for i, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '\'' {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			out = appendToken(out, s[start:i])
			start = -1
		}
	}
	if start >= 0 {
		out = appendToken(out, s[start:])
	}
	return out
}

// appendToken adds one run of letters, digits and apostrophes to tokens.
func appendToken(out []string, f string) []string {
	f = strings.Trim(f, "'")
	if f == "" {
		return out
	}
	if exp, ok := contractions[f]; ok {
		return append(out, exp...)
	}
	if w, ok := strings.CutSuffix(f, "n't"); ok {
		return append(out, w, "not")
	}
	if i := strings.IndexByte(f, '\''); i >= 0 {
		// who's, they're, we'd, user's: keep the word, drop the clitic.
		f = f[:i]
		if f == "" {
			return out
		}
	}
	return append(out, f)
}

var contractions = map[string][]string{
	"won't": {"will", "not"}, "can't": {"can", "not"}, "cannot": {"can", "not"},
	"shan't": {"shall", "not"}, "wont": {"will", "not"}, "cant": {"can", "not"},
	"dont": {"do", "not"}, "doesnt": {"does", "not"}, "didnt": {"did", "not"},
	"isnt": {"is", "not"}, "arent": {"are", "not"}, "wasnt": {"was", "not"},
	"werent": {"were", "not"}, "havent": {"have", "not"}, "hasnt": {"has", "not"},
	"shouldnt": {"should", "not"}, "wouldnt": {"would", "not"}, "couldnt": {"could", "not"},
	"aint": {"is", "not"},
}

// Stem reduces a lower-case word to its stem (Snowball English); words of
// fewer than four letters and words with digits are kept as they are.
// Stems are remembered: the same words come back in every question and in
// every entry of a large knowledge base.
func Stem(w string) string {
	if len(w) < 4 || strings.ContainsAny(w, "0123456789") {
		return w
	}
	if s, ok := stemmed.Load(w); ok {
		return s.(string)
	}
	s := english.Stem(w, false)
	if stemmedCount.Load() < maxRemembered {
		stemmedCount.Add(1)
		stemmed.Store(strings.Clone(w), s)
	}
	return s
}

// maxRemembered bounds the words whose stem (or spelling correction) is
// remembered, whatever people type.
const maxRemembered = 1 << 17

var (
	stemmed      sync.Map // word → stem
	stemmedCount atomic.Int64
)
