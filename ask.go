package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/mmdbot/mmdbot/bot"
	"github.com/mmdbot/mmdbot/internal/jsonout"
	"github.com/mmdbot/mmdbot/kbfile"
	"github.com/mmdbot/mmdbot/knowledge"
	"github.com/mmdbot/mmdbot/plaintext"
	"github.com/mmdbot/mmdbot/store"
)

func cmdAsk(ctx context.Context, e env, usage string, args []string) error {
	fs := newFlags(e, "ask", usage)
	asJSON := fs.Bool("json", false, "print the answer as JSON")
	explain := fs.Bool("explain", false, "also print what each candidate's score is made of")
	kb := settingFlag(e, fs, "kb")
	// A one-off question is recorded only when it is asked to be, never
	// into the default file of the data setting.
	data := fs.String("data", "", "record the question in this SQLite file when it is not answered, as mmdbot serve does (default: record nothing, write no file)")
	if ok, err := parseFlags(fs, args); !ok {
		return err
	}
	q := strings.Join(fs.Args(), " ")
	if strings.TrimSpace(q) == "" {
		fmt.Fprintln(e.stderr, "mmdbot ask: give a question, for example: mmdbot ask \"who handles VPN issues?\"")
		return exitCode(2)
	}
	base, err := kbfile.Load(*kb)
	if err != nil {
		return err
	}
	opts := bot.Options{}
	if *data != "" {
		st, err := store.Open(ctx, *data, 0)
		if err != nil {
			fmt.Fprintf(e.stderr, "mmdbot: warning: unanswered questions are not recorded: %v\n", err)
		} else {
			defer st.Close()
			opts.Journal = st
		}
	}
	r, err := bot.New(base, opts).Handle(ctx, bot.Message{Text: q, Via: bot.ViaCLI, Adapter: "cli"})
	if err != nil && r.Kind != bot.KindError {
		return err
	}
	if *asJSON {
		return jsonout.Write(e.stdout, r.JSON())
	}
	fmt.Fprint(e.stdout, plaintext.Render(r))
	if *explain {
		writeExplanation(e.stdout, base, r.Question)
	}
	return nil
}

// writeExplanation prints how the matcher read a question, the lexical
// evidence of the best candidates, and what the model weighed for them.
func writeExplanation(w io.Writer, base *knowledge.Base, q string) {
	res, ex := base.Explain(q)
	fmt.Fprintf(w, "\nRead as: %s\n", strings.Join(res.Words, " "))
	for typed, fixed := range res.Corrections {
		fmt.Fprintf(w, "Corrected: %s → %s\n", typed, fixed)
	}
	fmt.Fprintf(w, "Band %s, confidence %.2f, out of scope %.2f (topic words: %d explained by the lexically best entry, %d known elsewhere, %d unknown, %d off-topic)\n",
		res.Band, res.Confidence, res.OutOfScope, res.Covered, res.Known, res.Unknown, res.OffTopic)
	weighed := map[string]knowledge.Weighing{}
	for _, wg := range ex.Model {
		weighed[wg.Entry] = wg
	}
	show := func(id string, score, lexical float64) {
		fmt.Fprintf(w, "  %6.2f  %s (lexical %.2f)\n", score, firstNonEmpty(id, "out of scope"), lexical)
		if wg, ok := weighed[id]; ok {
			fmt.Fprintf(w, "          model: logit %+.2f, of which\n", wg.Logit)
			for _, c := range wg.Contributions[:min(len(wg.Contributions), explainTerms)] {
				fmt.Fprintf(w, "          %+6.2f  %s\n", c.Score, c.What)
			}
		}
		if id == "" {
			return
		}
		fmt.Fprintf(w, "          evidence:\n")
		for _, c := range ex.Evidence {
			if c.Entry == id {
				fmt.Fprintf(w, "          %+6.2f  %s: %s\n", c.Score, c.Kind, c.What)
			}
		}
	}
	for _, m := range res.Matches[:min(len(res.Matches), knowledge.MaxAlternatives)] {
		show(m.Entry.ID, m.Score, m.Lexical)
	}
	if len(ex.Model) > 0 {
		show("", res.OutOfScope, 0)
	}
}

// explainTerms is how many of a logit's terms an explanation shows.
const explainTerms = 8
