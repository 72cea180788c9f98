// Package replytest gives every renderer's tests the same replies to
// render, and what each of them must say: the bot's sentences and its
// actions' labels. A renderer that words a sentence its own way, or drops
// one, fails its golden test. It is imported by tests only.
package replytest

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mmdbot/mmdbot/bot"
	"github.com/mmdbot/mmdbot/knowledge"
)

// Case is one reply to render.
type Case struct {
	// Name names the golden file of each renderer.
	Name  string
	Reply bot.Reply
}

// lexical answers with the lexical matcher alone, so that each kind of reply
// comes from a question whose verdict does not move with the model's
// examples; learnt answers with the model, for the side of a shared entry.
var (
	lexical = sync.OnceValue(func() *bot.Bot { return bot.New(knowledge.Default().Train(nil), bot.Options{}) })
	learnt  = sync.OnceValue(func() *bot.Bot { return bot.New(knowledge.Default(), bot.Options{}) })
)

// Cases returns every kind of reply, as the bot gives them: answers (of one
// owner, of a shared entry, of both sides, of one side of a shared entry),
// "did you mean", "I don't know", an unknown id, help, a greeting, the
// welcome, the table, a listing, an error and the thanks for a vote.
func Cases(t testing.TB) []Case {
	t.Helper()
	ctx := context.Background()
	msg := func(text string) bot.Message {
		return bot.Message{Text: text, Via: bot.ViaDirect, Adapter: "test"}
	}
	ask := func(b *bot.Bot, name, text string, want bot.Kind) Case {
		r, _ := b.Handle(ctx, msg(text))
		if r.Kind != want {
			t.Fatalf("replytest: %q is now a %s reply, not %s: pick another question for %s", text, r.Kind, want, name)
		}
		return Case{name, r}
	}
	vote, _ := lexical().Act(ctx, msg(""), bot.Action{Kind: bot.ActVote, ID: "customer/printing", Question: "who fixes printers?", Up: true})
	cases := []Case{
		ask(lexical(), "answer", "@mmd who handles VPN issues?", bot.KindAnswer),
		ask(lexical(), "answer-no-own-page", "who fixes printers?", bot.KindAnswer),
		ask(lexical(), "answer-shared", "who packages our win32 apps for intune?", bot.KindAnswer),
		ask(lexical(), "answer-both-sides", "who handles user support?", bot.KindAnswer),
		ask(learnt(), "answer-side", "who packages our SAP installer for Intune?", bot.KindAnswer),
		ask(lexical(), "did-you-mean", "incidents on non-MMD devices", bot.KindSuggest),
		ask(lexical(), "dont-know", "who runs payroll?", bot.KindUnknown),
		ask(lexical(), "show-misspelt", "show customer/prnting", bot.KindSuggest),
		ask(lexical(), "show-unknown", "show nothing/0000", bot.KindUnknown),
		ask(lexical(), "help", "help", bot.KindHelp),
		ask(lexical(), "greeting", "hi", bot.KindHelp),
		{"welcome", lexical().Welcome(ctx, msg(""))},
		ask(lexical(), "table", "table", bot.KindTable),
		ask(lexical(), "list", "list shared", bot.KindTable),
		ask(lexical(), "error", "list everyone", bot.KindError),
		{"thanks", vote},
	}
	if r := cases[3].Reply; r.Also == nil {
		t.Fatalf("replytest: %q no longer names both sides", r.Question)
	}
	if r := cases[4].Reply; r.Answer.SideNote() == "" {
		t.Fatalf("replytest: %q no longer leads with one side", r.Question)
	}
	return cases
}

// Fresh returns answers whose knowledge has been checked against the
// published page: one found the same on the 5th of December 2026, one
// after the page changed. Their source line says so.
func Fresh(t testing.TB) []Case {
	t.Helper()
	checked := time.Date(2026, 12, 5, 9, 30, 0, 0, time.UTC)
	var cases []Case
	for _, c := range []struct {
		name string
		f    bot.Freshness
	}{
		{"answer-checked", bot.Freshness{Checked: checked}},
		{"answer-changed", bot.Freshness{Checked: checked, Changed: true, URL: knowledge.DefaultPageURL}},
	} {
		b := bot.New(knowledge.Default().Train(nil), bot.Options{Freshness: func() bot.Freshness { return c.f }})
		r, _ := b.Handle(context.Background(), bot.Message{Text: "who fixes printers?", Via: bot.ViaDirect, Adapter: "test"})
		if r.Kind != bot.KindAnswer || r.Source.Freshness == "" {
			t.Fatalf("replytest: %s: a %s reply with freshness %q", c.name, r.Kind, r.Source.Freshness)
		}
		cases = append(cases, Case{c.name, r})
	}
	return cases
}

// Digests returns the weekly digest to the admins' channel: one with
// questions not answered and answers voted 👎 (among them a question that
// tries to ping the channel and to make links and bold text), and one of
// a week when every question was answered, without the review page's
// address.
func Digests(t testing.TB) []Case {
	t.Helper()
	since := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	until := since.AddDate(0, 0, 7)
	return []Case{
		{"digest", bot.NewDigest(bot.Digest{
			Since: since, Until: until, Unanswered: 23, People: 11, Downvoted: 4,
			URL: "https://mmd.example.com/admin",
			Top: []bot.DigestRow{
				{Question: "who runs payroll?", Count: 7, People: 5},
				{Question: "<!channel> who *owns* [the VPN](https://evil.example/) & <@U0123>?", Count: 5, People: 3},
				{Question: "who fixes printers?", Count: 3, People: 3, Entry: "Printing"},
				{Question: "who approves BIOS updates", Count: 2, People: 1},
				{Question: "hardware refresh", Count: 1, People: 1},
			},
		})},
		{"digest-none", bot.NewDigest(bot.Digest{Since: since, Until: until})},
	}
}

// Says returns what a rendering of r must say, whatever its platform: the
// headline, title and side note of each answer, "both have a part", the
// reply's sentence, the owner all the choices have and the choices, the
// help's introduction and commands, the table's title, headings and
// entries. Hints ("type table…") are for
// chat; a page says them with its links.
func Says(r bot.Reply) []string {
	var out []string
	switch r.Kind {
	case bot.KindAnswer:
		if r.Also != nil {
			out = append(out, bot.BothSides)
		}
		for _, a := range []*bot.Answer{r.Answer, r.Also} {
			if a != nil {
				out = append(out, a.Headline(), a.Entry.Title)
				if n := a.SideNote(); n != "" {
					out = append(out, n)
				}
			}
		}
		if f := r.Source.Freshness; f != "" {
			out = append(out, f)
		}
	case bot.KindSuggest:
		if o, ok := r.CommonOwner(); ok {
			out = append(out, bot.AllOwnedBy(o))
		}
		out = append(out, r.Text)
		for _, c := range r.Alternatives {
			out = append(out, c.Title)
		}
	case bot.KindHelp:
		if r.Text != "" {
			out = append(out, r.Text)
		}
		out = append(out, bot.HelpIntro)
		for _, c := range r.Commands {
			out = append(out, c.Usage)
		}
	case bot.KindTable:
		out = append(out, r.Title())
		for _, g := range r.Groups {
			out = append(out, bot.GroupHeading(g.Owner, false))
			for _, e := range g.Entries {
				out = append(out, e.Title)
			}
		}
	case bot.KindDigest:
		out = append(out, bot.DigestTitle, r.Text, bot.DigestPeriod(r.Digest.Since, r.Digest.Until))
		if len(r.Digest.Top) > 0 {
			out = append(out, bot.DigestTopTitle)
		}
		for _, row := range r.Digest.Top {
			out = append(out, row.Line())
		}
		if r.Digest.URL != "" {
			out = append(out, bot.DigestLinkLabel)
		}
	default:
		out = append(out, r.Text)
	}
	return out
}

// Labels returns the labels of the reply's actions, which every renderer
// with buttons shows.
func Labels(r bot.Reply) []string {
	out := make([]string, 0, len(r.Actions))
	for _, a := range r.Actions {
		out = append(out, a.Label)
	}
	return out
}

// JSONText is every string a rendering holds under one of keys ("text",
// "title"…), one a line, whatever its depth: what a person reads of a
// Block Kit message or an Adaptive Card, for Check.
func JSONText(t testing.TB, v any, keys ...string) string {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var raw any
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	var walk func(v any, key string)
	walk = func(v any, key string) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				walk(x, k)
			}
		case []any:
			for _, x := range v {
				walk(x, key)
			}
		case string:
			if slices.Contains(keys, key) {
				b.WriteString(v + "\n")
			}
		}
	}
	walk(raw, "")
	return b.String()
}

// Check fails the test for each of want that text does not hold, compared
// without regard to case and runs of white space.
func Check(t testing.TB, name, text string, want []string) {
	t.Helper()
	norm := func(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }
	text = norm(text)
	for _, w := range want {
		if !strings.Contains(text, norm(w)) {
			t.Errorf("%s does not say %q", name, w)
		}
	}
}
