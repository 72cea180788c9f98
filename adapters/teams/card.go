package teams

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/mmdbot/mmdbot/bot"
	"github.com/mmdbot/mmdbot/knowledge"
	"github.com/mmdbot/mmdbot/plaintext"
)

// Adaptive Card constants: the schema version Teams renders, and the
// attachment content type.
const (
	CardVersion     = "1.5"
	CardSchema      = "http://adaptivecards.io/schemas/adaptive-card.json"
	CardContentType = "application/vnd.microsoft.card.adaptive"
	// MaxMessage is the largest message Teams accepts, in bytes.
	MaxMessage = 28 << 10
	// cardBudget is what the card and its fallback may take of a message,
	// leaving room for the activity around them.
	cardBudget = 24 << 10
)

// Card is an Adaptive Card. Body and Actions hold the element and action
// types below.
type Card struct {
	Type         string   `json:"type"`
	Schema       string   `json:"$schema"`
	Version      string   `json:"version"`
	FallbackText string   `json:"fallbackText,omitempty"`
	Body         []any    `json:"body"`
	Actions      []any    `json:"actions,omitempty"`
	MSTeams      *msTeams `json:"msteams,omitempty"`
}

type msTeams struct {
	Width string `json:"width,omitempty"`
}

type textBlock struct {
	Type      string `json:"type"`
	Text      string `json:"text"`
	Wrap      bool   `json:"wrap"`
	Style     string `json:"style,omitempty"`
	Size      string `json:"size,omitempty"`
	Weight    string `json:"weight,omitempty"`
	Color     string `json:"color,omitempty"`
	IsSubtle  bool   `json:"isSubtle,omitempty"`
	Spacing   string `json:"spacing,omitempty"`
	Separator bool   `json:"separator,omitempty"`
}

type fact struct {
	Title string `json:"title"`
	Value string `json:"value"`
}

type factSet struct {
	Type    string `json:"type"`
	Facts   []fact `json:"facts"`
	Spacing string `json:"spacing,omitempty"`
}

type container struct {
	Type         string `json:"type"`
	Style        string `json:"style,omitempty"`
	Bleed        bool   `json:"bleed,omitempty"`
	Spacing      string `json:"spacing,omitempty"`
	Separator    bool   `json:"separator,omitempty"`
	Items        []any  `json:"items"`
	SelectAction any    `json:"selectAction,omitempty"`
}

type openURL struct {
	Type  string `json:"type"`
	Title string `json:"title"`
	URL   string `json:"url"`
}

type submit struct {
	Type  string     `json:"type"`
	Title string     `json:"title,omitempty"`
	Style string     `json:"style,omitempty"`
	Data  submission `json:"data"`
}

// submission is the data of the cards' Action.Submit buttons, which Teams
// sends back as the value of a message activity.
type submission struct {
	// Action is "show" (a "did you mean" choice or a table row), "vote"
	// (👍/👎) or "ask" (a command button).
	Action string `json:"mmd"`
	// ID is the entry shown or voted on.
	ID string `json:"id,omitempty"`
	// Vote is "up" or "down".
	Vote string `json:"vote,omitempty"`
	// Question is the question answered (votes) or asked ("ask").
	Question string `json:"q,omitempty"`
}

func tb(s string) textBlock { return textBlock{Type: "TextBlock", Text: s, Wrap: true} }

func newCard(fallback string, body []any, actions ...any) Card {
	return Card{Type: "AdaptiveCard", Schema: CardSchema, Version: CardVersion, FallbackText: fallback,
		Body: body, Actions: actions, MSTeams: &msTeams{Width: "Full"}}
}

// ownerStyle is the container style that colours an owner.
func ownerStyle(o knowledge.Owner) string {
	switch o {
	case knowledge.OwnerMicrosoft:
		return "accent"
	case knowledge.OwnerCustomer:
		return "good"
	}
	return "warning"
}

// cardOptions say what a card carries beyond the answer.
type cardOptions struct {
	feedback bool // 👍/👎 buttons (not on cards inserted by the search extension)
}

// RenderCards renders a reply as Adaptive Cards, one per message: a table is
// split over several cards so that no message exceeds MaxMessage.
func RenderCards(r bot.Reply) []Card {
	return renderCards(r, cardOptions{feedback: true})
}

func renderCards(r bot.Reply, o cardOptions) []Card {
	switch r.Kind {
	case bot.KindAnswer:
		return []Card{answerCard(r, o)}
	case bot.KindSuggest:
		return []Card{suggestCard(r)}
	case bot.KindTable:
		return tableCards(r)
	case bot.KindHelp:
		return []Card{helpCard(r, "")}
	case bot.KindUnknown:
		return []Card{unknownCard(r)}
	}
	return []Card{newCard(plaintext.Render(r), []any{tb(r.Text)})}
}

func answerSection(a *bot.Answer) []any {
	e := a.Entry
	head := container{Type: "Container", Style: ownerStyle(a.Lead()), Bleed: true, Items: []any{
		textBlock{Type: "TextBlock", Text: a.Lead().Label(), Wrap: true, Size: "ExtraLarge", Weight: "Bolder"},
		textBlock{Type: "TextBlock", Text: e.Title, Wrap: true, Size: "Medium", Weight: "Bolder", Spacing: "Small"},
	}}
	if note := a.SideNote(); note != "" {
		head.Items = append(head.Items, textBlock{Type: "TextBlock", Text: note, Wrap: true, Spacing: "Small"})
	}
	out := []any{head}
	if e.Split != nil {
		// Who does what comes right after who: the description follows.
		out = append(out, factSet{Type: "FactSet", Facts: []fact{
			{Title: "Microsoft", Value: e.Split.Microsoft},
			{Title: "Your organisation", Value: e.Split.Customer},
		}})
	}
	for _, bl := range e.Blocks {
		if bl.Text != "" {
			out = append(out, tb(bl.Text))
		}
		for i, it := range bl.Items {
			t := tb("• " + it)
			t.Spacing = "Small"
			if i == 0 && bl.Text == "" {
				t.Spacing = ""
			}
			out = append(out, t)
		}
	}
	if c := a.Contact; c != nil {
		out = append(out, tb("**Contact:** "+mdLink(c.Text, c.URL)))
	}
	return out
}

// safeURL returns u when it may become a link: an absolute http(s) address,
// or, with mailto, a mailto: address too; "" otherwise (javascript:, data:,
// relative addresses...), and the caller then shows plain text.
func safeURL(u string, mailto bool) string {
	if u == "" || strings.ContainsAny(u, "<> \t\r\n") {
		return ""
	}
	p, err := url.Parse(u)
	if err != nil {
		return ""
	}
	switch {
	case (p.Scheme == "https" || p.Scheme == "http") && p.Host != "":
	case mailto && p.Scheme == "mailto" && p.Opaque != "":
	default:
		return ""
	}
	return u
}

// mdDestination escapes what would end a Markdown link's address early.
var mdDestination = strings.NewReplacer("(", "%28", ")", "%29", "[", "%5B", "]", "%5D")

// mdLinkText escapes what would end a Markdown link's text early or start a
// link of its own.
var mdLinkText = strings.NewReplacer(`\`, `\\`, "[", `\[`, "]", `\]`)

// mdLink returns a Markdown link to u reading text, or just the text when u
// is not an http(s) or mailto: address. Brackets in the text cannot make a
// link of their own.
func mdLink(text, u string) string {
	text = mdLinkText.Replace(text)
	u = safeURL(u, true)
	if u == "" {
		return text
	}
	return fmt.Sprintf("[%s](%s)", text, mdDestination.Replace(u))
}

func sourceBlock(p knowledge.Page) textBlock {
	s := "Source: " + mdLink(p.Title, p.URL)
	if p.Date != "" {
		s += ", as of " + p.Date
	}
	t := tb(s)
	t.Size, t.IsSubtle, t.Separator = "Small", true, true
	return t
}

func answerCard(r bot.Reply, o cardOptions) Card {
	var body []any
	if r.Also != nil {
		body = append(body, textBlock{Type: "TextBlock", Text: "Both Microsoft and your organisation have a part in this.", Wrap: true, Weight: "Bolder"})
	}
	body = append(body, answerSection(r.Answer)...)
	var actions []any
	learn := "Read on Microsoft Learn"
	if r.Also != nil {
		sec := answerSection(r.Also)
		if c, ok := sec[0].(container); ok {
			c.Spacing = "Large"
			sec[0] = c
		}
		body = append(body, sec...)
		learn = "Learn: " + r.Answer.Entry.Owner.Label()
	}
	// Buttons open http(s) addresses only.
	answerURL := safeURL(r.Answer.URL, false)
	if answerURL != "" {
		actions = append(actions, openURL{Type: "Action.OpenUrl", Title: learn, URL: answerURL})
	}
	if r.Also != nil {
		if u := safeURL(r.Also.URL, false); u != "" && u != answerURL {
			actions = append(actions, openURL{Type: "Action.OpenUrl", Title: "Learn: " + r.Also.Entry.Owner.Label(), URL: u})
		}
	}
	if r.Source.Title != "" {
		body = append(body, sourceBlock(r.Source))
	}
	if o.feedback {
		id := r.Answer.Entry.ID
		actions = append(actions,
			submit{Type: "Action.Submit", Title: "👍 Helpful", Data: submission{Action: "vote", ID: id, Vote: "up", Question: r.Question}},
			submit{Type: "Action.Submit", Title: "👎 Not helpful", Data: submission{Action: "vote", ID: id, Vote: "down", Question: r.Question}},
		)
	}
	return newCard(plaintext.Render(r), body, actions...)
}

func suggestCard(r bot.Reply) Card {
	body := []any{tb(r.Text)}
	var actions []any
	for _, c := range r.Alternatives {
		body = append(body, container{Type: "Container", Style: ownerStyle(c.Owner), Spacing: "Small", Items: []any{
			textBlock{Type: "TextBlock", Text: c.Title, Wrap: true, Weight: "Bolder"},
			textBlock{Type: "TextBlock", Text: c.Owner.Label(), Wrap: true, Size: "Small", IsSubtle: true, Spacing: "None"},
		}, SelectAction: submit{Type: "Action.Submit", Title: c.Title, Data: submission{Action: "show", ID: c.ID}}})
		actions = append(actions, submit{Type: "Action.Submit", Title: c.Title, Data: submission{Action: "show", ID: c.ID}})
	}
	return newCard(plaintext.Render(r), body, actions...)
}

func commandFacts(cmds []bot.Command) factSet {
	fs := factSet{Type: "FactSet"}
	for _, c := range cmds {
		fs.Facts = append(fs.Facts, fact{Title: c.Usage, Value: c.Summary})
	}
	return fs
}

func helpCard(r bot.Reply, heading string) Card {
	var body []any
	if heading != "" {
		body = append(body, textBlock{Type: "TextBlock", Text: heading, Wrap: true, Style: "heading", Size: "Large", Weight: "Bolder"})
	}
	if r.Text != "" {
		body = append(body, tb(r.Text))
	}
	body = append(body,
		tb("Ask me who is responsible for something under Microsoft Managed Desktop:"),
		commandFacts(r.Commands),
		tb("In a channel or group chat, mention me: **@mmd who handles VPN issues?** In a personal chat, just ask. In the message box, the mmd search finds a responsibility and inserts its card."),
	)
	if r.Source.Title != "" {
		body = append(body, sourceBlock(r.Source))
	}
	return newCard(plaintext.Render(r), body,
		submit{Type: "Action.Submit", Title: "Show the table", Data: submission{Action: "ask", Question: "table"}})
}

// WelcomeCard is the card posted when the bot is added to a conversation.
func WelcomeCard(r bot.Reply) Card {
	c := helpCard(r, "Hi, I'm mmd")
	c.FallbackText = "Hi, I'm mmd.\n\n" + c.FallbackText
	return c
}

func unknownCard(r bot.Reply) Card {
	body := []any{tb(r.Text)}
	if len(r.Commands) > 0 {
		body = append(body, commandFacts(r.Commands))
	}
	return newCard(plaintext.Render(r), body,
		submit{Type: "Action.Submit", Title: "Show the table", Data: submission{Action: "ask", Question: "table"}},
		submit{Type: "Action.Submit", Title: "Help", Data: submission{Action: "ask", Question: "help"}})
}

// tableRow is one clickable entry of a table card.
func tableRow(e *knowledge.Entry) container {
	return container{Type: "Container", Spacing: "Small", Items: []any{
		textBlock{Type: "TextBlock", Text: "• " + e.Title, Wrap: true},
	}, SelectAction: submit{Type: "Action.Submit", Title: e.Title, Data: submission{Action: "show", ID: e.ID}}}
}

func groupHeading(o knowledge.Owner, continued bool) container {
	t := o.Label()
	if continued {
		t += " (continued)"
	}
	return container{Type: "Container", Style: ownerStyle(o), Spacing: "Medium", Items: []any{
		textBlock{Type: "TextBlock", Text: t, Wrap: true, Size: "Medium", Weight: "Bolder"},
	}}
}

func jsonSize(v any) int {
	b, _ := json.Marshal(v)
	return len(b)
}

// tableCards renders a table or listing as cards of at most cardBudget bytes
// each (card and fallback text), the groups split between entries.
func tableCards(r bot.Reply) []Card {
	title := "Microsoft Managed Desktop responsibilities"
	if r.Intent == bot.IntentList && len(r.Groups) == 1 {
		title = "Responsibilities: " + r.Groups[0].Owner.Label()
	}
	if len(r.Groups) == 0 {
		return []Card{newCard(plaintext.Render(r), []any{tb(r.Text)})}
	}
	type page struct {
		body   []any
		groups []bot.Group
		size   int
	}
	src := sourceBlock(r.Source)
	// Room for the card's frame, title, source line and hint.
	frame := jsonSize(newCard("", nil)) + jsonSize(src) + 2*len(title) + 600
	var pages []*page
	cur := &page{size: frame}
	pages = append(pages, cur)
	for _, g := range r.Groups {
		started, continued := false, false
		heading := jsonSize(groupHeading(g.Owner, true)) + len(g.Owner.Label()) + 4
		for _, e := range g.Entries {
			row := tableRow(e)
			need := jsonSize(row) + len(e.Title) + len(e.ID) + 12 // row and its fallback line
			if !started {
				need += heading
			}
			if cur.size+need > cardBudget && len(cur.body) > 0 {
				cur = &page{size: frame}
				pages = append(pages, cur)
				if started {
					started, continued = false, true
					need += heading
				}
			}
			if !started {
				cur.body = append(cur.body, groupHeading(g.Owner, continued))
				cur.groups = append(cur.groups, bot.Group{Owner: g.Owner})
				started = true
			}
			cur.body = append(cur.body, row)
			last := &cur.groups[len(cur.groups)-1]
			last.Entries = append(last.Entries, e)
			cur.size += need
		}
	}
	cards := make([]Card, 0, len(pages))
	for i, p := range pages {
		t := title
		if len(pages) > 1 {
			t = fmt.Sprintf("%s (%d of %d)", title, i+1, len(pages))
		}
		body := append([]any{textBlock{Type: "TextBlock", Text: t, Wrap: true, Style: "heading", Size: "Large", Weight: "Bolder"}}, p.body...)
		hint := tb("Select a responsibility to see who does what, or ask me a question.")
		hint.Size, hint.IsSubtle = "Small", true
		body = append(body, hint)
		if r.Source.Title != "" {
			body = append(body, src)
		}
		var fb strings.Builder
		fb.WriteString(t + "\n\n")
		plaintext.Table(&fb, p.groups)
		cards = append(cards, newCard(fb.String(), body))
	}
	return cards
}
