package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/mmdbot/mmdbot/internal/jsonout"
	"github.com/mmdbot/mmdbot/kbfile"
	"github.com/mmdbot/mmdbot/knowledge"
	"github.com/mmdbot/mmdbot/store"
)

// mmdbot examples moves the examples admins decided on the review page out
// of the data store, into a knowledge file under version control, and back.

const examplesUsage = "examples export [--format yaml|json] [--data FILE]\n" +
	"examples import [--by NAME] [--kb FILE] [--data FILE] FILE"

func cmdExamples(ctx context.Context, e env, usage string, args []string) error {
	sub, err := subcommandOf(e, usage, args, "export", "import")
	switch sub {
	case "":
		return err
	case "export":
		return cmdExamplesExport(ctx, e, args[1:])
	}
	return cmdExamplesImport(ctx, e, args[1:])
}

func cmdExamplesExport(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "examples export", "examples export [--format yaml|json] [--data FILE]")
	format := fs.String("format", "yaml", "yaml (a knowledge file that extends the embedded knowledge with the examples) or json")
	data := settingFlag(e, fs, "data")
	if ok, err := parseFlags(fs, args); !ok {
		return err
	}
	if fs.NArg() > 0 || (*format != "yaml" && *format != "json") {
		fs.Usage()
		return exitCode(2)
	}
	st, err := openData(ctx, e, "examples export", *data)
	if err != nil {
		return err
	}
	defer st.Close()
	ds, err := st.Decisions(ctx)
	if err != nil {
		return err
	}
	var exs []store.Decision
	for _, d := range ds {
		if _, ok := d.Example(); ok {
			exs = append(exs, d)
		}
	}
	if *format == "json" {
		if exs == nil {
			exs = []store.Decision{}
		}
		return jsonout.Write(e.stdout, exs)
	}
	return writeExamplesYAML(e.stdout, exs, time.Now())
}

// writeExamplesYAML writes decisions as a knowledge file that extends the
// embedded knowledge with them as examples, oldest first, each with who
// decided it and when as a comment.
func writeExamplesYAML(w io.Writer, ds []store.Decision, now time.Time) error {
	str := func(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v} }
	list := &yaml.Node{Kind: yaml.SequenceNode}
	for i := len(ds) - 1; i >= 0; i-- {
		d := ds[i]
		ex, _ := d.Example()
		expect := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		for _, id := range ex.Expect {
			expect.Content = append(expect.Content, str(id))
		}
		item := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{str("q"), str(ex.Q), str("expect"), expect}}
		if ex.Side != "" {
			item.Content = append(item.Content, str("side"), str(ex.Side))
		}
		how := "decided on the review page"
		if d.Source == store.SourceImport {
			how = "imported"
		}
		item.HeadComment = fmt.Sprintf("%s by %s, %s", how, oneLine(d.By), d.At.UTC().Format("2006-01-02 15:04 MST"))
		list.Content = append(list.Content, item)
	}
	doc := &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{{
		Kind: yaml.MappingNode,
		HeadComment: "Examples admins decided on mmdbot's review page, exported " + now.UTC().Format(time.RFC3339) + ".\n" +
			"Load it with --kb as it is, or move the examples into your knowledge file;\n" +
			"mmdbot examples import reads it back.",
		Content: []*yaml.Node{str("extends"), str("default"), str("examples"), list},
	}}}
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return err
	}
	return enc.Close()
}

// oneLine keeps a name on one line of a comment.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// maxExamplesFile is the largest file examples import reads.
const maxExamplesFile = kbfile.MaxBytes

func cmdExamplesImport(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "examples import", "examples import [--by NAME] [--kb FILE] [--data FILE] FILE")
	by := fs.String("by", "import", "who the imported decisions are credited to on the review page")
	kb := settingFlag(e, fs, "kb")
	data := settingFlag(e, fs, "data")
	if ok, err := parseFlags(fs, args); !ok {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return exitCode(2)
	}
	name := fs.Arg(0)
	exs, err := readExamples(name)
	if err == nil {
		err = checkExamples(*kb, exs)
	}
	if err != nil {
		printLoadError(e.stderr, err)
		fmt.Fprintf(e.stderr, "%s: nothing imported\n", name)
		return exitCode(1)
	}
	st, err := openData(ctx, e, "examples import", *data)
	if err != nil {
		return err
	}
	defer st.Close()
	before, err := st.Decisions(ctx)
	if err != nil {
		return err
	}
	had := map[string]bool{}
	for _, d := range before {
		had[d.Norm] = true
	}
	replaced := 0
	for _, ex := range exs {
		d := store.Decision{Question: ex.Q, Kind: store.DecideAnswer, Entries: ex.Expect, Side: ex.Side, By: oneLine(*by), Source: store.SourceImport}
		if !ex.InScope() {
			d.Kind = store.DecideOutOfScope
		}
		if had[knowledge.Fold(ex.Q)] {
			replaced++
		}
		if _, err := st.Decide(ctx, d); err != nil {
			return fmt.Errorf("%s:%d: %w", name, ex.Line, err)
		}
	}
	fmt.Fprintf(e.stdout, "%s: imported %d examples (%d in place of earlier decisions); a running mmdbot serve learns them within a minute\n", name, len(exs), replaced)
	return nil
}

// readExamples reads the examples of a file: a knowledge file (YAML with
// examples, such as examples export writes) or a question set (a list).
func readExamples(name string) ([]knowledge.Example, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxExamplesFile+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxExamplesFile {
		return nil, fmt.Errorf("%s is larger than %d bytes", name, maxExamplesFile)
	}
	var probe yaml.Node
	if err := yaml.Unmarshal(data, &probe); err == nil && len(probe.Content) > 0 && probe.Content[0].Kind == yaml.SequenceNode {
		return knowledge.ParseExamples(name, data)
	}
	ov, err := knowledge.ParseOverlay(name, data)
	if err != nil {
		return nil, err
	}
	if len(ov.Examples) == 0 {
		return nil, knowledge.Errors{{File: name, Msg: "no examples: want a knowledge file with examples (as mmdbot examples export writes) or a list of {q, expect}"}}
	}
	return ov.Examples, nil
}

// checkExamples checks the examples against the knowledge (the embedded
// one, or --kb), as loading them with it would.
func checkExamples(kbPath string, exs []knowledge.Example) error {
	kb, err := kbfile.Load(kbPath)
	if err != nil {
		return err
	}
	if errs := kb.CheckExamples(exs); len(errs) > 0 {
		return errs
	}
	return nil
}
