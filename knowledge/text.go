package knowledge

import (
	"regexp"
	"strings"
	"unicode"

	"github.com/kljensen/snowball/english"
)

var (
	slackMention = regexp.MustCompile(`<[@!#][^<>]*>`)
	slackLink    = regexp.MustCompile(`<(?:https?|mailto|tel):[^<>|]*(?:\|([^<>]*))?>`)
	teamsMention = regexp.MustCompile(`(?is)<at>.*?</at>`)
	typedMention = regexp.MustCompile(`(^|\s)@[\p{L}\p{N}_.-]+`)
	slackEmoji   = regexp.MustCompile(`:[a-z0-9_+-]+:`)
	apostrophes  = strings.NewReplacer("’", "'", "‘", "'", "`", "'")
	htmlEntity   = strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&nbsp;", " ", "&quot;", `"`, "&#39;", "'")
)

// StripMentions removes mentions from a chat message: a typed "@mmd", Slack's
// "<@U024BE7LH>" (and "<!here>", "<#C…|name>"), and Teams' "<at>mmd</at>".
// Slack's link markup keeps its label: "<https://…|the wiki>" reads "the
// wiki", a bare "<https://…>" nothing. Surrounding space is tidied.
func StripMentions(s string) string {
	s = teamsMention.ReplaceAllString(s, " ")
	s = slackMention.ReplaceAllString(s, " ")
	s = slackLink.ReplaceAllString(s, " $1 ")
	s = typedMention.ReplaceAllString(s, "$1")
	return strings.Join(strings.Fields(s), " ")
}

// Tokens splits text into lower-case words: letters and digits, with
// contractions expanded ("won't" → "will not") and possessives dropped;
// mentions, emoji, punctuation and markup are removed.
func Tokens(s string) []string {
	s = StripMentions(htmlEntity.Replace(s))
	s = slackEmoji.ReplaceAllString(strings.ToLower(s), " ")
	s = apostrophes.Replace(s)
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '\''
	}) {
		f = strings.Trim(f, "'")
		if f == "" {
			continue
		}
		if exp, ok := contractions[f]; ok {
			out = append(out, exp...)
			continue
		}
		if w, ok := strings.CutSuffix(f, "n't"); ok {
			out = append(out, w, "not")
			continue
		}
		if i := strings.IndexByte(f, '\''); i >= 0 {
			// who's, they're, we'd, user's: keep the word, drop the clitic.
			f = f[:i]
			if f == "" {
				continue
			}
		}
		out = append(out, f)
	}
	return out
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
func Stem(w string) string {
	if len(w) < 4 || strings.ContainsAny(w, "0123456789") {
		return w
	}
	return english.Stem(w, false)
}
