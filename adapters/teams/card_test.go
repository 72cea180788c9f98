package teams

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	goldenfile "github.com/mmdbot/mmdbot/internal/golden"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mmdbot/mmdbot/bot"
	"github.com/mmdbot/mmdbot/internal/replytest"
	"github.com/mmdbot/mmdbot/internal/skips"
	"github.com/mmdbot/mmdbot/knowledge"
)

func marshalIndent(t testing.TB, v any) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// golden compares got with testdata/cards/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	goldenfile.Check(t, filepath.Join("testdata", "cards", name), got)
}

// testBot answers with the lexical matcher alone: each kind of card comes
// from a question whose verdict does not move with the model's examples.
func testBot() *bot.Bot { return bot.New(knowledge.Default().Train(nil), bot.Options{}) }

func ask(t *testing.T, b *bot.Bot, q string) bot.Reply {
	t.Helper()
	r, err := b.Handle(context.Background(), bot.Message{Text: q, Via: bot.ViaDirect, Adapter: "teams"})
	if err != nil && r.Kind != bot.KindError {
		t.Fatal(err)
	}
	return r
}

// TestCardGolden renders every kind of reply the bot gives, compares the
// cards with the golden files (which TestCardsLoadInAdaptiveCardsParser
// checks too), and checks that they say what every renderer says: the
// bot's sentences and its actions' labels.
func TestCardGolden(t *testing.T) {
	for _, c := range append(replytest.Cases(t), replytest.Digests(t)...) {
		t.Run(c.Name, func(t *testing.T) {
			cards := RenderCards(c.Reply)
			for i, card := range cards {
				if n := jsonSize(card); n > cardBudget {
					t.Errorf("card of %d bytes, over %d", n, cardBudget)
				}
				name := c.Name + ".json"
				if len(cards) > 1 {
					name = fmt.Sprintf("%s-%d.json", c.Name, i+1)
				}
				golden(t, name, marshalIndent(t, card))
			}
			text := mdUnescape.Replace(cardText(t, cards))
			replytest.Check(t, c.Name, text, replytest.Says(c.Reply))
			replytest.Check(t, c.Name, text, replytest.Labels(c.Reply))
			replytest.Check(t, c.Name, text, []string{c.Reply.Hint})
		})
	}
	b := testBot()
	t.Run("activity", func(t *testing.T) {
		in := &incoming{}
		in.ID, in.ServiceURL = "1700000000001", "https://smba.trafficmanager.net/emea/"
		in.From.ID, in.From.Name = "29:user-1", "Ada"
		in.Recipient.ID, in.Recipient.Name = botID, "mmd"
		in.Conversation.ID, in.Conversation.ConversationType, in.Conversation.TenantID = "a:personal-chat-1", "personal", "tenant-1"
		r := ask(t, b, "who does printing")
		golden(t, "activity-answer.json", marshalIndent(t, in.cardMessage(RenderCards(r)[0], r.Summary())))
	})
	t.Run("compose-query", func(t *testing.T) {
		a, err := New(Config{Dev: true}, b)
		if err != nil {
			t.Fatal(err)
		}
		var q searchQuery
		json.Unmarshal([]byte(`{"commandId":"searchQuery","parameters":[{"name":"searchQuery","value":"printer"}],"queryOptions":{"skip":0,"count":3}}`), &q)
		golden(t, "compose-query.json", marshalIndent(t, a.search(t.Context(), &incoming{}, q)))
	})
}

// mdUnescape undoes mdText, for checking what a card says.
var mdUnescape = strings.NewReplacer(`\\`, `\`, `\*`, "*", `\_`, "_", "\\`", "`", `\[`, "[", `\]`, "]")

// cardText is every text of some cards a person reads (text blocks, facts,
// button titles), for checking what they say.
func cardText(t *testing.T, cards []Card) string {
	return replytest.JSONText(t, cards, "text", "title", "value")
}

// bigTable is a table of n made-up entries with long titles.
func bigTable(n int) bot.Reply {
	r := bot.Reply{Kind: bot.KindTable, Intent: bot.IntentTable, Source: knowledge.Default().Page()}
	for _, o := range knowledge.Owners {
		g := bot.Group{Owner: o}
		for i := range n / 3 {
			title := fmt.Sprintf("Responsibility %d of %s: %s", i, o, strings.Repeat("management and monitoring of things ", 3))
			g.Entries = append(g.Entries, &knowledge.Entry{ID: fmt.Sprintf("%s/%s-%d", o, "responsibility", i), Title: title, Owner: o})
		}
		r.Groups = append(r.Groups, g)
	}
	return r
}

// countHolding counts the messages that hold s.
func countHolding(messages [][]byte, s string) int {
	n := 0
	for _, m := range messages {
		if bytes.Contains(m, []byte(s)) {
			n++
		}
	}
	return n
}

func TestTableSplitUnderMessageLimit(t *testing.T) {
	for _, n := range []int{3, 30, 300, 900} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			r := bigTable(n)
			in := &incoming{}
			in.ID, in.ServiceURL, in.Conversation.ID = "1", "https://smba.trafficmanager.net/emea/", "19:x@thread.tacv2"
			cards := RenderCards(r)
			var messages [][]byte
			for i, c := range cards {
				raw, _ := json.Marshal(in.cardMessage(c, r.Summary()))
				if len(raw) > MaxMessage {
					t.Errorf("card %d of %d: message of %d bytes, over %d", i+1, len(cards), len(raw), MaxMessage)
				}
				messages = append(messages, raw)
			}
			for _, g := range r.Groups {
				for _, e := range g.Entries {
					if n := countHolding(messages, `"id":"`+e.ID+`"`); n != 1 {
						t.Errorf("%s is on %d cards, want 1", e.ID, n)
					}
				}
			}
			if n >= 300 && len(cards) < 2 {
				t.Errorf("%d entries on %d card", n, len(cards))
			}
			if len(cards) > 1 && !strings.Contains(cards[1].FallbackText, "(2 of") {
				t.Errorf("second card's fallback: %.80q", cards[1].FallbackText)
			}
		})
	}
}

// TestMain runs the tests and then names those skipped for want of the
// Adaptive Cards parser, where go test ./... shows it.
func TestMain(m *testing.M) { skips.Main(m) }

// TestCardsLoadInAdaptiveCardsParser loads every golden card in the official
// Adaptive Cards parser (npm adaptivecards), which must report no error and
// no warning. It needs `npm ci` in testdata/cardcheck; without it the test is
// skipped, unless MMD_REQUIRE_CARDCHECK=1.
func TestCardsLoadInAdaptiveCardsParser(t *testing.T) {
	dir := filepath.Join("testdata", "cardcheck")
	node, err := exec.LookPath("node")
	_, modErr := os.Stat(filepath.Join(dir, "node_modules", "adaptivecards", "package.json"))
	if err != nil || modErr != nil {
		msg := "the Adaptive Cards parser is not installed: run `npm ci` in adapters/teams/testdata/cardcheck (and have node on PATH)"
		if os.Getenv("MMD_REQUIRE_CARDCHECK") == "1" {
			t.Fatal(msg)
		}
		skips.Skip(t, msg)
	}
	// A large table too, to check the split cards.
	tmp := t.TempDir()
	for i, c := range RenderCards(bigTable(600)) {
		os.WriteFile(filepath.Join(tmp, fmt.Sprintf("big-table-%d.json", i+1)), marshalIndent(t, c), 0o644)
	}
	cmd := exec.Command(node, "check.js", filepath.Join("..", "cards"), tmp)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the Adaptive Cards parser refuses cards: %v\n%s", err, out)
	}
	t.Logf("%s", bytes.TrimSpace(out))
}

// TestCardLinksOnlyToSafeURLs checks that an address from the knowledge base
// becomes a Markdown link only when it is http(s) or mailto:, and a button
// only when it is http(s); anything else is shown as plain text.
func TestCardLinksOnlyToSafeURLs(t *testing.T) {
	tests := []struct {
		url              string
		markdown, button bool
	}{
		{"https://support.example.com/ticket", true, true},
		{"http://intranet.example.com/help", true, true},
		{"HTTPS://support.example.com/", true, true},
		{"mailto:helpdesk@example.com", true, false},
		{"javascript:alert(document.cookie)", false, false},
		{"JavaScript:alert(1)", false, false},
		{" javascript:alert(1)", false, false},
		{"data:text/html,<script>alert(1)</script>", false, false},
		{"vbscript:msgbox(1)", false, false},
		{"file:///etc/passwd", false, false},
		{"/relative/path", false, false},
		{"//evil.example/x", false, false},
		{"support.example.com", false, false},
		{"https:///no-host", false, false},
		{"https://support.example.com/a b", false, false},
		{"https://support.example.com/x)[y](javascript:alert(1)", true, true},
		{"mailto:", false, false},
	}
	b := testBot()
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			r := b.Show("customer/printing")
			e := *r.Answer.Entry
			e.Contact = &knowledge.Contact{Text: "the service desk", URL: tt.url}
			r.Answer.Entry = &e
			r.Answer.Contact, r.Answer.ContactIsDefault = e.Contact, false
			r.Answer.URL = tt.url
			r.Source = knowledge.Page{Title: "Roles", URL: tt.url}
			cards := RenderCards(r)
			if len(cards) != 1 {
				t.Fatalf("%d cards", len(cards))
			}
			texts, buttons := cardParts(cards[0])
			for _, prefix := range []string{"**Contact:** ", "Source: "} {
				checkLinkLine(t, texts, prefix, tt.markdown)
			}
			if tt.button != (len(buttons) == 1) {
				t.Errorf("buttons %+v, want one: %v", buttons, tt.button)
			}
			for _, o := range buttons {
				if !strings.HasPrefix(strings.ToLower(o.URL), "http") {
					t.Errorf("button to %q", o.URL)
				}
			}
		})
	}
}

// cardParts returns the texts of a card's text blocks and its buttons
// that open an address.
func cardParts(c Card) (texts []string, buttons []openURL) {
	for _, el := range c.Body {
		if tb, ok := el.(textBlock); ok {
			texts = append(texts, tb.Text)
		}
	}
	for _, a := range c.Actions {
		if o, ok := a.(openURL); ok {
			buttons = append(buttons, o)
		}
	}
	return texts, buttons
}

// checkLinkLine checks the text that starts with prefix: a Markdown link
// when link is set, plain text otherwise, and a link's address one http(s)
// or mailto: address that cannot close the link early and start another.
func checkLinkLine(t *testing.T, texts []string, prefix string, link bool) {
	t.Helper()
	var line string
	for _, s := range texts {
		if strings.HasPrefix(s, prefix) {
			line = s
		}
	}
	switch {
	case line == "":
		t.Errorf("no %q line in %q", prefix, texts)
	case link && !strings.Contains(line, "]("):
		t.Errorf("%q: want a link", line)
	case !link && strings.Contains(line, "]("):
		t.Errorf("%q: want plain text", line)
	}
	i := strings.Index(line, "](")
	if i < 0 {
		return
	}
	dest := strings.ToLower(line[i+2:])
	if strings.Count(dest, ")") != 1 || strings.ContainsAny(dest, "([] ") ||
		!strings.HasPrefix(dest, "http:") && !strings.HasPrefix(dest, "https:") && !strings.HasPrefix(dest, "mailto:") {
		t.Errorf("%q: the address is not one http(s) or mailto: link", line)
	}
}

func TestLinkTextCannotMakeALink(t *testing.T) {
	for _, tt := range []struct{ text, url, want string }{
		{"Service desk", "https://sd.example/", "[Service desk](https://sd.example/)"},
		{"see [here](https://evil.example/)", "", `see \[here\](https://evil.example/)`},
		{"a]b", "https://sd.example/", `[a\]b](https://sd.example/)`},
	} {
		if got := mdLink(tt.text, tt.url); got != tt.want {
			t.Errorf("mdLink(%q, %q) = %q, want %q", tt.text, tt.url, got, tt.want)
		}
	}
}

// TestDigestCardEscapesQuestions: a question in the digest, whatever was
// typed, makes no link, no bold and no code in the admins' channel.
func TestDigestCardEscapesQuestions(t *testing.T) {
	for _, q := range []string{"[click](https://evil.example/)", "**urgent** `rm -rf` _now_", `\[x\](https://evil.example/)`} {
		card := RenderCards(bot.NewDigest(bot.Digest{Unanswered: 1, Top: []bot.DigestRow{{Question: q, Count: 1}}}))[0]
		texts, _ := cardParts(card)
		row := texts[len(texts)-1]
		if got := mdUnescape.Replace(row); !strings.Contains(got, q) {
			t.Errorf("%q: the row says %q", q, got)
		}
		for i := 0; i < len(row); i++ {
			switch row[i] {
			case '\\':
				i++ // an escaped character
			case '[', ']', '*', '_', '`':
				t.Errorf("%q: %q is not escaped in %q", q, row[i], row)
			}
		}
	}
}
