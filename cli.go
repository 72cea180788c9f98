package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/mmdbot/mmdbot/bot"
	"github.com/mmdbot/mmdbot/eval"
	"github.com/mmdbot/mmdbot/knowledge"
	"github.com/mmdbot/mmdbot/plaintext"
	"github.com/mmdbot/mmdbot/store"
)

// newFlags returns a flag set that prints its usage to the command's stderr
// and returns errors instead of exiting.
func newFlags(e env, name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, usageText(usage))
		hasFlags := false
		fs.VisitAll(func(*flag.Flag) { hasFlags = true })
		if hasFlags {
			fmt.Fprint(e.stderr, "\nFlags:\n")
			fs.PrintDefaults()
		}
	}
	return fs
}

// parseFlags parses args; -h prints the usage and ends the command cleanly.
func parseFlags(fs *flag.FlagSet, args []string) (bool, error) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return false, nil
		}
		return false, exitCode(2)
	}
	return true, nil
}

// envOr returns the environment variable, or def when it is empty.
func envOr(e env, name, def string) string {
	if v := e.getenv(name); v != "" {
		return v
	}
	return def
}

// loadKnowledge returns the embedded knowledge, or the --kb file's.
func loadKnowledge(path string) (*knowledge.Base, error) {
	if path == "" {
		return knowledge.Default(), nil
	}
	return knowledge.LoadFile(path)
}

func kbFlag(e env, fs *flag.FlagSet) *string {
	return fs.String("kb", e.getenv("MMD_KB"), "knowledge file (Markdown in the Learn format or YAML) that replaces or extends the embedded one (env MMD_KB)")
}

func dataFlag(e env, fs *flag.FlagSet) *string {
	return fs.String("data", envOr(e, "MMD_DATA", "mmdbot.db"), "SQLite file recording unanswered questions and feedback (env MMD_DATA)")
}

// askDataFlag is ask's --data: a one-off question is recorded only when
// it is asked to be, never into a default file.
func askDataFlag(fs *flag.FlagSet) *string {
	return fs.String("data", "", "record the question in this SQLite file when it is not answered, as mmdbot serve does (default: record nothing, write no file)")
}

func cmdAsk(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "ask", subcommands["ask"].usage)
	asJSON := fs.Bool("json", false, "print the answer as JSON")
	explain := fs.Bool("explain", false, "also print what each candidate's score is made of")
	kb := kbFlag(e, fs)
	data := askDataFlag(fs)
	if ok, err := parseFlags(fs, args); !ok {
		return err
	}
	q := strings.Join(fs.Args(), " ")
	if strings.TrimSpace(q) == "" {
		fmt.Fprintln(e.stderr, "mmdbot ask: give a question, for example: mmdbot ask \"who handles VPN issues?\"")
		return exitCode(2)
	}
	base, err := loadKnowledge(*kb)
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
		return writeJSON(e.stdout, r.JSON())
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
		fmt.Fprintf(w, "  %6.2f  %s (lexical %.2f)\n", score, firstNonEmptyString(id, "out of scope"), lexical)
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

func firstNonEmptyString(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func cmdTable(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "table", subcommands["table"].usage)
	owner := fs.String("owner", "", "only the entries of this owner: microsoft, customer or shared")
	format := fs.String("format", "text", "output format: text, markdown, csv or json")
	kb := kbFlag(e, fs)
	if ok, err := parseFlags(fs, args); !ok {
		return err
	}
	owners := knowledge.Owners
	if *owner != "" {
		o, err := knowledge.ParseOwner(*owner)
		if err != nil {
			fmt.Fprintf(e.stderr, "mmdbot table: --owner: %v\n", err)
			return exitCode(2)
		}
		owners = []knowledge.Owner{o}
	}
	base, err := loadKnowledge(*kb)
	if err != nil {
		return err
	}
	var groups []bot.Group
	entries := []*knowledge.Entry{}
	for _, o := range owners {
		if es := base.ByOwner(o); len(es) > 0 {
			groups = append(groups, bot.Group{Owner: o, Entries: es})
			entries = append(entries, es...)
		}
	}
	switch *format {
	case "text":
		plaintext.Table(e.stdout, groups)
	case "markdown", "md":
		plaintext.Markdown(e.stdout, groups)
	case "csv":
		return plaintext.CSV(e.stdout, groups)
	case "json":
		return writeJSON(e.stdout, entries)
	default:
		fmt.Fprintf(e.stderr, "mmdbot table: unknown --format %q (want text, markdown, csv or json)\n", *format)
		return exitCode(2)
	}
	return nil
}

func cmdEval(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "eval", subcommands["eval"].usage)
	asJSON := fs.Bool("json", false, "print the figures as JSON")
	cross := fs.Bool("cross-validate", false, "score each set with a model trained without its questions; with no FILE, every set of the knowledge's examples")
	kb := kbFlag(e, fs)
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
	base, err := loadKnowledge(*kb)
	if err != nil {
		return err
	}
	if *cross {
		if len(sets) == 0 {
			sets = eval.Sets(base.Examples())
		}
		rep := eval.CrossValidate(ctx, base, sets, bot.Options{})
		if *asJSON {
			return writeJSON(e.stdout, rep)
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
		return writeJSON(e.stdout, rep)
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

func cmdKB(ctx context.Context, e env, args []string) error {
	if len(args) == 0 || args[0] != "validate" {
		fmt.Fprintln(e.stderr, usageText(subcommands["kb"].usage))
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return nil
		}
		return exitCode(2)
	}
	fs := newFlags(e, "kb validate", "kb validate FILE")
	if ok, err := parseFlags(fs, args[1:]); !ok {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return exitCode(2)
	}
	base, err := knowledge.LoadFile(fs.Arg(0))
	if err != nil {
		if es, ok := knowledge.AsErrors(err); ok {
			for _, le := range es {
				fmt.Fprintln(e.stderr, le)
			}
		} else {
			fmt.Fprintln(e.stderr, err)
		}
		fmt.Fprintf(e.stderr, "%s: not valid\n", fs.Arg(0))
		return exitCode(1)
	}
	counts := map[knowledge.Owner]int{}
	for _, en := range base.Entries() {
		counts[en.Owner]++
	}
	fmt.Fprintf(e.stdout, "%s: valid: %d entries (%d microsoft, %d customer, %d shared), %d vocabulary terms, %d examples",
		fs.Arg(0), len(base.Entries()), counts[knowledge.OwnerMicrosoft], counts[knowledge.OwnerCustomer], counts[knowledge.OwnerShared], len(base.Vocabulary().Terms), len(base.Examples()))
	if len(base.Examples()) == 0 {
		fmt.Fprint(e.stdout, " (no model: the lexical matcher answers)")
	}
	fmt.Fprintln(e.stdout)
	return nil
}

func cmdReport(ctx context.Context, e env, args []string) error {
	if len(args) == 0 || (args[0] != "unanswered" && args[0] != "feedback") {
		fmt.Fprintln(e.stderr, usageText(subcommands["report"].usage))
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return nil
		}
		return exitCode(2)
	}
	what := args[0]
	fs := newFlags(e, "report "+what, "report "+what+" [--since DURATION] [--format text|csv|json] [--data FILE]")
	since := fs.Duration("since", 30*24*time.Hour, "how far back to look, such as 24h or 720h")
	format := fs.String("format", "text", "output format: text, csv or json")
	data := dataFlag(e, fs)
	if ok, err := parseFlags(fs, args[1:]); !ok {
		return err
	}
	switch *format {
	case "text", "csv", "json":
	default:
		fmt.Fprintf(e.stderr, "mmdbot report: unknown --format %q (want text, csv or json)\n", *format)
		return exitCode(2)
	}
	if _, err := os.Stat(*data); err != nil {
		fmt.Fprintf(e.stderr, "mmdbot report: no data file %s (%v): give the file mmdbot serve records to, with --data or MMD_DATA\n", *data, errors.Unwrap(err))
		return exitCode(1)
	}
	st, err := store.Open(ctx, *data, 0)
	if err != nil {
		return err
	}
	defer st.Close()
	from := time.Now().Add(-*since)
	if what == "feedback" {
		fb, err := st.Feedback(ctx, from)
		if err != nil {
			return err
		}
		return writeFeedback(e.stdout, *format, fb)
	}
	un, err := st.Unanswered(ctx, from)
	if err != nil {
		return err
	}
	fb, err := st.Feedback(ctx, from)
	if err != nil {
		return err
	}
	switch *format {
	case "json":
		return writeJSON(e.stdout, struct {
			Unanswered []store.Unanswered    `json:"unanswered"`
			Feedback   []store.FeedbackCount `json:"feedback"`
		}{un, fb})
	case "csv":
		cw := csv.NewWriter(e.stdout)
		cw.Write([]string{"count", "question", "band", "candidates", "adapters", "last"})
		for _, u := range un {
			cw.Write([]string{fmt.Sprint(u.Count), csvSafe(u.Question), string(u.Band), strings.Join(u.Candidates, " "), strings.Join(u.Adapters, " "), u.Last.Format(time.RFC3339)})
		}
		cw.Flush()
		return cw.Error()
	}
	if len(un) == 0 {
		fmt.Fprintf(e.stdout, "No unanswered questions in the last %s.\n", *since)
	} else {
		fmt.Fprintf(e.stdout, "Unanswered questions in the last %s, most frequent first:\n", *since)
		for _, u := range un {
			// Only the choices of a "did you mean" mean something: the
			// closest entries of an "I don't know" (recorded by earlier
			// versions) fit too badly to name.
			cands := ""
			if u.Band == knowledge.BandSuggest && len(u.Candidates) > 0 {
				cands = " — did you mean: " + strings.Join(u.Candidates[:min(3, len(u.Candidates))], ", ")
			}
			fmt.Fprintf(e.stdout, "%5d  %s  [%s]%s\n", u.Count, u.Question, u.Band, cands)
		}
	}
	if len(fb) > 0 {
		fmt.Fprintln(e.stdout)
		return writeFeedback(e.stdout, "text", fb)
	}
	return nil
}

// csvSafe keeps a cell typed by a chat user from being read as a formula by
// a spreadsheet: a cell that starts with =, +, -, @, a tab or a carriage
// return gets a leading apostrophe.
func csvSafe(cell string) string {
	if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
		return "'" + cell
	}
	return cell
}

func writeFeedback(w io.Writer, format string, fb []store.FeedbackCount) error {
	switch format {
	case "json":
		return writeJSON(w, fb)
	case "csv":
		cw := csv.NewWriter(w)
		cw.Write([]string{"entry", "up", "down", "downvoted"})
		for _, f := range fb {
			cw.Write([]string{f.EntryID, fmt.Sprint(f.Up), fmt.Sprint(f.Down), csvSafe(strings.Join(f.Downvoted, " | "))})
		}
		cw.Flush()
		return cw.Error()
	}
	if len(fb) == 0 {
		fmt.Fprintln(w, "No feedback yet.")
		return nil
	}
	fmt.Fprintln(w, "Feedback per entry (👍 up, 👎 down):")
	for _, f := range fb {
		fmt.Fprintf(w, "  %-70s 👍 %d  👎 %d\n", f.EntryID, f.Up, f.Down)
		for _, q := range f.Downvoted {
			fmt.Fprintf(w, "      👎 %s\n", q)
		}
	}
	return nil
}
