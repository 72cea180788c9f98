package knowledge

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/sergi/go-diff/diffmatchpatch"
)

// The kinds of change Compare finds in an entry.
const (
	ChangeAdded   = "added"   // a row the old knowledge does not have
	ChangeRemoved = "removed" // a row the new knowledge no longer has
	ChangeRenamed = "renamed" // the same row under a new title (and so a new id)
	ChangeChanged = "changed" // the same row, with its owner, text, split or links changed
)

// Diff is what changed between two knowledge bases: facts of the page,
// entries (added, renamed and changed ones in the new page's order, then
// removed ones in the old page's), and what refers to entries that are gone.
type Diff struct {
	Old     Page          `json:"old"`
	New     Page          `json:"new"`
	Page    []FieldChange `json:"page"`
	Entries []EntryChange `json:"entries"`
	// Orphans are the overlay's annotations, the examples and the
	// vocabulary of the old knowledge that name an entry the new one no
	// longer has under that id: what to fix before applying it.
	Orphans []Orphan `json:"orphans"`
}

// EntryChange is one entry added, removed, renamed or changed.
type EntryChange struct {
	Kind string `json:"kind"`
	// ID is the entry's id in the new knowledge ("" when removed), OldID in
	// the old one ("" when added).
	ID       string        `json:"id,omitempty"`
	OldID    string        `json:"old_id,omitempty"`
	Title    string        `json:"title"`
	OldTitle string        `json:"old_title,omitempty"`
	Owner    Owner         `json:"owner"`
	Fields   []FieldChange `json:"fields,omitempty"`
}

// FieldChange is one field that changed: its old and new text, and for
// running text a word-by-word diff.
type FieldChange struct {
	Field string     `json:"field"`
	Old   string     `json:"old"`
	New   string     `json:"new"`
	Words []WordEdit `json:"words,omitempty"`
}

// WordEdit is one run of a word-level diff: Op is "=" (kept), "-" (only in
// the old text) or "+" (only in the new one).
type WordEdit struct {
	Op   string `json:"op"`
	Text string `json:"text"`
}

// Orphan is one thing of the old knowledge that names an entry id the new
// knowledge does not have.
type Orphan struct {
	ID string `json:"id"`
	// What says what names it: "overlay keywords", "example", "vocabulary term"…
	What string `json:"what"`
	// Where names the example's file and line, or the term, when known.
	Where string `json:"where,omitempty"`
}

// Equal reports whether nothing changed.
func (d *Diff) Equal() bool { return len(d.Page) == 0 && len(d.Entries) == 0 }

// Count returns how many entries changed in each way.
func (d *Diff) Count() map[string]int {
	n := map[string]int{}
	for _, c := range d.Entries {
		n[c.Kind]++
	}
	return n
}

// Summary says the diff in one line: "ms.date 2022-12-06 → 2023-01-10; 1
// added, 2 changed", or "no change".
func (d *Diff) Summary() string {
	var parts []string
	for _, f := range d.Page {
		parts = append(parts, fmt.Sprintf("%s %q → %q", f.Field, f.Old, f.New))
	}
	n := d.Count()
	for _, k := range []string{ChangeAdded, ChangeRemoved, ChangeRenamed, ChangeChanged} {
		if n[k] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[k], k))
		}
	}
	if len(parts) == 0 {
		return "no change"
	}
	return strings.Join(parts, "; ")
}

// Compare returns what changed from old to new, entry by entry. Entries are
// paired by id; then a row whose title stays but whose table changed is the
// same row with a new owner; then a row under a new title whose text is
// the same, or nearly so, on the same side, is the same row renamed.
func Compare(old, new *Base) *Diff {
	d := &Diff{Old: old.Page(), New: new.Page(), Page: pageChanges(old.Page(), new.Page()), Entries: []EntryChange{}, Orphans: []Orphan{}}
	pair := pairEntries(old.Entries(), new.Entries())
	paired := map[*Entry]bool{}
	for _, o := range pair {
		paired[o] = true
	}
	for _, n := range new.Entries() {
		o, ok := pair[n]
		if !ok {
			d.Entries = append(d.Entries, EntryChange{Kind: ChangeAdded, ID: n.ID, Title: n.Title, Owner: n.Owner})
			continue
		}
		fields := entryChanges(o, n)
		if len(fields) == 0 && o.ID == n.ID {
			continue
		}
		c := EntryChange{Kind: ChangeChanged, ID: n.ID, Title: n.Title, Owner: n.Owner, Fields: fields}
		if o.ID != n.ID {
			c.OldID = o.ID
		}
		if o.Title != n.Title {
			c.OldTitle = o.Title
			if len(fields) == 1 && fields[0].Field == "title" {
				c.Kind = ChangeRenamed
			}
		}
		d.Entries = append(d.Entries, c)
	}
	for _, o := range old.Entries() {
		if !paired[o] {
			d.Entries = append(d.Entries, EntryChange{Kind: ChangeRemoved, OldID: o.ID, Title: o.Title, Owner: o.Owner})
		}
	}
	d.Orphans = orphans(old, new)
	return d
}

func pageChanges(o, n Page) []FieldChange {
	var out []FieldChange
	for _, f := range []struct{ name, o, n string }{
		{"title", o.Title, n.Title},
		{"ms.date", o.Date, n.Date},
		{"url", o.URL, n.URL},
	} {
		if f.o != f.n {
			out = append(out, FieldChange{Field: f.name, Old: f.o, New: f.n})
		}
	}
	return out
}

// pairEntries returns, for each new entry that is the same row as an old
// one, that old entry.
func pairEntries(olds, news []*Entry) map[*Entry]*Entry {
	pair := map[*Entry]*Entry{}
	taken := map[*Entry]bool{}
	byID := map[string]*Entry{}
	for _, o := range olds {
		byID[o.ID] = o
	}
	for _, n := range news {
		if o, ok := byID[n.ID]; ok {
			pair[n], taken[o] = o, true
		}
	}
	free := func() []*Entry {
		return slices.DeleteFunc(slices.Clone(olds), func(o *Entry) bool { return taken[o] })
	}
	// The same title in the other table: the row moved to another owner.
	for _, n := range news {
		if _, ok := pair[n]; ok {
			continue
		}
		for _, o := range free() {
			if Slug(o.Title) == Slug(n.Title) {
				pair[n], taken[o] = o, true
				break
			}
		}
	}
	// A new title on the same side over the same text, or nearly: renamed.
	type cand struct {
		o, n *Entry
		sim  float64
	}
	var cands []cand
	for _, n := range news {
		if _, ok := pair[n]; ok {
			continue
		}
		for _, o := range free() {
			if o.Side != n.Side {
				continue
			}
			if s := similarity(o.Description(), n.Description()); s >= renameSimilarity {
				cands = append(cands, cand{o, n, s})
			}
		}
	}
	slices.SortStableFunc(cands, func(a, b cand) int { return cmp.Compare(b.sim, a.sim) })
	for _, c := range cands {
		if _, ok := pair[c.n]; ok || taken[c.o] {
			continue
		}
		pair[c.n], taken[c.o] = c.o, true
	}
	return pair
}

// renameSimilarity is how alike two descriptions must be, word for word,
// for a row under a new title to be the old row renamed.
const renameSimilarity = 0.7

// similarity is 1 for the same words, 0 for nothing in common.
func similarity(a, b string) float64 {
	ws := WordDiff(a, b)
	var same, all int
	for _, w := range ws {
		n := len(strings.Fields(w.Text))
		all += n
		if w.Op == "=" {
			same += 2 * n
			all += n
		}
	}
	if all == 0 {
		return 1
	}
	return float64(same) / float64(all)
}

// entryChanges lists the fields of an entry that differ.
func entryChanges(o, n *Entry) []FieldChange {
	var out []FieldChange
	if o.Title != n.Title {
		out = append(out, FieldChange{Field: "title", Old: o.Title, New: n.Title})
	}
	if o.Owner != n.Owner {
		out = append(out, FieldChange{Field: "owner", Old: string(o.Owner), New: string(n.Owner)})
	} else if o.Side != n.Side {
		out = append(out, FieldChange{Field: "table", Old: string(o.Side), New: string(n.Side)})
	}
	out = appendText(out, "description", o.Description(), n.Description())
	var os, ns Split
	if o.Split != nil {
		os = *o.Split
	}
	if n.Split != nil {
		ns = *n.Split
	}
	out = appendText(out, "split.microsoft", os.Microsoft, ns.Microsoft)
	out = appendText(out, "split.customer", os.Customer, ns.Customer)
	if ol, nl := linkList(o.Links), linkList(n.Links); ol != nl {
		out = append(out, FieldChange{Field: "links", Old: ol, New: nl})
	}
	return out
}

func appendText(out []FieldChange, field, o, n string) []FieldChange {
	if o == n {
		return out
	}
	return append(out, FieldChange{Field: field, Old: o, New: n, Words: WordDiff(o, n)})
}

func linkList(ls []Link) string {
	var b strings.Builder
	for i, l := range ls {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "%s <%s>", l.Text, l.URL)
	}
	return b.String()
}

// orphans lists what the old knowledge says about entries whose ids the
// new knowledge does not have.
func orphans(old, new *Base) []Orphan {
	gone := func(id string) bool { _, ok := new.Entry(id); return !ok }
	out := []Orphan{}
	for _, e := range old.Entries() {
		if !gone(e.ID) {
			continue
		}
		for _, f := range []struct {
			what string
			set  bool
		}{
			{"overlay keywords", len(e.Keywords) > 0},
			{"overlay aliases", len(e.Aliases) > 0},
			{"overlay split", e.Split != nil},
			{"overlay contact", e.Contact != nil},
		} {
			if f.set {
				out = append(out, Orphan{ID: e.ID, What: f.what})
			}
		}
	}
	for _, ex := range old.Examples() {
		for _, id := range ex.Expect {
			if gone(id) {
				out = append(out, Orphan{ID: id, What: fmt.Sprintf("example %q", ex.Q), Where: exampleWhere(ex)})
			}
		}
	}
	for _, t := range old.Vocabulary().Terms {
		for _, id := range append(slices.Clone(t.Entries), t.Not...) {
			if !strings.HasSuffix(id, "/*") && gone(id) {
				out = append(out, Orphan{ID: id, What: fmt.Sprintf("vocabulary term %q", t.Term), Where: termWhere(t)})
			}
		}
	}
	return out
}

// OrphanGroup is what names one entry id that is gone, counted: the
// overlay's annotations, the examples by file, the vocabulary terms.
type OrphanGroup struct {
	ID       string
	Overlay  []string // "keywords", "aliases", "split", "contact"
	Examples int
	// Files are the example files with how many examples each, most first.
	Files []FileCount
	Terms []string
}

// FileCount is a file and how many things in it.
type FileCount struct {
	File  string
	Count int
}

// OrphanGroups returns the orphans grouped by id, in the order of the list.
func (d *Diff) OrphanGroups() []OrphanGroup {
	var out []OrphanGroup
	at := map[string]int{}
	for _, o := range d.Orphans {
		i, ok := at[o.ID]
		if !ok {
			i = len(out)
			at[o.ID] = i
			out = append(out, OrphanGroup{ID: o.ID})
		}
		g := &out[i]
		switch {
		case strings.HasPrefix(o.What, "overlay "):
			g.Overlay = append(g.Overlay, strings.TrimPrefix(o.What, "overlay "))
		case strings.HasPrefix(o.What, "example "):
			g.Examples++
			file := sourceFile(o.Where)
			if n := len(g.Files); n > 0 && g.Files[n-1].File == file {
				g.Files[n-1].Count++
			} else {
				g.Files = append(g.Files, FileCount{file, 1})
			}
		default:
			t := strings.TrimPrefix(o.What, "vocabulary term ")
			if u, err := strconv.Unquote(t); err == nil {
				t = u
			}
			g.Terms = append(g.Terms, t)
		}
	}
	for i := range out {
		slices.SortStableFunc(out[i].Files, func(a, b FileCount) int { return cmp.Compare(b.Count, a.Count) })
	}
	return out
}

func exampleWhere(ex Example) string {
	if ex.Line > 0 {
		return fmt.Sprintf("%s:%d", ex.Set, ex.Line)
	}
	return ex.Set
}

func termWhere(t Term) string {
	if t.line > 0 {
		return fmt.Sprintf("%s:%d", t.file, t.line)
	}
	return t.file
}

// wordRe cuts text into words, each with the spaces after it.
var wordRe = regexp.MustCompile(`\S+\s*|\s+`)

// firstWordRune is where the runes standing for words begin: the
// supplementary private use area, which text never uses for itself.
const firstWordRune = 0xF0000

// maxWords is how many different words a word diff tells apart (the
// private use areas A and B); beyond it the texts differ as a whole.
const maxWords = 2*65534 - 2

// WordDiff returns the word-level diff of two texts: runs kept ("="),
// removed ("-") and added ("+"), cleaned up for a person to read.
func WordDiff(a, b string) []WordEdit {
	if a == b {
		if a == "" {
			return nil
		}
		return []WordEdit{{Op: "=", Text: a}}
	}
	words := []string{}
	index := map[string]rune{}
	encode := func(s string) []rune {
		toks := wordRe.FindAllString(s, -1)
		rs := make([]rune, 0, len(toks))
		for _, t := range toks {
			r, ok := index[t]
			if !ok {
				r = firstWordRune + rune(len(words))
				if r >= 0xFFFFE {
					r += 2 // skip the two noncharacters between the areas
				}
				index[t] = r
				words = append(words, t)
			}
			rs = append(rs, r)
		}
		return rs
	}
	ra, rb := encode(a), encode(b)
	if len(words) > maxWords {
		return []WordEdit{{Op: "-", Text: a}, {Op: "+", Text: b}}
	}
	dmp := diffmatchpatch.New()
	dmp.DiffTimeout = 0
	ds := dmp.DiffCleanupSemantic(dmp.DiffMainRunes(ra, rb, false))
	out := make([]WordEdit, 0, len(ds))
	for _, d := range ds {
		var t strings.Builder
		for _, r := range d.Text {
			i := int(r - firstWordRune)
			if r > 0xFFFFF {
				i -= 2
			}
			t.WriteString(words[i])
		}
		op := "="
		switch d.Type {
		case diffmatchpatch.DiffDelete:
			op = "-"
		case diffmatchpatch.DiffInsert:
			op = "+"
		}
		out = append(out, WordEdit{Op: op, Text: t.String()})
	}
	return out
}

// wordContext is how many words of unchanged text are shown around a change.
const wordContext = 6

// WordDiffText writes a word diff as git's --word-diff does: removed words
// in [-…-], added words in {+…+}, long unchanged runs shortened to a few
// words on each side of a change, with "…".
func WordDiffText(ws []WordEdit) string {
	var b strings.Builder
	for i, w := range ws {
		switch w.Op {
		case "-":
			b.WriteString("[-" + strings.TrimSpace(w.Text) + "-]")
			if i == len(ws)-1 || ws[i+1].Op != "+" {
				b.WriteString(trailing(w.Text))
			}
		case "+":
			b.WriteString("{+" + strings.TrimSpace(w.Text) + "+}" + trailing(w.Text))
		default:
			b.WriteString(shorten(w.Text, i > 0, i < len(ws)-1))
		}
	}
	return strings.TrimSpace(b.String())
}

func trailing(s string) string {
	if strings.TrimRight(s, " \t\n") != s {
		return " "
	}
	return ""
}

// shorten keeps the words of an unchanged run next to the changes around it.
func shorten(s string, after, before bool) string {
	ws := strings.Fields(s)
	keep := 0
	if after {
		keep += wordContext
	}
	if before {
		keep += wordContext
	}
	if len(ws) <= keep {
		return strings.Join(ws, " ") + trailing(s)
	}
	var parts []string
	if after {
		parts = append(parts, strings.Join(ws[:wordContext], " "))
	}
	parts = append(parts, "…")
	if before {
		parts = append(parts, strings.Join(ws[len(ws)-wordContext:], " ")+" ")
	}
	return strings.Join(parts, " ")
}
