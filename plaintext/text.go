// Package plaintext renders the bot's replies as plain text, for the command line
// and wherever a chat platform needs a plain fallback. It also writes the
// table in Markdown and CSV.
package plaintext

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"

	"github.com/mmdbot/mmdbot/bot"
	"github.com/mmdbot/mmdbot/knowledge"
)

// Render returns a reply as plain text: the owner first, then the
// description, the split of a shared entry, the Learn page, the contact and
// the source with its date.
func Render(r bot.Reply) string {
	var b strings.Builder
	switch r.Kind {
	case bot.KindAnswer:
		if r.Also != nil {
			fmt.Fprintf(&b, "%s\n\n", bot.BothSides)
		}
		answer(&b, r.Answer)
		if r.Also != nil {
			b.WriteString("\n")
			answer(&b, r.Also)
		}
		source(&b, r.Source)
	case bot.KindSuggest:
		if o, ok := r.CommonOwner(); ok {
			b.WriteString(bot.AllOwnedBy(o) + "\n\n")
		}
		b.WriteString(r.Text + "\n")
		for i, c := range r.Alternatives {
			fmt.Fprintf(&b, "  %d. %s (%s) — show %s\n", i+1, c.Title, c.Owner.Label(), c.ID)
		}
	case bot.KindHelp:
		if r.Text != "" {
			b.WriteString(r.Text + "\n\n")
		}
		Help(&b, r.Commands)
	case bot.KindTable:
		b.WriteString(r.Title() + "\n\n")
		Table(&b, r.Groups)
		source(&b, r.Source)
	case bot.KindDigest:
		digest(&b, r)
	default: // KindUnknown, KindError, KindThanks
		b.WriteString(r.Sentence() + "\n")
	}
	return b.String()
}

// digest writes the weekly digest: its title and period, the heading, the
// questions asked most often and the review page's address.
func digest(b *strings.Builder, r bot.Reply) {
	d := r.Digest
	b.WriteString(bot.DigestTitle)
	if p := bot.DigestPeriod(d.Since, d.Until); p != "" {
		b.WriteString(", " + p)
	}
	fmt.Fprintf(b, "\n\n%s\n", r.Text)
	if len(d.Top) > 0 {
		b.WriteString("\n" + bot.DigestTopTitle + "\n")
		for _, row := range d.Top {
			b.WriteString("  • " + row.Line() + "\n")
		}
	}
	if d.URL != "" {
		fmt.Fprintf(b, "\n%s: %s\n", bot.DigestLinkLabel, d.URL)
	}
}

func answer(b *strings.Builder, a *bot.Answer) {
	e := a.Entry
	fmt.Fprintf(b, "%s — %s\n\n", strings.ToUpper(a.Headline()), e.Title)
	if note := a.SideNote(); note != "" {
		fmt.Fprintf(b, "%s\n\n", note)
	}
	if e.Split != nil {
		fmt.Fprintf(b, "Microsoft: %s\nYour organisation: %s\n\n", e.Split.Microsoft, e.Split.Customer)
	}
	// The page to read comes on a line of its own; the text links the
	// others where it names them. An entry without a page of its own
	// repeats no source page: the source line names it.
	readMore := ""
	if a.HasOwnPage() {
		readMore = a.URL
	}
	var others []knowledge.Link
	for _, l := range e.Links {
		if l.URL != readMore {
			others = append(others, l)
		}
	}
	b.WriteString(description(e, others) + "\n")
	if readMore != "" || a.Contact != nil {
		b.WriteString("\n")
	}
	if readMore != "" {
		fmt.Fprintf(b, "Read more: %s\n", readMore)
	}
	if c := a.Contact; c != nil {
		fmt.Fprintf(b, "Contact: %s", c.Text)
		if c.URL != "" {
			fmt.Fprintf(b, " (%s)", c.URL)
		}
		if a.ContactIsDefault {
			b.WriteString(" (an administrator names it with contact in the knowledge file)")
		}
		b.WriteString("\n")
	}
}

// description is the entry's text as knowledge.Entry.Description has it,
// each name of one of links followed by its address in brackets.
func description(e *knowledge.Entry, links []knowledge.Link) string {
	var b strings.Builder
	for i, bl := range e.Blocks {
		if i > 0 {
			b.WriteString("\n\n")
		}
		b.WriteString(linked(bl.Text, links))
		for j, it := range bl.Items {
			if j > 0 || bl.Text != "" {
				b.WriteString("\n")
			}
			b.WriteString("• " + linked(it, links))
		}
	}
	return b.String()
}

// linked is s with each name of one of links followed by its address.
func linked(s string, links []knowledge.Link) string {
	var b strings.Builder
	for _, sp := range bot.LinkSpans(s, links) {
		b.WriteString(sp.Text)
		if sp.URL != "" {
			fmt.Fprintf(&b, " (%s)", sp.URL)
		}
	}
	return b.String()
}

func source(b *strings.Builder, p knowledge.Page) {
	if p.Title == "" {
		return
	}
	fmt.Fprintf(b, "\nSource: %s", p.Title)
	if p.Date != "" {
		fmt.Fprintf(b, ", as of %s", p.Date)
	}
	if p.Freshness != "" {
		fmt.Fprintf(b, "; %s", p.Freshness)
	}
	if p.URL != "" {
		fmt.Fprintf(b, " — %s", p.URL)
	}
	b.WriteString("\n")
}

// Help writes the help text.
func Help(w io.Writer, cmds []bot.Command) {
	fmt.Fprintln(w, bot.HelpIntro)
	width := 0
	for _, c := range cmds {
		width = max(width, len(c.Usage))
	}
	for _, c := range cmds {
		fmt.Fprintf(w, "  %-*s  %s\n", width, c.Usage, c.Summary)
	}
}

// Table writes entries grouped by owner as readable text.
func Table(w io.Writer, groups []bot.Group) {
	for i, g := range groups {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "%s\n", strings.ToUpper(bot.GroupHeading(g.Owner, false)))
		for _, e := range g.Entries {
			fmt.Fprintf(w, "  • %s  [%s]\n", e.Title, e.ID)
		}
	}
}

// Markdown writes entries grouped by owner as Markdown tables.
func Markdown(w io.Writer, groups []bot.Group) {
	for i, g := range groups {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "## %s\n\n| Responsibility | Id | Description | Learn more |\n| --- | --- | --- | --- |\n", g.Owner.Label())
		for _, e := range g.Entries {
			desc := strings.ReplaceAll(e.Description(), "\n", "<br>")
			if e.Split != nil {
				desc += fmt.Sprintf("<br><br>**Microsoft:** %s<br>**Your organisation:** %s", e.Split.Microsoft, e.Split.Customer)
			}
			link := ""
			if u := e.URL(); u != "" {
				link = fmt.Sprintf("[%s](%s)", e.Links[len(e.Links)-1].Text, u)
			}
			fmt.Fprintf(w, "| %s | `%s` | %s | %s |\n", cell(e.Title), e.ID, cell(desc), link)
		}
	}
}

func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// CSV writes entries as CSV: id, title, owner, side, description, url.
func CSV(w io.Writer, groups []bot.Group) error {
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"id", "title", "owner", "side", "description", "url"}); err != nil {
		return err
	}
	for _, g := range groups {
		for _, e := range g.Entries {
			if err := cw.Write([]string{e.ID, e.Title, string(e.Owner), string(e.Side), e.Description(), e.URL()}); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}
