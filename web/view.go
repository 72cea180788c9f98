package web

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sahilm/fuzzy"

	"github.com/mmdbot/mmdbot/bot"
	"github.com/mmdbot/mmdbot/knowledge"
)

// pageView is what the page template shows.
type pageView struct {
	// Query is the question in the box.
	Query string
	// Problem is a safe sentence about bad input (the status is then 400).
	Problem string
	// Invalid names the field the problem is about: "q", "owner" or
	// "filter"; "" when none.
	Invalid string
	// Reply is the answer to the question or the choice; nil when none.
	Reply *replyView
	// Table is the whole responsibility table, filtered.
	Table tableView
	// Source is the page the knowledge comes from.
	Source knowledge.Page
}

// SkipTo and SkipText make the page's first link, which skips to the
// question box.
func (v *pageView) SkipTo() string   { return "#q" }
func (v *pageView) SkipText() string { return "Skip to the question" }

// Title is the text of the page's <title>.
func (v *pageView) Title() string {
	if v.Reply != nil && v.Reply.Kind == bot.KindAnswer {
		who := v.Reply.Answers[0].Lead.Label()
		if v.Reply.Both {
			who = "Microsoft and your organisation"
		}
		return v.Reply.Answers[0].Entry.Title + ": " + who + " — mmdbot"
	}
	return "Who is responsible? — mmdbot"
}

// legalView is what the privacy and terms pages show.
type legalView struct {
	title   string
	Source  knowledge.Page
	Records Records
}

// Title is the text of the page's <title>.
func (v *legalView) Title() string { return v.title + " — mmdbot" }

// SkipTo and SkipText make the page's first link, which skips to the text.
func (v *legalView) SkipTo() string   { return "#main" }
func (v *legalView) SkipText() string { return "Skip to the text" }

// replyView is a bot reply as the page shows it.
type replyView struct {
	Kind   bot.Kind
	Intent bot.Intent
	// Text is the reply's sentence (help greeting, table note).
	Text string
	// Both is true when Microsoft and your organisation each own a part.
	Both     bool
	Answers  []answerView
	Choices  []choiceView
	Commands []bot.Command
	// Owner is the owner a "list" reply names, "" for the whole table.
	Owner knowledge.Owner
	// Source is the page the knowledge comes from.
	Source knowledge.Page
}

// answerView is one entry given as an answer.
type answerView struct {
	Entry *knowledge.Entry
	// Lead is the owner named first: the side that does the part asked
	// about of a shared entry, else the entry's owner; SideNote says so.
	Lead     knowledge.Owner
	SideNote string
	// Anchor is the id of the answer's heading in the page.
	Anchor string
	// URL and LinkText make the link to read more; OnLearn is true when
	// it leads to Microsoft Learn.
	URL      string
	LinkText string
	OnLearn  bool
	// More are the entry's other links.
	More []knowledge.Link
	// Contact is whom to reach; ContactIsDefault is true when the
	// knowledge names no one and the bot's default stands in.
	Contact          *knowledge.Contact
	ContactIsDefault bool
	// Href is the page's own link to this answer, to paste in a ticket.
	Href string
	// Fold folds the description: a shared entry given as an answer leads
	// with who does what, the Learn page's text a click away.
	Fold bool
}

// choiceView is one "did you mean" choice.
type choiceView struct {
	ID    string
	Title string
	Owner knowledge.Owner
	// Href shows the choice's answer, keeping the question in the box.
	Href string
}

// replyOf turns the bot's reply into what the page shows; q is the question
// in the box, kept in the links of "did you mean" choices.
func replyOf(r bot.Reply, q string) *replyView {
	v := &replyView{Kind: r.Kind, Intent: r.Intent, Text: r.Text, Commands: r.Commands, Source: r.Source}
	switch r.Kind {
	case bot.KindAnswer:
		v.Answers = append(v.Answers, answerOf(r.Answer))
		if r.Also != nil {
			v.Both = true
			v.Answers = append(v.Answers, answerOf(r.Also))
		}
		for i := range v.Answers {
			v.Answers[i].Anchor = "answer-" + v.Answers[i].Anchor
			v.Answers[i].Fold = v.Answers[i].Entry.Split != nil
		}
	case bot.KindSuggest:
		for _, c := range r.Alternatives {
			v.Choices = append(v.Choices, choiceView{ID: c.ID, Title: c.Title, Owner: c.Owner, Href: showHref(c.ID, q)})
		}
	case bot.KindTable:
		if r.Intent == bot.IntentList && len(r.Groups) == 1 {
			v.Owner = r.Groups[0].Owner
		}
	}
	return v
}

// answerOf prepares one answer: the link to read more is the entry's own
// page, read as the entry's link with that address. An entry without a page
// of its own has none: the source line below names the page every answer
// comes from.
func answerOf(a *bot.Answer) answerView {
	v := answerView{Entry: a.Entry, Lead: a.Lead(), SideNote: a.SideNote(), Anchor: "entry-" + anchor(a.Entry.ID),
		Href: showHref(a.Entry.ID, ""), Contact: a.Contact, ContactIsDefault: a.ContactIsDefault}
	if a.HasOwnPage() {
		v.URL = a.URL
	}
	if u, err := url.Parse(v.URL); err == nil && u.Host == "learn.microsoft.com" {
		v.OnLearn = true
	}
	for _, l := range a.Entry.Links {
		if l.URL == v.URL && v.LinkText == "" {
			v.LinkText = l.Text
			continue
		}
		v.More = append(v.More, l)
	}
	if v.LinkText == "" {
		v.LinkText = v.URL
	}
	return v
}

// anchor turns an entry id into a fragment-friendly name:
// "customer/printing" becomes "customer-printing".
func anchor(id string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '-'
	}, id)
}

// showHref is the relative link that shows one entry's answer.
func showHref(id, q string) string {
	vals := url.Values{}
	if strings.TrimSpace(q) != "" {
		vals.Set("q", q)
	}
	vals.Set("show", id)
	return "?" + vals.Encode() + "#answer"
}

// tableView is the responsibility table, grouped by owner and filtered.
// Every entry is there; the filtered-out ones are hidden, so that the
// script can show them again as the filter changes.
type tableView struct {
	// Owner is the owner chosen, "" for all.
	Owner knowledge.Owner
	// Filter is the text typed to filter the entries (filterEntries).
	Filter string
	Groups []groupView
	// Shown and Total count the entries shown and all entries.
	Shown, Total int
}

// groupView is the entries of one owner.
type groupView struct {
	Owner  knowledge.Owner
	Hidden bool
	Rows   []rowView
}

// rowView is one entry of the table.
type rowView struct {
	Answer answerView
	// Summary is the first sentence of the entry's text, shown with its
	// title and owner before the row is opened.
	Summary string
	Hidden  bool
}

// OwnerChoices lists the owner filter's choices: "" for all, then each owner.
func (t tableView) OwnerChoices() []knowledge.Owner {
	return append([]knowledge.Owner{""}, knowledge.Owners...)
}

// tableOf builds the table: every entry of kb grouped by owner, those of
// other owners than owner (when set) and those the filter does not keep
// hidden.
func tableOf(kb *knowledge.Base, owner knowledge.Owner, filter string) tableView {
	t := tableView{Owner: owner, Filter: filter}
	keep := filterEntries(kb, filter)
	src := kb.Page()
	for _, o := range knowledge.Owners {
		g := groupView{Owner: o, Hidden: true}
		for _, e := range kb.Entries() {
			if e.Owner != o {
				continue
			}
			t.Total++
			row := rowView{Answer: answerOf(bot.NewAnswer(e, src)), Summary: bot.FirstSentence(e)}
			row.Hidden = (owner != "" && o != owner) || (keep != nil && !keep[e.ID])
			if !row.Hidden {
				t.Shown++
				g.Hidden = false
			}
			g.Rows = append(g.Rows, row)
		}
		if len(g.Rows) > 0 {
			t.Groups = append(t.Groups, g)
		}
	}
	return t
}

// filterMargin is how far below the best fuzzy score a title may score and
// still be kept: it keeps the close matches and drops the letters that are
// merely scattered through a long title.
const filterMargin = 25

// filterEntries returns the ids of the entries the table filter keeps, or
// nil when the filter is blank (every entry is kept). An entry is kept when
// any of these finds it:
//
//   - the matcher the questions use: asked the filter as a question, it
//     answers with the entry or offers it as a choice ("wifi", "patch
//     tuesday", "who fixes printers?");
//   - words and stems: each word of the filter begins a word of the entry's
//     title or description, or shares its stem ("updates" finds "Update
//     monitoring", "upd" too, as one types);
//   - the title: it holds the text, or sahilm/fuzzy matches the text to it
//     close to the best title's score ("mgmt", "sec mon").
//
// The page's script asks the API for the same filter as one types.
func filterEntries(kb *knowledge.Base, filter string) map[string]bool {
	text := strings.TrimSpace(filter)
	if text == "" {
		return nil
	}
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

// days writes a retention as a number of days: "90 days".
func days(d time.Duration) string {
	n := int(d.Round(24*time.Hour) / (24 * time.Hour))
	if n == 1 {
		return "1 day"
	}
	if n == 0 {
		return d.String()
	}
	return strconv.Itoa(n) + " days"
}

// displayDate writes a YYYY-MM-DD date as "6 December 2022"; other text is
// left as it is.
func displayDate(s string) string {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return s
	}
	return t.Format("2 January 2006")
}
