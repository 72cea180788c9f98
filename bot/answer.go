package bot

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mmdbot/mmdbot/knowledge"
)

// DefaultContact is whom an answer names for an entry your organisation
// owns or shares when the knowledge names no one. An administrator names
// the real one with the entry's contact in the knowledge file (see the
// README's "Your own knowledge base").
var DefaultContact = knowledge.Contact{Text: "your service desk"}

// Answer is one entry given as an answer.
type Answer struct {
	Entry *knowledge.Entry
	// Score is the matcher's score for the entry, 0 when shown by id or choice.
	Score float64
	// URL is the Learn page to read: the entry's own, or the source page.
	URL string
	// Contact is whom to reach: the entry's own contact, or DefaultContact
	// for an entry your organisation owns or shares; nil for one of
	// Microsoft's entries without a contact.
	Contact *knowledge.Contact
	// ContactIsDefault is true when Contact is DefaultContact: the
	// knowledge names no one for this entry.
	ContactIsDefault bool
	// Side says which side does the part the question asked about: the
	// owner for an entry that is not shared; for a shared entry Microsoft,
	// your organisation, or shared when the question points to both or
	// neither. Empty when the entry was shown by id or choice.
	Side knowledge.Owner
}

// NewAnswer returns the answer for an entry of the knowledge whose source
// page is src.
func NewAnswer(e *knowledge.Entry, src knowledge.Page) *Answer {
	a := &Answer{Entry: e, URL: EntryURL(e, src), Contact: e.Contact}
	if a.Contact == nil && e.Owner != knowledge.OwnerMicrosoft {
		c := DefaultContact
		a.Contact, a.ContactIsDefault = &c, true
	}
	return a
}

// HasOwnPage reports whether the entry has a page of its own to read, rather
// than only the source page every answer cites.
func (a *Answer) HasOwnPage() bool { return a.Entry.URL() != "" }

// Span is a run of an entry's text: plain text, or the name of one of the
// entry's links (URL set), for a renderer to make a link of.
type Span struct {
	Text string
	URL  string
}

// LinkSpans splits a paragraph or list item of an entry into spans: where it
// names one of links by the link's text, as "For more information, see
// Configurable settings." names the link "Configurable settings", that name
// becomes a span carrying the link's address. Each link is placed once, at
// its first mention as whole words; the match is case-sensitive, so that the
// same words used in passing ("using configurable settings") stay text.
func LinkSpans(text string, links []knowledge.Link) []Span {
	var spans []Span
	placed := make([]bool, len(links))
	for text != "" {
		at, which := -1, -1
		for i, l := range links {
			if placed[i] || l.Text == "" || l.URL == "" {
				continue
			}
			j := wholeWords(text, l.Text)
			if j >= 0 && (at < 0 || j < at || (j == at && len(l.Text) > len(links[which].Text))) {
				at, which = j, i
			}
		}
		if at < 0 {
			break
		}
		if at > 0 {
			spans = append(spans, Span{Text: text[:at]})
		}
		l := links[which]
		spans = append(spans, Span{Text: l.Text, URL: l.URL})
		placed[which] = true
		text = text[at+len(l.Text):]
	}
	if text != "" {
		spans = append(spans, Span{Text: text})
	}
	return spans
}

// wholeWords returns where name first stands in s as whole words (not
// inside a longer word) and as a name of its own, or -1. Words that end a
// longer name are not it: "Apps" in "Microsoft 365 Apps for enterprise"
// does not name the page "Apps".
func wholeWords(s, name string) int {
	for from := 0; from < len(s); {
		i := strings.Index(s[from:], name)
		if i < 0 {
			return -1
		}
		i += from
		before, _ := utf8.DecodeLastRuneInString(s[:i])
		after, _ := utf8.DecodeRuneInString(s[i+len(name):])
		if !isWordRune(before) && !isWordRune(after) && !endsName(s[:i]) {
			return i
		}
		from = i + 1
	}
	return -1
}

// endsName reports whether s, the text before a mention, ends with a word
// of a longer name the mention would be the end of: a number ("365 ") or a
// capitalised word that does not begin its sentence ("Microsoft Managed ").
func endsName(s string) bool {
	rest, ok := strings.CutSuffix(s, " ")
	if !ok {
		return false
	}
	start := strings.LastIndexFunc(rest, func(r rune) bool { return !isWordRune(r) }) + 1
	word := rest[start:]
	first, _ := utf8.DecodeRuneInString(word)
	switch {
	case word == "":
		return false
	case strings.IndexFunc(word, func(r rune) bool { return !unicode.IsDigit(r) }) < 0:
		return true
	case !unicode.IsUpper(first):
		return false
	}
	head := strings.TrimRight(rest[:start], " ")
	return head != "" && !strings.HasSuffix(head, ".") && !strings.HasSuffix(head, "(") && !strings.HasSuffix(head, ":")
}

func isWordRune(r rune) bool {
	return r != utf8.RuneError && (unicode.IsLetter(r) || unicode.IsDigit(r))
}

// FirstSentence is an entry's description cut to its first sentence: the
// one-line summary of a table row.
func FirstSentence(e *knowledge.Entry) string {
	d := ""
	for _, bl := range e.Blocks {
		if bl.Text != "" {
			d = bl.Text
			break
		}
		if len(bl.Items) > 0 {
			d = bl.Items[0]
			break
		}
	}
	if i := strings.Index(d, ". "); i > 0 {
		d = d[:i+1]
	}
	return d
}

// Lead is the owner an answer names first: for a shared entry asked about
// one side's part, that side; otherwise the entry's owner.
func (a *Answer) Lead() knowledge.Owner {
	if a.Entry.Owner == knowledge.OwnerShared && (a.Side == knowledge.OwnerMicrosoft || a.Side == knowledge.OwnerCustomer) {
		return a.Side
	}
	return a.Entry.Owner
}

// SideNote says, when the answer leads with one side of a shared entry,
// that the side does the part asked about and that the entry is shared; ""
// otherwise. Every renderer shows it under the headline.
func (a *Answer) SideNote() string {
	switch a.Lead() {
	case a.Entry.Owner:
		return ""
	case knowledge.OwnerMicrosoft:
		return "Microsoft does the part you asked about. The responsibility is shared: the split below says what your organisation does."
	default:
		return "Your organisation does the part you asked about. The responsibility is shared: the split below says what Microsoft does."
	}
}

// OnLearn reports whether the answer's page is on Microsoft Learn.
func (a *Answer) OnLearn() bool {
	u, err := url.Parse(a.URL)
	return err == nil && u.Host == "learn.microsoft.com"
}

// ReadLabel is the label of the button that opens the answer's page: "Read
// on Microsoft Learn", or "Read more" for a page elsewhere; beside the
// other side's answer (both), it names the owner.
func (a *Answer) ReadLabel(both bool) string {
	l := "Read more"
	if a.OnLearn() {
		l = "Read on Microsoft Learn"
	}
	if both {
		l += ": " + a.Entry.Owner.Label()
	}
	return l
}
