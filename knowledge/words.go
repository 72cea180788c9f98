package knowledge

import (
	"regexp"
	"slices"
	"strings"
)

// The word lists of the matcher, in one place: words that carry no topic,
// words that say little about which entry, and the small words that shape a
// question around its topic.

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

// modals come before "to" and the action asked about: "who is meant to
// update the field", "who has to approve".
var modals = setOf(`meant supposed has have need needs needed going able allowed want wants ought got`)

// itNouns name IT things: a word before one of them is part of its name.
var itNouns = setOf(`app apps tool tools software system systems portal
server servers database platform client program programs site printer printers laptop laptops
mailbox`)

// shapes read tokens of a recognisable shape as the words people mean by
// them: a Windows update's KB number, a Windows release name, an Entra ID
// sign-in error code.
var shapes = []struct {
	re    *regexp.Regexp
	words []string
}{
	{regexp.MustCompile(`^kb[2-5][0-9]{6}$`), []string{"windows", "update"}},
	{regexp.MustCompile(`^(?:19|2[0-9])h[12]$`), []string{"feature", "update"}},
	{regexp.MustCompile(`^aadsts[0-9]+$`), []string{"sign", "in", "error"}},
}

// deliveryCode finds the enhanced status codes of mail delivery reports
// ("5.7.1", "4.4.7") standing alone in a text, not inside an address or a
// version number.
var deliveryCode = regexp.MustCompile(`(^|[^0-9A-Za-z.])[45]\.[0-9]{1,2}\.[0-9]{1,3}([^0-9.]|\.?$|\.\s)`)

// reshape applies the shapes to tokens.
func reshape(tokens []string) []string {
	var out []string
	for i, t := range tokens {
		for _, s := range shapes {
			if s.re.MatchString(t) {
				if out == nil {
					out = slices.Clone(tokens[:i])
				}
				out = append(out, s.words...)
				goto next
			}
		}
		if out != nil {
			out = append(out, t)
		}
	next:
	}
	if out == nil {
		return tokens
	}
	return out
}
