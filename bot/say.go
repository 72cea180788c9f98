package bot

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mmdbot/mmdbot/knowledge"
)

// The sentences mmdbot says, whatever the platform. Renderers lay them out
// (a Slack header, an Adaptive Card's large text, an HTML heading, a line of
// text) and never word them again.
const (
	// BothSides leads an answer that names both Microsoft's entry and your
	// organisation's.
	BothSides = "Both Microsoft and your organisation have a part in this."
	// DontKnow is the answer to a question the knowledge does not cover.
	DontKnow = "I don't know who is responsible for that."
	// NotSure leads the "did you mean" choices of a question.
	NotSure = "I'm not sure which of these you mean:"
	// HelpIntro leads the help, before the commands.
	HelpIntro = "Ask me who is responsible for something under Microsoft Managed Desktop:"
	// Greeting heads the welcome, when the bot meets someone.
	Greeting = "Hi, I'm mmd"
	// TableTitle is the title of the whole table.
	TableTitle = "Microsoft Managed Desktop responsibilities"
	// TableHint says, under a table in chat, what its rows do.
	TableHint = "Select a responsibility to see who does what, or ask me a question."
	// DigestTitle heads the weekly digest to the admins' channel.
	DigestTitle = "Weekly digest: questions to review"
	// DigestTopTitle leads a digest's questions asked most often.
	DigestTopTitle = "Asked most often:"
	// DigestLinkLabel is the label of a digest's link to the review page.
	DigestLinkLabel = "Open the review page"
)

// hintTable points, after "I don't know", to what can be typed next.
const hintTable = `Type "table" to see every responsibility, or "help" for what I can do.`

// hintShow points, after an unknown id, to where the ids are.
const hintShow = `Type "table" to see them all.`

// noEntry says that an id names no entry.
func noEntry(id string) string { return fmt.Sprintf("There is no entry %q.", id) }

// Headline is an answer's first words: who is responsible, unmistakably.
func (a *Answer) Headline() string { return Headline(a.Lead()) }

// Headline says who is responsible: "Microsoft is responsible", "Your
// organisation is responsible", or the shared owner's label.
func Headline(o knowledge.Owner) string {
	if o == knowledge.OwnerShared {
		return o.Label()
	}
	return o.Label() + " is responsible"
}

// Thanks answers a 👍 or 👎, in place of the answer's 👍/👎 buttons; err is
// what recording it returned.
func Thanks(up bool, err error) string {
	switch {
	case err != nil:
		return "Sorry, I could not record your feedback just now. Please try again."
	case up:
		return "Thanks — marked helpful."
	}
	return "Thanks — marked not helpful. The people who curate the answers will look at it."
}

// AllOwnedBy says, before "did you mean" choices that all have one owner,
// who is responsible whichever is meant: the answer to "who is
// responsible" even before a choice is made.
func AllOwnedBy(o knowledge.Owner) string {
	if o == knowledge.OwnerShared {
		return "Whichever you mean, the responsibility is shared by Microsoft and your organisation."
	}
	who := o.Label()
	if o == knowledge.OwnerCustomer {
		who = strings.ToLower(who[:1]) + who[1:] // "your organisation"; Microsoft keeps its capital
	}
	return "Whichever you mean, " + who + " is responsible."
}

// CommonOwner is the owner every "did you mean" choice has, if they all
// have one.
func (r Reply) CommonOwner() (knowledge.Owner, bool) {
	if len(r.Alternatives) < 2 {
		return "", false
	}
	o := r.Alternatives[0].Owner
	for _, c := range r.Alternatives[1:] {
		if c.Owner != o {
			return "", false
		}
	}
	return o, o != ""
}

// Title is the title of a table or listing: the whole table's, or one
// owner's.
func (r Reply) Title() string {
	if r.Intent == IntentList && len(r.Groups) == 1 {
		return "Responsibilities: " + r.Groups[0].Owner.Label()
	}
	return TableTitle
}

// GroupHeading is the heading of one owner's entries in a table; a group
// that goes on from an earlier page or message says so.
func GroupHeading(o knowledge.Owner, continued bool) string {
	if continued {
		return o.Label() + " (continued)"
	}
	return o.Label()
}

// Numbered is s as the i-th of n pages or messages: "s (2 of 3)"; s itself
// when there is only one.
func Numbered(s string, i, n int) string {
	if n <= 1 {
		return s
	}
	return fmt.Sprintf("%s (%d of %d)", s, i+1, n)
}

// Sentence is a reply's sentence and its hint, as one line: what a
// renderer shows where it shows one line of text.
func (r Reply) Sentence() string {
	switch {
	case r.Text == "":
		return r.Hint
	case r.Hint == "":
		return r.Text
	}
	return r.Text + " " + r.Hint
}

// DigestHeading says what a digest counts: "Last week mmdbot could not
// answer 23 questions, asked by 11 people; 4 answers got a 👎.", or that
// it answered every question.
func DigestHeading(d Digest) string {
	down := ""
	if d.Downvoted > 0 {
		down = fmt.Sprintf("%d %s a 👎", d.Downvoted, plural(d.Downvoted, "answer got", "answers got"))
	}
	if d.Unanswered == 0 {
		if down != "" {
			return "Last week mmdbot answered every question, but " + down + "."
		}
		return "Last week mmdbot answered every question."
	}
	s := fmt.Sprintf("Last week mmdbot could not answer %d %s", d.Unanswered, plural(d.Unanswered, "question", "questions"))
	if d.People > 0 {
		s += fmt.Sprintf(", asked by %d %s", d.People, plural(d.People, "person", "people"))
	}
	if down != "" {
		s += "; " + down
	}
	return s + "."
}

// DigestPeriod is the period a digest covers, by date: "30 November – 7
// December 2026", each end in its own time zone; "" when either is not
// known.
func DigestPeriod(since, until time.Time) string {
	switch {
	case since.IsZero() || until.IsZero():
		return ""
	case since.Year() != until.Year():
		return since.Format("2 January 2006") + " – " + until.Format("2 January 2006")
	case since.YearDay() == until.YearDay():
		return until.Format("2 January 2006")
	}
	return since.Format("2 January") + " – " + until.Format("2 January 2006")
}

// maxDigestQuestion bounds a question quoted in a digest, in characters.
const maxDigestQuestion = 200

// Line is a digest's row as one line of text: the question in quotes, then
// how often and by how many people it was asked, or, for an answer voted
// 👎, which entry got it. The question is the asker's text: a renderer
// escapes the whole line.
func (r DigestRow) Line() string {
	q := strings.Join(strings.Fields(r.Question), " ")
	if utf8.RuneCountInString(q) > maxDigestQuestion {
		q = string([]rune(q)[:maxDigestQuestion-1]) + "…"
	}
	s := "“" + q + "” — "
	if r.Entry != "" {
		s += "👎 on " + r.Entry + ", "
	}
	s += times(r.Count)
	if r.People > 0 {
		s += fmt.Sprintf(", by %d %s", r.People, plural(r.People, "person", "people"))
	}
	return s
}

// times says how often: "once", "3 times".
func times(n int) string {
	if n == 1 {
		return "once"
	}
	return fmt.Sprintf("%d times", n)
}

// plural is one when n is 1, many otherwise.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
