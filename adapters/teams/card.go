package teams

import (
	"encoding/json"
	"fmt"
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
	ID           string `json:"id,omitempty"`
	IsVisible    *bool  `json:"isVisible,omitempty"`
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

// actionSet is a row of buttons inside the card's body.
type actionSet struct {
	Type    string `json:"type"`
	Actions []any  `json:"actions"`
	Spacing string `json:"spacing,omitempty"`
}

// toggle shows or hides the elements of the card it names.
type toggle struct {
	Type           string   `json:"type"`
	Title          string   `json:"title"`
	TargetElements []string `json:"targetElements"`
}

// execute is an Action.Execute button: Teams sends its data in an
// adaptiveCard/action invoke, and the card the bot answers with replaces
// the card in place. Votes use it.
type execute struct {
	Type  string     `json:"type"`
	Title string     `json:"title,omitempty"`
	Verb  string     `json:"verb"`
	Data  submission `json:"data"`
}

// voteVerb is the verb of the vote buttons' Action.Execute.
const voteVerb = "vote"

type submit struct {
	Type  string     `json:"type"`
	Title string     `json:"title,omitempty"`
	Style string     `json:"style,omitempty"`
	Data  submission `json:"data"`
}

// submission is the data of the cards' Action.Submit buttons, which Teams
// sends back as the value of a message activity: a bot.Action. Cards
// already posted keep their buttons, so the fields never change meaning.
type submission struct {
	// Action is the kind of bot.Action: "show" (a "did you mean" choice or
	// a table row), "vote" (👍/👎), "run" (a command button) or "ask".
	Action string `json:"mmd"`
	// ID is the entry shown or voted on.
	ID string `json:"id,omitempty"`
	// Vote is "up", "down" or "undo".
	Vote string `json:"vote,omitempty"`
	// Question is the question answered (votes, choices); for an "ask"
	// of a card of an earlier version, the text to ask.
	Question string `json:"q,omitempty"`
	// Text is the command run or the question asked.
	Text string `json:"text,omitempty"`
}

// submitOf is the Action.Submit button of one of a reply's actions.
func submitOf(a bot.Action) submit {
	d := submission{Action: string(a.Kind), ID: a.ID, Question: a.Question, Text: a.Text}
	if a.Kind == bot.ActVote {
		d.Vote = "down"
		if a.Up {
			d.Vote = "up"
		}
	}
	return submit{Type: "Action.Submit", Title: a.Label, Data: d}
}

// buttonOf is the button of one of a reply's actions: a vote is an
// Action.Execute, so that the card itself acknowledges it; anything else
// an Action.Submit.
func buttonOf(a bot.Action) any {
	s := submitOf(a)
	if a.Kind != bot.ActVote {
		return s
	}
	if a.Undo {
		s.Data.Vote = "undo"
	}
	return execute{Type: "Action.Execute", Title: a.Label, Verb: voteVerb, Data: s.Data}
}

// action returns the bot.Action a submission stands for.
func (s submission) action() bot.Action {
	a := bot.Action{Kind: bot.ActionKind(s.Action), ID: s.ID, Question: s.Question, Text: s.Text}
	switch a.Kind {
	case bot.ActVote:
		if s.Vote != "up" && s.Vote != "down" && s.Vote != "undo" {
			a.Kind = "" // not mmdbot's
		}
		a.Up, a.Undo = s.Vote == "up", s.Vote == "undo"
	case bot.ActAsk:
		if a.Text == "" {
			a.Text, a.Question = s.Question, ""
		}
	}
	return a
}

// submits are the buttons of a reply's actions.
func submits(actions []bot.Action) []any {
	out := make([]any, 0, len(actions))
	for _, a := range actions {
		out = append(out, buttonOf(a))
	}
	return out
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
		return []Card{helpCard(r)}
	case bot.KindUnknown, bot.KindError:
		return []Card{unknownCard(r)}
	case bot.KindDigest:
		return []Card{digestCard(r)}
	}
	return []Card{newCard(plaintext.Render(r), []any{tb(r.Text)})}
}

// answerSection renders one answered entry: the owner's band, the split of
// a shared entry, the description (behind a "Details" toggle when the split
// says it already) and the contact. n numbers the section in its card.
func answerSection(a *bot.Answer, n int) []any {
	e := a.Entry
	head := container{Type: "Container", Style: ownerStyle(a.Lead()), Bleed: true, Items: []any{
		textBlock{Type: "TextBlock", Text: a.Headline(), Wrap: true, Size: "ExtraLarge", Weight: "Bolder"},
		textBlock{Type: "TextBlock", Text: e.Title, Wrap: true, Size: "Medium", Weight: "Bolder", Spacing: "Small"},
	}}
	if note := a.SideNote(); note != "" {
		head.Items = append(head.Items, textBlock{Type: "TextBlock", Text: note, Wrap: true, Spacing: "Small"})
	}
	out := []any{head}
	desc := description(a)
	if e.Split != nil {
		// Who does what comes right after who; the Learn text, which says
		// the same at length, is folded behind "Details".
		out = append(out, factSet{Type: "FactSet", Facts: []fact{
			{Title: "Microsoft", Value: e.Split.Microsoft},
			{Title: "Your organisation", Value: e.Split.Customer},
		}})
		id := fmt.Sprintf("details-%d", n)
		hidden := false
		out = append(out,
			actionSet{Type: "ActionSet", Actions: []any{toggle{Type: "Action.ToggleVisibility", Title: bot.DetailsLabel, TargetElements: []string{id}}}},
			container{Type: "Container", ID: id, IsVisible: &hidden, Items: desc})
	} else {
		out = append(out, desc...)
	}
	if c := a.Contact; c != nil {
		out = append(out, tb("**Contact:** "+mdLink(c.Text, c.URL)))
	}
	return out
}

// description is an entry's text as text blocks, each name of one of its
// links a link.
func description(a *bot.Answer) []any {
	var out []any
	for _, bl := range a.Entry.Blocks {
		if bl.Text != "" {
			out = append(out, tb(mdLinked(bl.Text, a.Entry.Links)))
		}
		for i, it := range bl.Items {
			t := tb("• " + mdLinked(it, a.Entry.Links))
			t.Spacing = "Small"
			if i == 0 && bl.Text == "" {
				t.Spacing = ""
			}
			out = append(out, t)
		}
	}
	return out
}

// mdLinked is s with each name of one of links made a Markdown link.
func mdLinked(s string, links []knowledge.Link) string {
	var b strings.Builder
	for _, sp := range bot.LinkSpans(s, links) {
		if sp.URL == "" {
			b.WriteString(sp.Text)
			continue
		}
		b.WriteString(mdLink(sp.Text, sp.URL))
	}
	return b.String()
}

// mdDestination escapes what would end a Markdown link's address early.
var mdDestination = strings.NewReplacer("(", "%28", ")", "%29", "[", "%5B", "]", "%5D")

// mdLinkText escapes what would end a Markdown link's text early or start a
// link of its own.
var mdLinkText = strings.NewReplacer(`\`, `\\`, "[", `\[`, "]", `\]`)

// mdText escapes what Teams' Markdown would make bold, italic, code or a
// link of, in text someone typed.
var mdText = strings.NewReplacer(`\`, `\\`, "*", `\*`, "_", `\_`, "`", "\\`", "[", `\[`, "]", `\]`)

// mdLink returns a Markdown link to u reading text, or just the text when u
// is not an http(s) or mailto: address. Brackets in the text cannot make a
// link of their own.
func mdLink(text, u string) string {
	text = mdLinkText.Replace(text)
	u = bot.SafeURL(u, true)
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
	if p.Freshness != "" {
		s += "; " + mdLinkText.Replace(p.Freshness)
	}
	t := tb(s)
	t.Size, t.IsSubtle, t.Separator = "Small", true, true
	return t
}

func answerCard(r bot.Reply, o cardOptions) Card {
	var body []any
	if r.Also != nil {
		body = append(body, textBlock{Type: "TextBlock", Text: bot.BothSides, Wrap: true, Weight: "Bolder"})
	}
	body = append(body, answerSection(r.Answer, 0)...)
	if r.Also != nil {
		sec := answerSection(r.Also, 1)
		if c, ok := sec[0].(container); ok {
			c.Spacing = "Large"
			sec[0] = c
		}
		body = append(body, sec...)
	}
	// Buttons open http(s) addresses only, each once.
	var actions []any
	seen := map[string]bool{}
	for _, a := range []*bot.Answer{r.Answer, r.Also} {
		if a == nil {
			continue
		}
		if u := bot.SafeURL(a.URL, false); u != "" && !seen[u] {
			seen[u] = true
			actions = append(actions, openURL{Type: "Action.OpenUrl", Title: a.ReadLabel(r.Also != nil), URL: u})
		}
	}
	if r.Source.Title != "" {
		body = append(body, sourceBlock(r.Source))
	}
	if o.feedback {
		if r.Text != "" {
			// A vote acknowledged: the thanks stands where the 👍/👎 were.
			t := tb(r.Text)
			t.Color, t.Weight, t.Separator = "Good", "Bolder", true
			body = append(body, t)
		}
		actions = append(actions, submits(r.Actions)...)
	}
	return newCard(plaintext.Render(r), body, actions...)
}

// suggestCard renders "did you mean": when every choice has one owner,
// that owner first; then each choice once, as a tile in its owner's colour
// that shows it when selected. The reply's other actions are buttons.
func suggestCard(r bot.Reply) Card {
	var body []any
	if o, ok := r.CommonOwner(); ok {
		body = append(body, container{Type: "Container", Style: ownerStyle(o), Bleed: true, Items: []any{
			textBlock{Type: "TextBlock", Text: bot.AllOwnedBy(o), Wrap: true, Size: "Medium", Weight: "Bolder"},
		}})
	}
	body = append(body, tb(r.Text))
	for _, c := range r.Alternatives {
		body = append(body, container{Type: "Container", Style: ownerStyle(c.Owner), Spacing: "Small", Items: []any{
			textBlock{Type: "TextBlock", Text: c.Title + " ›", Wrap: true, Weight: "Bolder", Color: "Accent"},
			textBlock{Type: "TextBlock", Text: c.Owner.Label(), Wrap: true, Size: "Small", IsSubtle: true, Spacing: "None"},
		}, SelectAction: submitOf(bot.Show(c.ID, c.Title, r.Question))})
	}
	var others []bot.Action
	for _, a := range r.Actions {
		if a.Kind != bot.ActShow {
			others = append(others, a)
		}
	}
	return newCard(plaintext.Render(r), body, submits(others)...)
}

func commandFacts(cmds []bot.Command) factSet {
	fs := factSet{Type: "FactSet"}
	for _, c := range cmds {
		fs.Facts = append(fs.Facts, fact{Title: c.Usage, Value: c.Summary})
	}
	return fs
}

// helpHowTo says how to ask in Teams.
const helpHowTo = "In a channel or group chat, mention me: **@mmd who handles VPN issues?** In a personal chat, just ask. In the message box, the mmd search finds a responsibility and inserts its card."

// helpCard renders the help, after the greeting of small talk or, as a
// heading, of the welcome.
func helpCard(r bot.Reply) Card {
	var body []any
	switch {
	case r.Intent == bot.IntentWelcome:
		body = append(body, textBlock{Type: "TextBlock", Text: r.Text, Wrap: true, Style: "heading", Size: "Large", Weight: "Bolder"})
	case r.Text != "":
		body = append(body, tb(r.Text))
	}
	body = append(body, tb(bot.HelpIntro), commandFacts(r.Commands), tb(helpHowTo))
	if r.Source.Title != "" {
		body = append(body, sourceBlock(r.Source))
	}
	return newCard(plaintext.Render(r), body, submits(r.Actions)...)
}

// WelcomeCard is the card posted when the bot is added to a conversation:
// the bot's welcome.
func WelcomeCard(r bot.Reply) Card { return helpCard(r) }

func unknownCard(r bot.Reply) Card {
	return newCard(plaintext.Render(r), []any{tb(r.Sentence())}, submits(r.Actions)...)
}

// tableRow is one clickable entry of a table card.
func tableRow(e *knowledge.Entry) container {
	return container{Type: "Container", Spacing: "Small", Items: []any{
		textBlock{Type: "TextBlock", Text: e.Title + " ›", Wrap: true, Color: "Accent"},
	}, SelectAction: submitOf(bot.Show(e.ID, e.Title, ""))}
}

func groupHeading(o knowledge.Owner, continued bool) container {
	t := bot.GroupHeading(o, continued)
	return container{Type: "Container", Style: ownerStyle(o), Spacing: "Medium", Items: []any{
		textBlock{Type: "TextBlock", Text: t, Wrap: true, Size: "Medium", Weight: "Bolder"},
	}}
}

func jsonSize(v any) int {
	b, _ := json.Marshal(v)
	return len(b)
}

// cardRow is one row of a table card: an owner's heading or one entry.
type cardRow struct {
	owner   knowledge.Owner
	entry   *knowledge.Entry // nil for a heading
	element container
}

// size is what the row takes of a card: its JSON and its line of the
// fallback text.
func (r cardRow) size() int {
	if r.entry == nil {
		return jsonSize(r.element) + len(r.owner.Label()) + 4
	}
	return jsonSize(r.element) + len(r.entry.Title) + len(r.entry.ID) + 12
}

// tableCards renders a table or listing as cards of at most cardBudget bytes
// each (card and fallback text), the groups split between entries.
func tableCards(r bot.Reply) []Card {
	title := r.Title()
	if len(r.Groups) == 0 {
		return []Card{newCard(plaintext.Render(r), []any{tb(r.Text)})}
	}
	var rows []cardRow
	for _, g := range r.Groups {
		rows = append(rows, cardRow{owner: g.Owner, element: groupHeading(g.Owner, false)})
		for _, e := range g.Entries {
			rows = append(rows, cardRow{owner: g.Owner, entry: e, element: tableRow(e)})
		}
	}
	src := sourceBlock(r.Source)
	// Room for the card's frame, title, source line and hint.
	frame := jsonSize(newCard("", nil)) + jsonSize(src) + 2*len(title) + 600
	pages := bot.Paginate(rows, cardBudget-frame, cardRow.size,
		func(r cardRow) bool { return r.entry == nil },
		func(r cardRow) cardRow { return cardRow{owner: r.owner, element: groupHeading(r.owner, true)} })
	cards := make([]Card, 0, len(pages))
	for i, p := range pages {
		t := bot.Numbered(title, i, len(pages))
		body := []any{textBlock{Type: "TextBlock", Text: t, Wrap: true, Style: "heading", Size: "Large", Weight: "Bolder"}}
		var groups []bot.Group
		for _, row := range p {
			body = append(body, row.element)
			if row.entry == nil {
				groups = append(groups, bot.Group{Owner: row.owner})
				continue
			}
			last := &groups[len(groups)-1]
			last.Entries = append(last.Entries, row.entry)
		}
		hint := tb(bot.TableHint)
		hint.Size, hint.IsSubtle = "Small", true
		body = append(body, hint)
		if r.Source.Title != "" {
			body = append(body, src)
		}
		var fb strings.Builder
		fb.WriteString(t + "\n\n")
		plaintext.Table(&fb, groups)
		cards = append(cards, newCard(fb.String(), body))
	}
	return cards
}

// digestCard renders the weekly digest: the title, the heading, the
// period, the questions asked most often (their Markdown escaped: a
// question is what someone typed) and a button opening the review page.
func digestCard(r bot.Reply) Card {
	d := r.Digest
	body := []any{textBlock{Type: "TextBlock", Text: bot.DigestTitle, Wrap: true, Style: "heading", Size: "Large", Weight: "Bolder"}}
	if p := bot.DigestPeriod(d.Since, d.Until); p != "" {
		period := tb(p)
		period.Size, period.IsSubtle, period.Spacing = "Small", true, "None"
		body = append(body, period)
	}
	body = append(body, textBlock{Type: "TextBlock", Text: r.Text, Wrap: true, Weight: "Bolder"})
	if len(d.Top) > 0 {
		body = append(body, tb(bot.DigestTopTitle))
		for _, row := range d.Top {
			t := tb("• " + mdText.Replace(row.Line()))
			t.Spacing = "Small"
			body = append(body, t)
		}
	}
	var actions []any
	if u := bot.SafeURL(d.URL, false); u != "" {
		actions = append(actions, openURL{Type: "Action.OpenUrl", Title: bot.DigestLinkLabel, URL: u})
	}
	return newCard(plaintext.Render(r), body, actions...)
}
