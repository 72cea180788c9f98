package slack

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/mmdbot/mmdbot/bot"
	"github.com/mmdbot/mmdbot/knowledge"
)

// Block Kit limits (https://api.slack.com/reference/block-kit). Every
// rendering stays within them whatever the knowledge base holds.
const (
	maxBlocks      = 50   // blocks in a message
	maxHomeBlocks  = 100  // blocks in a Home tab view
	maxSectionText = 3000 // characters of a section's text
	maxFields      = 10   // fields of a section
	maxFieldText   = 2000 // characters of one field
	maxHeaderText  = 150  // characters of a header
	maxButtonText  = 75   // characters of a button's label
	maxValue       = 2000 // characters of a button's value
	maxButtonURL   = 3000 // characters of a link button's address
	maxContextElts = 10   // elements of a context block
	maxActionElts  = 25   // elements of an actions block
	maxText        = 3000 // characters of a message's notification text
)

// Action ids of the buttons mmdbot puts in its messages, one per kind of
// bot.Action. A button of a kind that can appear several times in a message
// gets a suffix "_<n>". Messages already posted keep their buttons, so the
// ids never change meaning.
const (
	actionShow    = "mmd_show"    // a "did you mean" choice: value {q, id}
	actionDetails = "mmd_details" // a table entry's details: value {id}
	actionUp      = "mmd_vote_up" // 👍 on an answer: value {q, id}
	actionDown    = "mmd_vote_down"
	actionUndo    = "mmd_vote_undo" // take a vote back: value {q, id}
	actionShare   = "mmd_share"     // post an ephemeral answer visibly: value {c, q}
	actionRun     = "mmd_run"       // run a command ("table", "help"): value {c}
	actionAsk     = "mmd_ask"       // ask a question again: value {c}
	actionLearn   = "mmd_learn"     // a link to Learn; Slack reports the click, mmdbot ignores it
	actionReview  = "mmd_review"    // the digest's link to the review page; ignored alike
)

// actionValue is what a button carries, as JSON in its value.
type actionValue struct {
	Q  string `json:"q,omitempty"`  // the question answered
	ID string `json:"id,omitempty"` // an entry id
	C  string `json:"c,omitempty"`  // a command or question to send again
}

// actionButton is the button of one of a reply's actions, the i-th of its
// kind in the message.
func actionButton(a bot.Action, i int) *slack.ButtonBlockElement {
	id, v := fmt.Sprintf("%s_%d", actionShow, i), actionValue{Q: a.Question, ID: a.ID}
	switch a.Kind {
	case bot.ActRun:
		id, v = fmt.Sprintf("%s_%d", actionRun, i), actionValue{C: a.Text}
	case bot.ActAsk:
		id, v = fmt.Sprintf("%s_%d", actionAsk, i), actionValue{C: a.Text}
	case bot.ActShare:
		id, v = actionShare, actionValue{C: a.Text, Q: a.Question}
	case bot.ActVote:
		id = actionDown
		switch {
		case a.Undo:
			id = actionUndo
		case a.Up:
			id = actionUp
		}
	}
	return button(id, a.Label, v, "")
}

// decodeAction reads a pressed button as the action it stands for;
// replace is true for a "did you mean" choice, whose answer takes the
// place of the question's message, and for a vote, whose answer takes it
// again with the vote acknowledged. ok is false for a button that is not
// mmdbot's.
func decodeAction(actionID, value string) (a bot.Action, replace, ok bool) {
	v := decodeValue(value)
	switch kindOf(actionID) {
	case actionShow:
		return bot.Action{Kind: bot.ActShow, ID: v.ID, Question: v.Q}, true, true
	case actionDetails:
		return bot.Action{Kind: bot.ActShow, ID: v.ID}, false, true
	case actionRun:
		return bot.Action{Kind: bot.ActRun, Text: v.C}, false, true
	case actionAsk:
		return bot.Action{Kind: bot.ActAsk, Text: v.C}, false, true
	case actionUp, actionDown, actionUndo:
		return bot.Action{Kind: bot.ActVote, ID: v.ID, Question: v.Q, Up: actionID == actionUp, Undo: actionID == actionUndo}, true, true
	case actionShare:
		return bot.Action{Kind: bot.ActShare, Text: v.C, Question: v.Q}, false, true
	}
	return bot.Action{}, false, false
}

// kindOf is an action id without its "_<n>" suffix.
func kindOf(actionID string) string {
	for _, k := range []string{actionShow, actionDetails, actionRun, actionAsk} {
		if strings.HasPrefix(actionID, k+"_") || actionID == k {
			return k
		}
	}
	return actionID
}

// encode returns v as a button value of at most maxValue characters,
// shortening the question or command when it is too long.
func (v actionValue) encode() string {
	for {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(v) // strings only: cannot fail
		s := strings.TrimSuffix(buf.String(), "\n")
		if len(s) <= maxValue {
			return s
		}
		over := len(s) - maxValue
		if v.Q != "" {
			v.Q = cutBytes(v.Q, len(v.Q)-over-8)
		} else {
			v.C = cutBytes(v.C, len(v.C)-over-8)
		}
	}
}

// decodeValue reads a button value; a value that is not mmdbot's gives the
// zero actionValue.
func decodeValue(s string) actionValue {
	var v actionValue
	if json.Unmarshal([]byte(s), &v) != nil {
		return actionValue{}
	}
	return v
}

// cutBytes returns the longest prefix of s of at most n bytes that ends on a
// rune boundary.
func cutBytes(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// surface says where a rendering is shown, which decides its buttons.
type surface int

const (
	// surfaceVisible is a message everyone in the conversation sees: a
	// threaded reply to a mention, a direct message, a shared answer.
	surfaceVisible surface = iota
	// surfaceEphemeral is a message only the asker sees (slash commands): it
	// gets a "Share in channel" button.
	surfaceEphemeral
)

// message is one Slack message: notification text and blocks.
type message struct {
	Text   string        `json:"text"`
	Blocks []slack.Block `json:"blocks"`
}

// renderOptions say how to render a reply.
type renderOptions struct {
	surface surface
	// command is the text to run again when "Share in channel" is pressed,
	// and question the question its answer records feedback against.
	command  string
	question string
}

// render returns a reply as Slack messages: one for everything but a table
// too large for one message, which is split over several.
func render(r bot.Reply, o renderOptions) []message {
	switch r.Kind {
	case bot.KindAnswer:
		return []message{{Text: notification(r), Blocks: answerBlocks(r, o)}}
	case bot.KindSuggest:
		return []message{{Text: notification(r), Blocks: suggestBlocks(r, o)}}
	case bot.KindHelp:
		return []message{{Text: notification(r), Blocks: helpBlocks(r, o)}}
	case bot.KindTable:
		return tableMessages(r, o)
	case bot.KindThanks:
		return []message{{Text: notification(r), Blocks: []slack.Block{sentence(r.Text, "")}}}
	case bot.KindDigest:
		return []message{{Text: notification(r), Blocks: digestBlocks(r)}}
	default: // KindUnknown, KindError
		return []message{{Text: notification(r), Blocks: unknownBlocks(r, o)}}
	}
}

// notification is the message's text: a one-line summary that notifications
// and screen readers show, escaped.
func notification(r bot.Reply) string {
	s := strings.Join(strings.Fields(r.Summary()), " ")
	if s == "" {
		s = "mmdbot"
	}
	return esc(s, maxText)
}

// esc escapes the three characters Slack's mrkdwn gives meaning to (&, <
// and >), so that "<!channel>", "<@U123>" or "<https://…|label>" in a
// question never pings anyone or becomes a link, and cuts s to at most n
// characters, ending with "…" when cut; an escape sequence is never cut in
// half.
func esc(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= n && !strings.ContainsAny(s, "&<>") {
		return s
	}
	var b strings.Builder
	count := 0
	for i, r := range s {
		piece := string(r)
		switch r {
		case '&':
			piece = "&amp;"
		case '<':
			piece = "&lt;"
		case '>':
			piece = "&gt;"
		}
		w := utf8.RuneCountInString(piece)
		if count+w > n || (count+w == n && i+utf8.RuneLen(r) < len(s)) {
			// Not the last piece, and it would leave no room for "…".
			if count+1 > n {
				break
			}
			b.WriteString("…")
			return b.String()
		}
		b.WriteString(piece)
		count += w
	}
	return b.String()
}

// clip cuts plain text to at most n characters, ending with "…" when cut.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	rs := []rune(s)
	return string(rs[:n-1]) + "…"
}

// plain returns a plain_text object of at most n characters.
func plain(s string, n int) *slack.TextBlockObject {
	s = clip(strings.Join(strings.Fields(s), " "), n)
	if s == "" {
		s = " "
	}
	return slack.NewTextBlockObject(slack.PlainTextType, s, true, false)
}

// mrkdwn returns a mrkdwn text object; s must already be escaped and short
// enough.
func mrkdwn(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, s, false, false)
}

// safeURL returns u when it is an address Slack accepts in a link (an
// absolute http(s) address, or with mailto a mailto: address), "" otherwise.
func safeURL(u string, mailto bool) string {
	if len(u) > maxButtonURL || strings.Contains(u, "|") {
		return ""
	}
	return bot.SafeURL(u, mailto)
}

// link returns a mrkdwn link to u reading text (escaped, at most n
// characters), or just the text when u is not a usable address.
func link(u, text string, n int) string {
	u = safeURL(u, true)
	if u == "" {
		return esc(text, n)
	}
	return "<" + strings.ReplaceAll(u, "&", "&amp;") + "|" + esc(text, n) + ">"
}

// button returns a button; style is "", "primary" or "danger".
func button(actionID, label string, v actionValue, style slack.Style) *slack.ButtonBlockElement {
	b := slack.NewButtonBlockElement(actionID, v.encode(), plain(label, maxButtonText))
	b.Style = style
	return b
}

// linkButton returns a button opening u, or nil when u is not usable.
func linkButton(actionID, label, u string) *slack.ButtonBlockElement {
	u = safeURL(u, false)
	if u == "" {
		return nil
	}
	b := slack.NewButtonBlockElement(actionID, "", plain(label, maxButtonText))
	b.URL = u
	return b
}

// questionBlock echoes the question, escaped, as a context line.
func questionBlock(q string) slack.Block {
	return slack.NewContextBlock("", mrkdwn("*Question:* "+esc(strings.Join(strings.Fields(q), " "), maxSectionText-20)))
}

// echo is the question echoed, escaped, at the top of a reply to one.
func echo(r bot.Reply) []slack.Block {
	if r.Question == "" || (r.Intent != bot.IntentAsk && r.Kind != bot.KindUnknown) {
		return nil
	}
	return []slack.Block{questionBlock(r.Question)}
}

// sentence is a section holding one of the bot's sentences, escaped, or def
// when it has none.
func sentence(text, def string) slack.Block {
	if text == "" {
		text = def
	}
	return slack.NewSectionBlock(mrkdwn(esc(text, maxSectionText)), nil, nil)
}

// sourceBlock cites the page the knowledge comes from and its date.
func sourceBlock(p knowledge.Page) slack.Block {
	if p.Title == "" && p.URL == "" {
		return nil
	}
	title := p.Title
	if title == "" {
		title = p.URL
	}
	s := "Source: " + link(p.URL, title, 300)
	if p.Date != "" {
		s += ", as of " + esc(p.Date, 40)
	}
	if p.Freshness != "" {
		s += "; " + esc(p.Freshness, 400)
	}
	return slack.NewContextBlock("", mrkdwn(s))
}

// ownerEmoji marks an owner in lists.
func ownerEmoji(o knowledge.Owner) string {
	switch o {
	case knowledge.OwnerMicrosoft:
		return "🟦"
	case knowledge.OwnerCustomer:
		return "🟩"
	case knowledge.OwnerShared:
		return "🟨"
	}
	return "▫️"
}

// entryBlocks renders one answered entry: the owner as a header, the title,
// the split of a shared entry, the description (its names of links linked),
// the contact.
func entryBlocks(a *bot.Answer) []slack.Block {
	e := a.Entry
	blocks := []slack.Block{slack.NewHeaderBlock(plain(ownerEmoji(a.Lead())+" "+a.Headline(), maxHeaderText))}
	title := "*" + esc(e.Title, 300) + "*"
	if note := a.SideNote(); note != "" {
		title += "\n_" + esc(note, 300) + "_"
	}
	text, room := title, maxSectionText-utf8.RuneCountInString(title)-1
	if e.Split != nil {
		// Who does what comes right after who; the Learn text, which says
		// the same at length, follows in a section of its own.
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(title), nil, nil), slack.NewSectionBlock(nil, []*slack.TextBlockObject{
			mrkdwn("*Microsoft*\n" + esc(e.Split.Microsoft, maxFieldText-12)),
			mrkdwn("*Your organisation*\n" + esc(e.Split.Customer, maxFieldText-20)),
		}, nil))
		text, room = "", maxSectionText
	}
	if d := e.Description(); d != "" {
		if linked := description(e); utf8.RuneCountInString(linked) <= room {
			d = linked
		} else {
			d = esc(d, room)
		}
		text = strings.TrimPrefix(text+"\n"+d, "\n")
	}
	if text != "" {
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(text), nil, nil))
	}
	if c := a.Contact; c != nil && (c.Text != "" || c.URL != "") {
		text := c.Text
		if text == "" {
			text = c.URL
		}
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn("*Contact:* "+link(c.URL, text, maxSectionText-300)), nil, nil))
	}
	return blocks
}

// description is an entry's text as mrkdwn, escaped, each name of one of
// its links a link.
func description(e *knowledge.Entry) string {
	linked := func(s string) string {
		var b strings.Builder
		for _, sp := range bot.LinkSpans(s, e.Links) {
			b.WriteString(link(sp.URL, sp.Text, maxSectionText))
		}
		return b.String()
	}
	var b strings.Builder
	for i, bl := range e.Blocks {
		if i > 0 {
			b.WriteString("\n\n")
		}
		b.WriteString(linked(bl.Text))
		for j, it := range bl.Items {
			if j > 0 || bl.Text != "" {
				b.WriteString("\n")
			}
			b.WriteString("• " + linked(it))
		}
	}
	return b.String()
}

// answerBlocks renders a KindAnswer reply; one shown again after a vote
// says the thanks where its 👍/👎 were, beside the undo.
func answerBlocks(r bot.Reply, o renderOptions) []slack.Block {
	blocks := echo(r)
	answers := []*bot.Answer{r.Answer}
	if r.Also != nil {
		answers = append(answers, r.Also)
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn("*"+esc(bot.BothSides, maxSectionText)+"*"), nil, nil))
	}
	var links []slack.BlockElement
	for i, a := range answers {
		if i > 0 {
			blocks = append(blocks, slack.NewDividerBlock())
		}
		blocks = append(blocks, entryBlocks(a)...)
		if b := linkButton(fmt.Sprintf("%s_%d", actionLearn, i), a.ReadLabel(len(answers) > 1), a.URL); b != nil {
			if i == 0 {
				b.Style = slack.StylePrimary
			}
			links = append(links, b)
		}
	}
	if r.Text != "" {
		blocks = append(blocks, slack.NewContextBlock("", mrkdwn("*"+esc(r.Text, maxSectionText-2)+"*")))
	}
	blocks = append(blocks, slack.NewActionBlock("", append(links, buttons(r.Actions, nil, o)...)...))
	return appendSource(blocks, r.Source)
}

func shareButton(o renderOptions) *slack.ButtonBlockElement {
	return actionButton(bot.Share(o.command, o.question), 0)
}

func appendSource(blocks []slack.Block, p knowledge.Page) []slack.Block {
	if b := sourceBlock(p); b != nil {
		blocks = append(blocks, b)
	}
	return blocks
}

// suggestBlocks renders "did you mean": each choice a button showing that
// answer when pressed, naming its owner.
func suggestBlocks(r bot.Reply, o renderOptions) []slack.Block {
	blocks := echo(r)
	if o, ok := r.CommonOwner(); ok {
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(ownerEmoji(o)+" *"+esc(bot.AllOwnedBy(o), maxSectionText-10)+"*"), nil, nil))
	}
	blocks = append(blocks, sentence(r.Sentence(), bot.NotSure))
	owners := map[string]knowledge.Owner{}
	for _, c := range r.Alternatives {
		owners[c.ID] = c.Owner
	}
	label := func(a bot.Action) string {
		l := a.Label + " (" + owners[a.ID].Label() + ")"
		if owners[a.ID] == "" || utf8.RuneCountInString(l) > maxButtonText {
			return a.Label
		}
		return l
	}
	if actions := buttons(r.Actions, label, o); len(actions) > 0 {
		blocks = append(blocks, slack.NewActionBlock("", actions...))
	}
	return appendSource(blocks, r.Source)
}

// unknownBlocks renders "I don't know" and errors, with buttons to the table
// and the help.
func unknownBlocks(r bot.Reply, o renderOptions) []slack.Block {
	blocks := append(echo(r), sentence(r.Sentence(), bot.DontKnow))
	if actions := buttons(r.Actions, nil, renderOptions{}); len(actions) > 0 {
		blocks = append(blocks, slack.NewActionBlock("", actions...))
	}
	return blocks
}

// buttons maps a reply's actions to buttons, at most an actions block's
// worth, labelled by label (the action's own label when nil); an answer
// only its asker sees gets "Share in channel" last.
func buttons(actions []bot.Action, label func(bot.Action) string, o renderOptions) []slack.BlockElement {
	var out []slack.BlockElement
	for i, a := range actions {
		if len(out) == maxActionElts-1 {
			break
		}
		b := actionButton(a, i)
		if label != nil {
			b.Text = plain(label(a), maxButtonText)
		}
		out = append(out, b)
	}
	if o.surface == surfaceEphemeral {
		out = append(out, shareButton(o))
	}
	return out
}

// maxDigestLine bounds one question of a digest, escaped, so that the
// bot.MaxDigestRows of them fit in one section.
const maxDigestLine = (maxSectionText - 100) / bot.MaxDigestRows

// digestBlocks renders the weekly digest: a header, the heading, the
// period, the questions asked most often as a bulleted list (every word of
// them escaped: a question is what someone typed), and a button opening
// the review page.
func digestBlocks(r bot.Reply) []slack.Block {
	d := r.Digest
	blocks := []slack.Block{
		slack.NewHeaderBlock(plain(bot.DigestTitle, maxHeaderText)),
		slack.NewSectionBlock(mrkdwn("*"+esc(r.Text, maxSectionText-2)+"*"), nil, nil),
	}
	if p := bot.DigestPeriod(d.Since, d.Until); p != "" {
		blocks = append(blocks, slack.NewContextBlock("", mrkdwn(esc(p, 200))))
	}
	if len(d.Top) > 0 {
		lines := []string{"*" + esc(bot.DigestTopTitle, 80) + "*"}
		for _, row := range d.Top {
			lines = append(lines, "• "+esc(row.Line(), maxDigestLine))
		}
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(strings.Join(lines, "\n")), nil, nil))
	}
	if b := linkButton(actionReview, bot.DigestLinkLabel, d.URL); b != nil {
		b.Style = slack.StylePrimary
		blocks = append(blocks, slack.NewActionBlock("", b))
	}
	return blocks
}

// helpLines are the commands as mrkdwn lines.
func helpLines(cmds []bot.Command) []string {
	lines := make([]string, 0, len(cmds))
	for _, c := range cmds {
		lines = append(lines, "`/mmd "+esc(c.Usage, 200)+"`  "+esc(c.Summary, 500))
	}
	return lines
}

// helpHowTo says how to ask in each place.
const helpHowTo = "In a channel, mention me: `@mmd who handles VPN issues?` In a direct message, just ask. `/mmd` answers only you, with a button to share."

// helpBlocks renders the help, and the greeting before it.
func helpBlocks(r bot.Reply, o renderOptions) []slack.Block {
	var blocks []slack.Block
	if r.Intent == bot.IntentWelcome {
		blocks = append(blocks, slack.NewHeaderBlock(plain(r.Text, maxHeaderText)))
	} else if r.Text != "" {
		blocks = append(blocks, sentence(r.Text, ""))
	}
	blocks = append(blocks, sentence(bot.HelpIntro, ""))
	secs, _ := textSections(helpLines(r.Commands), maxBlocks-8)
	blocks = append(blocks, secs...)
	blocks = append(blocks, slack.NewContextBlock("", mrkdwn(helpHowTo)))
	if actions := buttons(r.Actions, nil, o); len(actions) > 0 {
		blocks = append(blocks, slack.NewActionBlock("", actions...))
	}
	return appendSource(blocks, r.Source)
}

// textSections packs lines into as few sections as their text limit allows,
// at most max of them. When the lines do not fit, the last section ends with
// "…and N more." It returns the sections and how many lines they show.
func textSections(lines []string, max int) ([]slack.Block, int) {
	if max <= 0 || len(lines) == 0 {
		return nil, 0
	}
	var secs [][]string
	var cur []string
	size := func(ls []string) int {
		n := 0
		for _, l := range ls {
			n += utf8.RuneCountInString(l) + 1
		}
		return n
	}
	shown := 0
	for i, l := range lines {
		l = clipEscaped(l, maxSectionText-40)
		if len(cur) > 0 && size(cur)+utf8.RuneCountInString(l) > maxSectionText {
			if len(secs) == max-1 {
				// No room for another section: end this one with a note.
				for len(cur) > 0 && size(cur)+40 > maxSectionText {
					cur = cur[:len(cur)-1]
					i--
				}
				shown = i
				cur = append(cur, fmt.Sprintf("…and %d more.", len(lines)-i))
				secs = append(secs, cur)
				return sectionsOf(secs), shown
			}
			secs = append(secs, cur)
			cur = nil
		}
		cur = append(cur, l)
	}
	secs = append(secs, cur)
	return sectionsOf(secs), len(lines)
}

func sectionsOf(secs [][]string) []slack.Block {
	blocks := make([]slack.Block, 0, len(secs))
	for _, s := range secs {
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(strings.Join(s, "\n")), nil, nil))
	}
	return blocks
}

// clipEscaped cuts already escaped mrkdwn to n characters without cutting an
// escape sequence or a link in half.
func clipEscaped(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	out := string([]rune(s)[:n-1])
	if i := strings.LastIndexByte(out, '&'); i >= 0 && !strings.Contains(out[i:], ";") {
		out = out[:i]
	}
	if i := strings.LastIndexByte(out, '<'); i >= 0 && !strings.Contains(out[i:], ">") {
		out = out[:i]
	}
	return out + "…"
}

// summaryOf is the first sentence of an entry's description, for tables.
func summaryOf(e *knowledge.Entry, n int) string {
	return esc(bot.FirstSentence(e), n)
}

// entryRow is one entry of a table: its title and first sentence, with a
// "Details" button that shows the whole answer.
func entryRow(e *knowledge.Entry, i int) slack.Block {
	text := "*" + esc(e.Title, 300) + "*"
	if s := summaryOf(e, 400); s != "" {
		text += "\n" + s
	}
	details := actionButton(bot.Show(e.ID, e.Title, ""), i)
	details.ActionID, details.Text = fmt.Sprintf("%s_%d", actionDetails, i), plain(bot.DetailsLabel, maxButtonText)
	acc := slack.NewAccessory(details)
	return slack.NewSectionBlock(mrkdwn(text), nil, acc)
}

// groupHeader is the header of one owner's entries in a table.
func groupHeader(o knowledge.Owner, continued bool) slack.Block {
	return slack.NewHeaderBlock(plain(ownerEmoji(o)+" "+bot.GroupHeading(o, continued), maxHeaderText))
}

// maxMessages bounds the messages of one table: a response_url takes at
// most five, and a longer run would flood a thread.
const maxMessages = 5

// tableRow is one block of a table's body, and the group it belongs to.
type tableRow struct {
	group  int
	header bool
	block  slack.Block
}

// detailedRows are a table's body with one row per entry and its "Details"
// button.
func detailedRows(groups []bot.Group) []tableRow {
	var rows []tableRow
	n := 0
	for gi, g := range groups {
		rows = append(rows, tableRow{gi, true, groupHeader(g.Owner, false)})
		for _, e := range g.Entries {
			rows = append(rows, tableRow{gi, false, entryRow(e, n)})
			n++
		}
	}
	return rows
}

// compactRows are a table's body with entries as linked lines, many to a
// section, for knowledge too large for a row each.
func compactRows(groups []bot.Group, src knowledge.Page) []tableRow {
	var rows []tableRow
	for gi, g := range groups {
		rows = append(rows, tableRow{gi, true, groupHeader(g.Owner, false)})
		lines := make([]string, 0, len(g.Entries))
		for _, e := range g.Entries {
			lines = append(lines, "• "+link(bot.EntryURL(e, src), e.Title, 300)+"  `"+esc(e.ID, 200)+"`")
		}
		secs, _ := textSections(lines, len(lines))
		for _, s := range secs {
			rows = append(rows, tableRow{gi, false, s})
		}
	}
	return rows
}

// paginate lays rows out on pages of at most size blocks, the first page
// starting with first (bot.Paginate: a header never ends a page, and a page
// that starts inside a group repeats its header, "(continued)").
func paginate(first slack.Block, rows []tableRow, groups []bot.Group, size int) [][]slack.Block {
	all := append([]tableRow{{group: -1, block: first}}, rows...)
	pages := bot.Paginate(all, size,
		func(tableRow) int { return 1 },
		func(r tableRow) bool { return r.header },
		func(r tableRow) tableRow { return tableRow{r.group, true, groupHeader(groups[r.group].Owner, true)} })
	out := make([][]slack.Block, len(pages))
	for i, p := range pages {
		for _, r := range p {
			out[i] = append(out[i], r.block)
		}
	}
	return out
}

// tableMessages renders a table: a header per owner and one row per entry
// with a "Details" button, split over as many messages as the block limit
// needs. Knowledge too large for maxMessages of those is listed compactly,
// and knowledge too large even for that is cut with a note. The last
// message cites the source and, when ephemeral, offers to share.
func tableMessages(r bot.Reply, o renderOptions) []message {
	const footer = 2 // source context, share actions
	title := slack.NewHeaderBlock(plain(r.Title(), maxHeaderText))
	pages := paginate(title, detailedRows(r.Groups), r.Groups, maxBlocks-footer)
	if len(pages) > maxMessages {
		pages = paginate(title, compactRows(r.Groups, r.Source), r.Groups, maxBlocks-footer)
	}
	if len(pages) > maxMessages {
		pages = pages[:maxMessages]
		last := pages[maxMessages-1]
		if len(last) >= maxBlocks-footer {
			last = last[:maxBlocks-footer-1]
		}
		total := 0
		for _, g := range r.Groups {
			total += len(g.Entries)
		}
		note := fmt.Sprintf("The table has %d entries, too many to show here whole: ask me about one by name.", total)
		pages[maxMessages-1] = append(last, slack.NewContextBlock("", mrkdwn(note)))
	}
	page := pages[len(pages)-1]
	if len(r.Groups) == 0 {
		page = append(page, sentence(r.Text, "No entries."))
	}
	page = appendSource(page, r.Source)
	if o.surface == surfaceEphemeral {
		page = append(page, slack.NewActionBlock("", shareButton(o)))
	}
	pages[len(pages)-1] = page

	summary := notification(r)
	msgs := make([]message, len(pages))
	for i, p := range pages {
		msgs[i] = message{Text: bot.Numbered(summary, i, len(pages)), Blocks: p}
	}
	return msgs
}

// homeView renders the App Home tab from the bot's welcome: the greeting
// and the help, then the whole table grouped by owner. Within the view's
// block limit each entry gets a "Details" button; a knowledge base too large
// for that is listed compactly, and one too large even for that ends with a
// pointer to /mmd table.
func homeView(r bot.Reply) slack.HomeTabViewRequest {
	help := []slack.Block{
		slack.NewHeaderBlock(plain(r.Text, maxHeaderText)),
		sentence(bot.HelpIntro, ""),
	}
	secs, _ := textSections(helpLines(r.Commands), 4)
	help = append(help, secs...)
	help = append(help, slack.NewContextBlock("", mrkdwn(helpHowTo)), slack.NewDividerBlock())

	var table []slack.Block
	n := 0
	for _, g := range r.Groups {
		table = append(table, groupHeader(g.Owner, false))
		for _, e := range g.Entries {
			table = append(table, entryRow(e, n))
			n++
		}
	}
	room := maxHomeBlocks - len(help) - 1 // the source
	if len(table) > room {
		table = compactTable(r.Groups, r.Source, room)
	}
	blocks := append(help, table...)
	blocks = appendSource(blocks, r.Source)
	return slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: blocks}, CallbackID: "mmd_home"}
}

// compactTable lists entries as linked lines under a header per owner, in
// at most room blocks.
func compactTable(groups []bot.Group, src knowledge.Page, room int) []slack.Block {
	var blocks []slack.Block
	total := 0
	for _, g := range groups {
		total += len(g.Entries)
	}
	shown := 0
	for _, g := range groups {
		if len(blocks)+2 > room-1 {
			break
		}
		blocks = append(blocks, groupHeader(g.Owner, false))
		lines := make([]string, 0, len(g.Entries))
		for _, e := range g.Entries {
			lines = append(lines, "• "+link(bot.EntryURL(e, src), e.Title, 300)+"  `"+esc(e.ID, 200)+"`")
		}
		secs, n := textSections(lines, room-1-len(blocks))
		blocks = append(blocks, secs...)
		shown += n
	}
	if shown < total {
		blocks = append(blocks, slack.NewContextBlock("", mrkdwn(fmt.Sprintf("Not every entry fits here: type `/mmd table` to see all %d.", total))))
	}
	return blocks
}
