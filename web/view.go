package web

import (
	"net/url"
	"strconv"
	"strings"
	"time"

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
	// Text is the reply's sentence: a greeting, "I don't know", the lead of
	// "did you mean", an error.
	Text string
	// Both is true when Microsoft and your organisation each own a part.
	Both    bool
	Answers []answerView
	Choices []choiceView
	// AllOwnedBy says who is responsible whichever choice is meant, when
	// every choice has one owner (CommonOwner); "" otherwise.
	AllOwnedBy  string
	CommonOwner knowledge.Owner
	Commands    []bot.Command
	// Links are the reply's actions as the page's links (the table, the
	// help); votes have no link.
	Links []linkView
	// Owner is the owner a "list" reply names, "" for the whole table;
	// Title is the table's or the listing's.
	Owner knowledge.Owner
	Title string
	// Source is the page the knowledge comes from.
	Source knowledge.Page
}

// linkView is an action of a reply as a link of the page.
type linkView struct {
	Label string
	Href  string
}

// BothSides and HelpIntro are the bot's sentences, for the template.
func (v *replyView) BothSides() string { return bot.BothSides }
func (v *replyView) HelpIntro() string { return bot.HelpIntro }

// answerView is one entry given as an answer.
type answerView struct {
	Entry *knowledge.Entry
	// Headline says who is responsible, first and unmistakably.
	Headline string
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
	v := &replyView{Kind: r.Kind, Intent: r.Intent, Text: r.Text, Commands: r.Commands, Source: r.Source, Links: linksOf(r.Actions, q)}
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
		if o, ok := r.CommonOwner(); ok {
			v.AllOwnedBy, v.CommonOwner = bot.AllOwnedBy(o), o
		}
		for _, c := range r.Alternatives {
			v.Choices = append(v.Choices, choiceView{ID: c.ID, Title: c.Title, Owner: c.Owner, Href: showHref(c.ID, q)})
		}
	case bot.KindTable:
		if r.Intent == bot.IntentList && len(r.Groups) == 1 {
			v.Owner = r.Groups[0].Owner
		}
		v.Title = r.Title()
	}
	return v
}

// answerOf prepares one answer: the link to read more is the entry's own
// page, read as the entry's link with that address. An entry without a page
// of its own has none: the source line below names the page every answer
// comes from.
func answerOf(a *bot.Answer) answerView {
	v := answerView{Entry: a.Entry, Headline: a.Headline(), Lead: a.Lead(), SideNote: a.SideNote(), Anchor: "entry-" + anchor(a.Entry.ID),
		Href: showHref(a.Entry.ID, ""), Contact: a.Contact, ContactIsDefault: a.ContactIsDefault}
	if a.HasOwnPage() {
		v.URL = a.URL
	}
	v.OnLearn = v.URL != "" && a.OnLearn()
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

// linksOf maps a reply's actions to the page's links: the table is below,
// the help and questions are asked in the box, entries shown by id. Votes
// have no link: the page takes no feedback.
func linksOf(actions []bot.Action, q string) []linkView {
	var out []linkView
	for _, a := range actions {
		switch {
		case a.Kind == bot.ActShow:
			out = append(out, linkView{a.Label, showHref(a.ID, q)})
		case (a.Kind == bot.ActRun || a.Kind == bot.ActAsk) && a.Text == "table":
			out = append(out, linkView{a.Label, "#table"})
		case a.Kind == bot.ActRun || a.Kind == bot.ActAsk:
			out = append(out, linkView{a.Label, "?" + url.Values{"q": {a.Text}}.Encode() + "#answer"})
		}
	}
	return out
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
	// Paged is set for a base larger than tablePage: only the rows of
	// page Page (of Pages) are in the page, From to To of Shown, with
	// links to the pages before and after (PrevHref, NextHref).
	Paged              bool
	Page, Pages        int
	From, To           int
	PrevHref, NextHref string
}

// tablePage is how many rows a page of a large table shows: a base of
// ten thousand entries renders in pages of this many, not all at once.
const tablePage = 100

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

// tableOf builds the table from the bot's: every entry grouped by owner,
// those of other owners than owner (when set) and those keep (the bot's
// filter, nil for all) leaves out hidden.
func tableOf(r bot.Reply, owner knowledge.Owner, filter string, keep map[string]bool) tableView {
	return tablePageOf(r, owner, filter, keep, 1)
}

// tablePageOf builds the table as tableOf does; when the base has more
// than tablePage entries, it keeps only the rows shown on page (from 1),
// leaving out the others rather than hiding them.
func tablePageOf(r bot.Reply, owner knowledge.Owner, filter string, keep map[string]bool, page int) tableView {
	t := tableView{Owner: owner, Filter: filter}
	for _, g := range r.Groups {
		gv := groupView{Owner: g.Owner, Hidden: true}
		for _, e := range g.Entries {
			t.Total++
			row := rowView{Answer: answerOf(bot.NewAnswer(e, r.Source)), Summary: bot.FirstSentence(e)}
			row.Hidden = (owner != "" && g.Owner != owner) || (keep != nil && !keep[e.ID])
			if !row.Hidden {
				t.Shown++
				gv.Hidden = false
			}
			gv.Rows = append(gv.Rows, row)
		}
		t.Groups = append(t.Groups, gv)
	}
	if t.Total > tablePage {
		t.paginate(page)
	}
	return t
}

// paginate keeps the rows of one page of the shown rows, and the links to
// the pages around it.
func (t *tableView) paginate(page int) {
	t.Paged = true
	t.Pages = max(1, (t.Shown+tablePage-1)/tablePage)
	t.Page = min(max(page, 1), t.Pages)
	first := (t.Page - 1) * tablePage
	t.From, t.To = min(first+1, t.Shown), min(first+tablePage, t.Shown)
	i := 0
	groups := t.Groups[:0]
	for _, g := range t.Groups {
		rows := g.Rows[:0]
		for _, row := range g.Rows {
			if row.Hidden {
				continue
			}
			if i >= first && i < first+tablePage {
				rows = append(rows, row)
			}
			i++
		}
		if len(rows) > 0 {
			g.Rows, g.Hidden = rows, false
			groups = append(groups, g)
		}
	}
	t.Groups = groups
	href := func(p int) string {
		q := url.Values{}
		if t.Owner != "" {
			q.Set("owner", string(t.Owner))
		}
		if t.Filter != "" {
			q.Set("filter", t.Filter)
		}
		q.Set("page", strconv.Itoa(p))
		return "?" + q.Encode() + "#table"
	}
	if t.Page > 1 {
		t.PrevHref = href(t.Page - 1)
	}
	if t.Page < t.Pages {
		t.NextHref = href(t.Page + 1)
	}
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
