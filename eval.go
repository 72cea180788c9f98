package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/mmdbot/mmdbot/bot"
	"github.com/mmdbot/mmdbot/eval"
	"github.com/mmdbot/mmdbot/internal/jsonout"
	"github.com/mmdbot/mmdbot/kbfile"
)

func cmdEval(ctx context.Context, e env, usage string, args []string) error {
	fs := newFlags(e, "eval", usage)
	asJSON := fs.Bool("json", false, "print the figures as JSON")
	cross := fs.Bool("cross-validate", false, "score each set with a model trained without its questions; with no FILE, every set of the knowledge's examples")
	kb := settingFlag(e, fs, "kb")
	if ok, err := parseFlags(fs, args); !ok {
		return err
	}
	if fs.NArg() == 0 && !*cross {
		fmt.Fprintln(e.stderr, "mmdbot eval: give one or more question sets (YAML), for example knowledge/data/examples/public.yaml, or --cross-validate")
		return exitCode(2)
	}
	var sets []eval.Set
	for _, f := range fs.Args() {
		its, err := eval.ReadFile(f)
		if err != nil {
			return err
		}
		sets = append(sets, eval.Set{Name: f, Items: its})
	}
	base, err := kbfile.Load(*kb)
	if err != nil {
		return err
	}
	if *cross {
		if len(sets) == 0 {
			sets = eval.Sets(base.Examples())
		}
		rep := eval.CrossValidate(ctx, base, sets, bot.Options{})
		if *asJSON {
			return jsonout.Write(e.stdout, rep)
		}
		writeCrossReport(e.stdout, rep)
		return nil
	}
	var items []eval.Item
	for _, s := range sets {
		items = append(items, s.Items...)
	}
	rep := eval.Run(ctx, bot.New(base, bot.Options{}), items)
	if *asJSON {
		return jsonout.Write(e.stdout, rep)
	}
	for _, m := range rep.Misses {
		got := m.Got
		if got == "" {
			got = "(I don't know)"
		}
		expect := strings.Join(m.Expect, " | ")
		if expect == "" {
			expect = "(I don't know)"
		}
		fmt.Fprintf(e.stdout, "MISS %s:%d %q\n     expected %s, got %s [%s %.2f]\n", m.Set, m.Line, m.Q, expect, got, m.Band, m.Confidence)
	}
	fmt.Fprintf(e.stdout, "in scope:     %d questions, top-1 accuracy %.3f (%d answered, %d as \"did you mean\")\n", rep.InScope, rep.Top1, rep.Answered, rep.Suggested)
	fmt.Fprintf(e.stdout, "out of scope: %d questions, abstention %.3f\n", rep.OutOfScope, rep.Abstention)
	if rep.Sides > 0 {
		fmt.Fprintf(e.stdout, "sides:        %d of %d shared answers named the side asked about\n", rep.SidesRight, rep.Sides)
	}
	fmt.Fprintf(e.stdout, "time:         %s per question\n", time.Duration(rep.PerQuestion).Round(time.Microsecond/10))
	if len(base.Examples()) > 0 {
		fmt.Fprintln(e.stdout, "note: the model learnt from the knowledge's examples; a set among them scores high by heart. --cross-validate gives the honest figure.")
	}
	return nil
}

// writeCrossReport prints a cross-validation set by set.
func writeCrossReport(w io.Writer, rep eval.CrossReport) {
	fmt.Fprintf(w, "%-52s %9s %6s %9s %11s\n", "set (each scored by a model that never saw it)", "in scope", "top-1", "out of sc", "abstention")
	for _, s := range rep.Sets {
		fmt.Fprintf(w, "%-52s %9d %6.3f %9d %11.3f\n", s.Name, s.InScope, s.Top1, s.OutOfScope, s.Abstention)
	}
	fmt.Fprintf(w, "%-52s %9s %6.3f %9s %11.3f\n", "mean of the sets", "", rep.MeanTop1, "", rep.MeanAbstention)
	var answered, suggested int
	for _, s := range rep.Sets {
		answered += s.Answered
		suggested += s.Suggested
	}
	if answered+suggested > 0 {
		fmt.Fprintf(w, "replies to questions in scope: %d answers, %d \"did you mean\" (%.0f%%)\n", answered, suggested, 100*float64(suggested)/float64(answered+suggested))
	}
	if rep.Sides > 0 {
		fmt.Fprintf(w, "sides: %.3f of %d shared answers named the side asked about\n", rep.SideAccuracy, rep.Sides)
	}
	fmt.Fprintf(w, "bands: the held-out probabilities choose out_of_scope %.2f, unknown %.2f, close %.2f (score %.4f, cost %.4f);\n       the knowledge has %.2f, %.2f, %.2f (score %.4f, cost %.4f)\n",
		rep.Bands.OutOfScope, rep.Bands.Unknown, rep.Bands.Close, rep.BandsFit.Score, rep.BandsFit.Cost,
		rep.Current.OutOfScope, rep.Current.Unknown, rep.Current.Close, rep.CurrentFit.Score, rep.CurrentFit.Cost)
}
