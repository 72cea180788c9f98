package slack

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/mmdbot/mmdbot/bot"
	goldenfile "github.com/mmdbot/mmdbot/internal/golden"
	"github.com/mmdbot/mmdbot/internal/jsonout"
	"github.com/mmdbot/mmdbot/internal/replytest"
	"github.com/mmdbot/mmdbot/knowledge"
)

// testBot answers from the embedded knowledge.
func testBot(t testing.TB) *bot.Bot {
	t.Helper()
	return bot.New(knowledge.Default(), bot.Options{})
}

// asked turns the answer for one entry into the answer to a question.
func asked(b *bot.Bot, id, question string) bot.Reply {
	r := b.Show(id)
	r.Intent, r.Question = bot.IntentAsk, question
	return r
}

// golden compares v, as indented JSON, with testdata/name.json.
func golden(t *testing.T, name string, v any) {
	t.Helper()
	// Decoded and encoded again, so that the file reads "<" rather than
	// the "\u003c" of slack-go's own encoding.
	var plain any
	if err := json.Unmarshal(mustJSON(t, v), &plain); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(plain); err != nil {
		t.Fatal(err)
	}
	goldenfile.Check(t, filepath.Join("testdata", name+".json"), buf.Bytes())
}

// TestRenderGolden renders every kind of reply the bot gives, compares the
// messages with the golden files, and checks that they say what every
// renderer says: the bot's sentences and its actions' labels.
func TestRenderGolden(t *testing.T) {
	for _, c := range append(replytest.Cases(t), replytest.Digests(t)...) {
		t.Run(c.Name, func(t *testing.T) {
			msgs := render(c.Reply, renderOptions{})
			checkLimits(t, c.Name, msgs, maxBlocks)
			golden(t, c.Name, msgs)
			text := allText(t, msgs)
			replytest.Check(t, c.Name, text, replytest.Says(c.Reply))
			replytest.Check(t, c.Name, text, replytest.Labels(c.Reply))
			replytest.Check(t, c.Name, text, []string{c.Reply.Hint})
		})
	}
	// What only Slack shows: an answer to /mmd only its asker sees, with
	// "Share in channel", and the App Home tab from the welcome.
	b := testBot(t)
	vpn := asked(b, "customer/network-infrastructure-including-vpn", "who handles VPN issues? <!here> & <@U0123>")
	t.Run("answer-ephemeral", func(t *testing.T) {
		msgs := render(vpn, renderOptions{surface: surfaceEphemeral, command: vpn.Question, question: vpn.Question})
		checkLimits(t, "answer-ephemeral", msgs, maxBlocks)
		golden(t, "answer-ephemeral", msgs)
		replytest.Check(t, "answer-ephemeral", allText(t, msgs), []string{bot.ShareLabel})
	})
	t.Run("home", func(t *testing.T) {
		r := b.Welcome(t.Context(), bot.Message{})
		v := homeView(r)
		checkLimits(t, "home", []message{{Text: "home", Blocks: v.Blocks.BlockSet}}, maxHomeBlocks)
		golden(t, "home", v)
		replytest.Check(t, "home", allText(t, v), replytest.Says(r))
	})
}

// allText is every text of a rendering (block texts, fields, button
// labels, notification text) with Slack's escapes undone, for checking
// what it says.
func allText(t *testing.T, v any) string {
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(replytest.JSONText(t, v, "text"))
}

// TestEscaping: whatever people type, an echo of it can ping no one.
func TestEscaping(t *testing.T) {
	b := testBot(t)
	for _, q := range []string{
		"<!channel> who handles VPN?",
		"<!here|here> printing & <@U0123ABC> <#C0123|general> <!subteam^S123> <https://evil.example|click>",
		strings.Repeat("<!everyone>", 400),
		"<mailto:boss@evil.example|mail me> and <http://evil.example/x|this> about printing",
	} {
		for _, r := range []bot.Reply{
			asked(b, "customer/printing", q),
			{Kind: bot.KindUnknown, Intent: bot.IntentAsk, Question: q, Text: "There is no entry " + q},
			{Kind: bot.KindSuggest, Intent: bot.IntentAsk, Question: q, Text: q, Alternatives: []bot.Choice{{ID: "customer/printing", Title: q, Owner: knowledge.OwnerCustomer}}},
			{Kind: bot.KindHelp, Intent: bot.IntentHelp, Text: q, Commands: bot.Commands()},
			bot.NewDigest(bot.Digest{Unanswered: 9, Top: []bot.DigestRow{{Question: q, Count: 5}, {Question: "who fixes printers?", Count: 2, Entry: q}}}),
		} {
			msgs := render(r, renderOptions{surface: surfaceEphemeral, command: q, question: q})
			checkLimits(t, "escaping", msgs, maxBlocks)
			for _, m := range msgs {
				for _, s := range append(texts(t, m.Blocks), m.Text) {
					for _, bad := range []string{"<!", "<@", "<#", "<https://evil", "<http://evil", "<mailto:"} {
						if strings.Contains(s, bad) {
							t.Errorf("%s reply to %.40q shows %q unescaped: %.80q", r.Kind, q, bad, s)
						}
					}
				}
			}
		}
	}
}

// texts returns every mrkdwn text of some blocks: where Slack would turn
// "<!here>" into a ping (plain_text and button values it never does).
func texts(t *testing.T, blocks []slack.Block) []string {
	return mrkdwnTexts(t, mustJSON(t, blocks))
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := jsonout.Marshal(v, false)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestLimitsBuiltIn renders everything the built-in knowledge can show, in
// every surface, and checks every block against Block Kit's limits.
func TestLimitsBuiltIn(t *testing.T) {
	b := testBot(t)
	var replies []bot.Reply
	for _, e := range b.Knowledge().Entries() {
		replies = append(replies, b.Show(e.ID), asked(b, e.ID, "who does "+e.Title+"?"))
	}
	for _, text := range []string{"table", "list microsoft", "list customer", "list shared", "help", "hello", "thanks", "show nothing/here", "list everyone", "who handles VPN issues?", "monitoring", "xyzzy plugh"} {
		r, _ := b.Handle(t.Context(), bot.Message{Text: text, Via: bot.ViaCommand})
		replies = append(replies, r)
	}
	for _, r := range replies {
		for _, s := range []surface{surfaceVisible, surfaceEphemeral} {
			checkLimits(t, string(r.Kind)+" "+r.Question, render(r, renderOptions{surface: s, command: r.Question, question: r.Question}), maxBlocks)
		}
	}
	checkLimits(t, "home", []message{{Text: "home", Blocks: homeView(b.Welcome(t.Context(), bot.Message{})).Blocks.BlockSet}}, maxHomeBlocks)
}

// bigTable is a knowledge base far larger than Slack's limits, with titles,
// descriptions, splits and ids of absurd length.
func bigTable(n int) bot.Reply {
	long := strings.Repeat("Very long words & <markup> ", 200)
	r := bot.Reply{Kind: bot.KindTable, Intent: bot.IntentTable, Source: knowledge.Page{Title: long, URL: "https://example.com/" + strings.Repeat("x", 4000), Date: "2024-01-01"}}
	for _, o := range knowledge.Owners {
		g := bot.Group{Owner: o}
		for i := range n {
			e := &knowledge.Entry{
				ID:     fmt.Sprintf("%s/entry-%d-%s", o, i, strings.Repeat("y", 300)),
				Title:  fmt.Sprintf("Entry %d %s", i, long),
				Owner:  o,
				Blocks: []knowledge.Block{{Text: long, Items: []string{long, long}}},
				Links:  []knowledge.Link{{Text: long, URL: "https://learn.microsoft.com/" + strings.Repeat("z", 100)}},
			}
			if o == knowledge.OwnerShared {
				e.Split = &knowledge.Split{Microsoft: long, Customer: long}
			}
			e.Contact = &knowledge.Contact{Text: long, URL: "https://example.com/contact"}
			g.Entries = append(g.Entries, e)
		}
		r.Groups = append(r.Groups, g)
	}
	return r
}

func TestLimitsHuge(t *testing.T) {
	r := bigTable(120)
	msgs := render(r, renderOptions{surface: surfaceEphemeral, command: "table", question: "table"})
	checkLimits(t, "huge table", msgs, maxBlocks)
	if n := entriesShown(msgs); n != 360 {
		t.Errorf("the table shows %d entries, want all 360", n)
	}
	if len(msgs) > maxMessages {
		t.Errorf("360 entries in %d messages, more than a response_url takes", len(msgs))
	}
	// Far too many even for the compact list: cut, with a note.
	cut := render(bigTable(3000), renderOptions{surface: surfaceVisible})
	checkLimits(t, "absurd table", cut, maxBlocks)
	if len(cut) != maxMessages || !strings.Contains(string(mustJSON(t, cut[len(cut)-1])), "too many to show here whole") {
		t.Errorf("9000 entries: %d messages, without the note", len(cut))
	}
	home := r
	home.Kind, home.Intent, home.Text, home.Commands = bot.KindHelp, bot.IntentWelcome, bot.Greeting, bot.Commands()
	checkLimits(t, "huge home", []message{{Text: "home", Blocks: homeView(home).Blocks.BlockSet}}, maxHomeBlocks)
	for _, g := range r.Groups {
		e := g.Entries[0]
		a := bot.Reply{Kind: bot.KindAnswer, Intent: bot.IntentAsk, Question: strings.Repeat("é<", 1000), Answer: &bot.Answer{Entry: e, URL: e.URL()}, Also: &bot.Answer{Entry: e}, Source: r.Source}
		checkLimits(t, "huge answer", render(a, renderOptions{surface: surfaceEphemeral, command: a.Question, question: a.Question}), maxBlocks)
	}
	many := bot.Reply{Kind: bot.KindHelp, Commands: make([]bot.Command, 500)}
	for i := range many.Commands {
		many.Commands[i] = bot.Command{Usage: strings.Repeat("u", 300), Summary: strings.Repeat("s", 600)}
	}
	checkLimits(t, "huge help", render(many, renderOptions{surface: surfaceEphemeral}), maxBlocks)
}

// entriesShown counts the entries of a rendered table: rows with a
// "Details" button, and lines of the compact list.
func entriesShown(msgs []message) int {
	n := 0
	for _, m := range msgs {
		for _, bl := range m.Blocks {
			s, ok := bl.(*slack.SectionBlock)
			switch {
			case !ok:
			case s.Accessory != nil:
				n++
			case s.Text != nil:
				n += strings.Count(s.Text.Text, "• <")
			}
		}
	}
	return n
}

// checkLimits fails the test for any block beyond Block Kit's limits.
func checkLimits(t *testing.T, name string, msgs []message, blocks int) {
	t.Helper()
	for i, m := range msgs {
		where := fmt.Sprintf("%s, message %d", name, i+1)
		if n := utf8.RuneCountInString(m.Text); n == 0 || n > maxText {
			t.Errorf("%s: notification text of %d characters", where, n)
		}
		if len(m.Blocks) == 0 || len(m.Blocks) > blocks {
			t.Errorf("%s: %d blocks (limit %d)", where, len(m.Blocks), blocks)
		}
		var raw []map[string]any
		if err := json.Unmarshal(mustJSON(t, m.Blocks), &raw); err != nil {
			t.Fatal(err)
		}
		ids := map[string]bool{}
		for j, bl := range raw {
			checkBlock(t, fmt.Sprintf("%s, block %d (%v)", where, j+1, bl["type"]), bl, ids)
		}
	}
}

func textOf(v any) (string, string) {
	m, _ := v.(map[string]any)
	s, _ := m["text"].(string)
	typ, _ := m["type"].(string)
	return s, typ
}

func checkText(t *testing.T, where string, v any, limit int) {
	t.Helper()
	s, typ := textOf(v)
	if n := utf8.RuneCountInString(s); n == 0 || n > limit {
		t.Errorf("%s: %s text of %d characters (limit %d)", where, typ, n, limit)
	}
}

func checkElement(t *testing.T, where string, el map[string]any, ids map[string]bool) {
	t.Helper()
	if el["type"] != "button" {
		t.Errorf("%s: unexpected element %v", where, el["type"])
		return
	}
	checkText(t, where+" button", el["text"], maxButtonText)
	id, _ := el["action_id"].(string)
	if id == "" || len(id) > 255 || ids[id] {
		t.Errorf("%s: action_id %q empty, too long or used twice", where, id)
	}
	ids[id] = true
	if v, _ := el["value"].(string); utf8.RuneCountInString(v) > maxValue {
		t.Errorf("%s: value of %d characters", where, utf8.RuneCountInString(v))
	}
	if u, ok := el["url"].(string); ok && (len(u) > maxButtonURL || !strings.HasPrefix(u, "http")) {
		t.Errorf("%s: url of %d characters", where, len(u))
	}
}

func checkBlock(t *testing.T, where string, bl map[string]any, ids map[string]bool) {
	t.Helper()
	switch bl["type"] {
	case "header":
		checkText(t, where, bl["text"], maxHeaderText)
		if _, typ := textOf(bl["text"]); typ != "plain_text" {
			t.Errorf("%s: header text is %s", where, typ)
		}
	case "section":
		fields, _ := bl["fields"].([]any)
		if bl["text"] == nil && len(fields) == 0 {
			t.Errorf("%s: section with neither text nor fields", where)
		}
		if bl["text"] != nil {
			checkText(t, where, bl["text"], maxSectionText)
		}
		if len(fields) > maxFields {
			t.Errorf("%s: %d fields", where, len(fields))
		}
		for _, f := range fields {
			checkText(t, where+" field", f, maxFieldText)
		}
		if acc, ok := bl["accessory"].(map[string]any); ok {
			checkElement(t, where, acc, ids)
		}
	case "actions":
		els, _ := bl["elements"].([]any)
		if len(els) == 0 || len(els) > maxActionElts {
			t.Errorf("%s: %d elements", where, len(els))
		}
		for _, el := range els {
			m, _ := el.(map[string]any)
			checkElement(t, where, m, ids)
		}
	case "context":
		els, _ := bl["elements"].([]any)
		if len(els) == 0 || len(els) > maxContextElts {
			t.Errorf("%s: %d elements", where, len(els))
		}
		for _, el := range els {
			checkText(t, where, el, maxSectionText)
		}
	case "divider":
	default:
		t.Errorf("%s: unexpected block type", where)
	}
}

func TestEsc(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"plain", 10, "plain"},
		{"a & b", 10, "a &amp; b"},
		{"<!channel>", 100, "&lt;!channel&gt;"},
		{"abcdef", 4, "abc…"},
		{"ab<cd", 5, "ab…"},     // "&lt;" does not fit whole
		{"ab<cd", 7, "ab&lt;…"}, // it does, with room for "…"
		{"ab<", 6, "ab&lt;"},    // the last piece needs no "…"
		{"héllo wörld", 6, "héllo…"},
		{"", 5, ""},
		{"x", 0, ""},
	}
	for _, tt := range tests {
		if got := esc(tt.in, tt.n); got != tt.want {
			t.Errorf("esc(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
		if n := utf8.RuneCountInString(esc(tt.in, tt.n)); n > tt.n {
			t.Errorf("esc(%q, %d) has %d characters", tt.in, tt.n, n)
		}
	}
}

func TestClipEscaped(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"abc&amp;def", 6, "abc…"},
		{"• <https://x.example/a|Title> more", 12, "• …"},
		{"0123456789", 5, "0123…"},
	}
	for _, tt := range tests {
		if got := clipEscaped(tt.in, tt.n); got != tt.want {
			t.Errorf("clipEscaped(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

func TestActionValue(t *testing.T) {
	tests := []actionValue{
		{Q: "who handles VPN issues?", ID: "customer/network-infrastructure-including-vpn"},
		{Q: strings.Repeat("é\"<\n", 2000), ID: "customer/printing"},
		{C: strings.Repeat("table ", 1000), Q: strings.Repeat("q", 3000)},
		{},
	}
	for _, v := range tests {
		s := v.encode()
		if utf8.RuneCountInString(s) > maxValue || len(s) > maxValue {
			t.Errorf("encoded value of %d bytes", len(s))
		}
		got := decodeValue(s)
		if got.ID != v.ID || !strings.HasPrefix(v.Q, got.Q) || !strings.HasPrefix(v.C, got.C) || !utf8.ValidString(got.Q) {
			t.Errorf("decode(encode(%.30v)) = %.30v", v, got)
		}
	}
	if (decodeValue("not json") != actionValue{}) {
		t.Error("a foreign value decodes to something")
	}
}

func BenchmarkRenderTable(b *testing.B) {
	bt := testBot(b)
	r, _ := bt.Handle(b.Context(), bot.Message{Text: "table"})
	var size int
	for b.Loop() {
		msgs := render(r, renderOptions{surface: surfaceEphemeral, command: "table"})
		size = len(mustJSON(b, msgs))
	}
	b.ReportMetric(float64(size), "json-bytes")
}

func BenchmarkRenderAnswer(b *testing.B) {
	bt := testBot(b)
	r := asked(bt, "customer/apps", "who manages apps?")
	var size int
	for b.Loop() {
		size = len(mustJSON(b, render(r, renderOptions{surface: surfaceEphemeral, command: r.Question})))
	}
	b.ReportMetric(float64(size), "json-bytes")
}
