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
	s = strings.NewReplacer("’", "'", "‘", "'", "`", "'").Replace(s)
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

// stopwords carry no topic: question words, pronouns, articles, and the
// verbs of asking who is responsible ("who handles", "whose job is").
var stopwords = setOf(`a an the and or but if then so of to in on at by for from with without into onto
about over under up down out off as than too very just also still even only again ever yet already
is am are was were be been being do does did doing done have has had having will would shall should
can could may might must need needs needed ought get gets got getting let lets
i me my mine myself we us our ours ourselves you your yours yourself yourselves he him his she her hers
it its they them their theirs this that these those there here
who whom whose what which when where why how whoever whatever
not no nor yes ok okay please pls plz thanks thank thx hi hello hey
all any some each every both either neither other another such same own
one ones someone somebody anyone anybody everyone everybody something anything everything nothing
handle handles handled handling handler responsible responsibility responsibilities owner owns own owned owning
job jobs duty task tasks role roles charge care look looks looking deal deals dealing
sort take takes taking go goes going come comes coming make makes making do
person people guy guys folks somebody whoever party side
like want wants wanted know knows tell say says said ask asks asked
morning afternoon evening quick hope well sorry again anyway btw fyi
whole entire supposed meant chase chasing follow following
actually really basically probably maybe currently now today just right
problem problems issue issues question questions thing things stuff
hook call reach send`)

// weakwords are in MMD's world but say little about which entry: they count
// as in-domain, score little.
var weakwords = setOf(`microsoft mmd msft managed desktop desktops device devices laptop laptops pc pcs computer computers
machine machines workstation workstations endpoint endpoints fleet tenant org organisation organization company
user users employee employees staff colleague colleagues manage manages managed managing management manager
support supports supported supporting help helps helping fix fixes fixed fixing setup set sets configure
location locations site sites kit estate
responsible finance accounting legal engineering sales marketing analyst analysts
floor building`)

func setOf(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

// IsStopword reports whether a lower-case word carries no topic.
func IsStopword(w string) bool { return stopwords[w] }
