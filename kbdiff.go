package main

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/mmdbot/mmdbot/knowledge"
)

// cmdKBDiff compares two knowledge sources entry by entry; its exit status
// is 0 when they are the same, 1 when they differ, 2 when one does not load.
func cmdKBDiff(e env, args []string) error {
	fs := newFlags(e, "kb diff", "kb diff [--json] OLD NEW")
	asJSON := fs.Bool("json", false, "print the differences as JSON")
	if ok, err := parseFlags(fs, args); !ok {
		return err
	}
	if fs.NArg() != 2 {
		fs.Usage()
		fmt.Fprintln(e.stderr, "\nOLD and NEW are knowledge files (Markdown in the Learn format, or mmdbot YAML), or \"default\" for the embedded knowledge.")
		return exitCode(2)
	}
	var bases [2]*knowledge.Base
	for i, name := range fs.Args() {
		kb, err := readKnowledge(name)
		if err != nil {
			printLoadError(e.stderr, err)
			fmt.Fprintf(e.stderr, "%s: not valid\n", name)
			return exitCode(2)
		}
		bases[i] = kb
	}
	return printDiff(e, knowledge.Compare(bases[0], bases[1]), fs.Arg(0), fs.Arg(1), *asJSON)
}

// readKnowledge reads a knowledge file, or the embedded knowledge for ""
// or "default", to compare: as it loads, with the same errors, but
// without training a model, which comparing does not need.
func readKnowledge(path string) (*knowledge.Base, error) {
	if path == "" || path == "default" {
		return knowledge.ReadDefault()
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read knowledge file: %w", err)
	}
	return knowledge.Read(knowledge.File{Name: path, Data: data})
}

// printLoadError prints each problem of a knowledge load on a line of its
// own, naming file and line.
func printLoadError(w io.Writer, err error) {
	if es, ok := knowledge.AsErrors(err); ok {
		for _, le := range es {
			fmt.Fprintln(w, le)
		}
		return
	}
	fmt.Fprintln(w, err)
}

// writeDiff prints a comparison for a person: the page's facts, each entry
// changed with a word diff of its text, what names entries now gone, and a
// summary.
func writeDiff(w io.Writer, d *knowledge.Diff, oldName, newName string) {
	fmt.Fprintf(w, "--- %s (%s)\n+++ %s (%s)\n", oldName, pageLine(d.Old), newName, pageLine(d.New))
	for _, f := range d.Page {
		fmt.Fprintf(w, "page %s: %q → %q\n", f.Field, f.Old, f.New)
	}
	for _, c := range d.Entries {
		switch c.Kind {
		case knowledge.ChangeAdded:
			fmt.Fprintf(w, "added   %s %q (%s)\n", c.ID, c.Title, c.Owner)
		case knowledge.ChangeRemoved:
			fmt.Fprintf(w, "removed %s %q (%s)\n", c.OldID, c.Title, c.Owner)
		case knowledge.ChangeRenamed:
			fmt.Fprintf(w, "renamed %s → %s: %q → %q\n", c.OldID, c.ID, c.OldTitle, c.Title)
		default:
			id := c.ID
			if c.OldID != "" {
				id = c.OldID + " → " + c.ID
			}
			fmt.Fprintf(w, "changed %s %q\n", id, c.Title)
			for _, f := range c.Fields {
				writeField(w, f)
			}
		}
	}
	if groups := d.OrphanGroups(); len(groups) > 0 {
		fmt.Fprintln(w, "\nNamed by the old knowledge, gone from the new (fix these before applying it; --json lists each):")
		for _, g := range groups {
			writeOrphans(w, g)
		}
	}
	fmt.Fprintf(w, "\n%s\n", d.Summary())
}

func writeField(w io.Writer, f knowledge.FieldChange) {
	switch {
	case f.Words != nil:
		fmt.Fprintf(w, "    %s: %s\n", f.Field, knowledge.WordDiffText(f.Words))
	case f.Field == "links":
		fmt.Fprintf(w, "    links:\n")
		old := strings.Split(f.Old, "\n")
		new := strings.Split(f.New, "\n")
		for _, l := range old {
			if l != "" && !slices.Contains(new, l) {
				fmt.Fprintf(w, "      - %s\n", l)
			}
		}
		for _, l := range new {
			if l != "" && !slices.Contains(old, l) {
				fmt.Fprintf(w, "      + %s\n", l)
			}
		}
	default:
		fmt.Fprintf(w, "    %s: %s → %s\n", f.Field, f.Old, f.New)
	}
}

// listMax is how many files or terms an orphan's line names.
const listMax = 6

func writeOrphans(w io.Writer, g knowledge.OrphanGroup) {
	fmt.Fprintf(w, "  %s\n", g.ID)
	if len(g.Overlay) > 0 {
		fmt.Fprintf(w, "    overlay: %s\n", strings.Join(g.Overlay, ", "))
	}
	if g.Examples > 0 {
		var files []string
		for _, f := range g.Files {
			files = append(files, fmt.Sprintf("%s (%d)", f.File, f.Count))
		}
		fmt.Fprintf(w, "    %s: %s\n", plural(g.Examples, "example"), shortList(files))
	}
	if len(g.Terms) > 0 {
		var terms []string
		for _, t := range g.Terms {
			terms = append(terms, fmt.Sprintf("%q", t))
		}
		fmt.Fprintf(w, "    %s: %s\n", plural(len(g.Terms), "vocabulary term"), shortList(terms))
	}
}

// shortList joins the first few items, and says how many more there are.
func shortList(items []string) string {
	if len(items) <= listMax {
		return strings.Join(items, ", ")
	}
	return strings.Join(items[:listMax], ", ") + fmt.Sprintf(" and %d more", len(items)-listMax)
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// pageLine names a page by its title and date.
func pageLine(p knowledge.Page) string {
	if p.Date == "" {
		return p.Title
	}
	return p.Title + ", ms.date " + p.Date
}
