package knowledge

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Overlay is what a YAML knowledge file holds: entries (new ones, or additions
// to entries of the page), the domain vocabulary (terms, and concepts of the
// IT estate by category), global synonyms, the off-topic words, labelled
// examples and the bands of the model. The embedded overlay adds keywords,
// owners, splits and contacts to the Learn page; a custom YAML base may
// define its own entries.
type Overlay struct {
	name string
	// Extends is "default" when the file extends the embedded knowledge.
	Extends    string
	Page       *Page
	Entries    []OverlayEntry
	Vocabulary []Term
	// Categories are the concepts of the IT estate by category; their
	// concepts are also in Vocabulary (those tied to entries) or OffTopic
	// (those outside MMD).
	Categories []Category
	Synonyms   []Synonym
	OffTopic   []string
	Examples   []Example
	// Bands, when given, are the thresholds of the model's bands.
	Bands *Bands
	// parts, when set, are overlays whose entries apply in order (a custom
	// file extending the embedded overlay).
	parts []*Overlay
}

// OverlayEntry adds to, or defines, one entry. With a Title it defines the
// entry (or replaces one of the same id); without, it annotates an existing one.
type OverlayEntry struct {
	ID          string   `yaml:"id"`
	Title       string   `yaml:"title"`
	Side        string   `yaml:"side"`
	Owner       string   `yaml:"owner"`
	Description string   `yaml:"description"`
	Links       []Link   `yaml:"links"`
	Keywords    []string `yaml:"keywords"`
	Aliases     []string `yaml:"aliases"`
	Contact     *Contact `yaml:"contact"`
	Split       *Split   `yaml:"split"`
	line        int
}

// Term is one word or phrase of the domain vocabulary: what people type
// (Term and its Also forms), tied to the entries whose text covers it.
type Term struct {
	Term    string   `yaml:"term"`
	Also    []string `yaml:"also"`
	Entries []string `yaml:"entries"`
	// Not lists entries the term argues against ("outside mmd" argues against
	// Microsoft's rows); "microsoft/*" names every entry of a side.
	Not []string `yaml:"not"`
	// Weight scales how strongly the term points to its entries (default 1).
	Weight float64 `yaml:"weight"`
	// Category names the category of a concept of the IT estate.
	Category string `yaml:"-"`
	line     int
	file     string
}

// Category is one part of the IT estate and its concepts.
type Category struct {
	Name     string    `yaml:"name"`
	About    string    `yaml:"about"`
	Concepts []Concept `yaml:"concepts"`
}

// Concept is one thing of the IT estate: a term tied to entries, or, when
// Outside, a topic no entry covers.
type Concept struct {
	Term    `yaml:",inline"`
	Outside bool `yaml:"outside"`
}

// Synonym rewrites words people type into the words the knowledge uses,
// before matching: "licence" → "license", "o365" → "office".
type Synonym struct {
	Words []string `yaml:"words"`
	Means string   `yaml:"means"`
	line  int
}

var (
	entryKeys    = []string{"id", "title", "side", "owner", "description", "links", "keywords", "aliases", "contact", "split"}
	termKeys     = []string{"term", "also", "entries", "not", "weight"}
	conceptKeys  = []string{"term", "also", "entries", "not", "weight", "outside"}
	categoryKeys = []string{"name", "about", "concepts"}
	synKeys      = []string{"words", "means"}
	pageKeys     = []string{"title", "description", "date", "url", "attribution"}
	bandKeys     = []string{"out_of_scope", "unknown", "close"}
)

// overlayReader reads one YAML knowledge file, collecting every error.
type overlayReader struct {
	ov   *Overlay
	errs Errors
}

func (r *overlayReader) bad(n *yaml.Node, format string, args ...any) {
	r.errs = append(r.errs, &LoadError{File: r.ov.name, Line: n.Line, Msg: fmt.Sprintf(format, args...)})
}

// overlaySections reads each top-level key of a knowledge file.
var overlaySections = map[string]func(*overlayReader, *yaml.Node){
	"extends":    (*overlayReader).extends,
	"page":       (*overlayReader).page,
	"entries":    (*overlayReader).entries,
	"vocabulary": (*overlayReader).vocabulary,
	"concepts":   (*overlayReader).concepts,
	"synonyms":   (*overlayReader).synonyms,
	"offtopic":   (*overlayReader).offtopic,
	"examples":   (*overlayReader).examples,
	"bands":      (*overlayReader).bands,
}

// topKeys are the top-level keys of a knowledge file, in the order the
// schema documents them.
var topKeys = []string{"extends", "page", "entries", "vocabulary", "concepts", "synonyms", "offtopic", "examples", "bands"}

// ParseOverlay reads a YAML knowledge file. Errors name the file and line.
func ParseOverlay(name string, data []byte) (*Overlay, error) {
	r := &overlayReader{ov: &Overlay{name: name}}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, Errors{yamlError(name, err)}
	}
	if len(doc.Content) == 0 {
		return r.ov, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		r.bad(root, "the file must be a mapping with keys %s", strings.Join(topKeys, ", "))
		return nil, r.errs
	}
	checkKeys(root, topKeys, "the file", r.bad)
	for i := 0; i+1 < len(root.Content); i += 2 {
		if read, ok := overlaySections[root.Content[i].Value]; ok {
			read(r, root.Content[i+1])
		}
	}
	if len(r.errs) > 0 {
		return nil, r.errs
	}
	return r.ov, nil
}

func (r *overlayReader) extends(val *yaml.Node) {
	if val.Value != "default" {
		r.bad(val, "extends must be \"default\" (the embedded knowledge), not %q", val.Value)
	}
	r.ov.Extends = val.Value
}

func (r *overlayReader) page(val *yaml.Node) {
	checkKeys(val, pageKeys, "page", r.bad)
	var p Page
	if err := val.Decode(&p); err != nil {
		r.bad(val, "page: %v", trimYAML(err))
		return
	}
	if p.Date != "" {
		d, err := parseDate(p.Date)
		if err != nil {
			r.bad(val, "page: %v", strings.Replace(err.Error(), "ms.date", "date", 1))
		}
		p.Date = d
	}
	r.ov.Page = &p
}

// list reports whether val is a YAML list, and says so when it is not.
func (r *overlayReader) list(val *yaml.Node, what string) bool {
	if val.Kind != yaml.SequenceNode {
		r.bad(val, "%s must be a list", what)
		return false
	}
	return true
}

func (r *overlayReader) entries(val *yaml.Node) {
	if !r.list(val, "entries") {
		return
	}
	seen := map[string]int{}
	for _, n := range val.Content {
		if e, ok := r.entry(n); ok {
			key := strings.ToLower(e.ID)
			if key == "" && e.Side != "" {
				key = e.Side + "/" + Slug(e.Title)
			}
			if prev, dup := seen[key]; dup && key != "" {
				r.bad(n, "entry %s is already given at line %d", key, prev)
			} else if key != "" {
				seen[key] = n.Line
			}
			r.ov.Entries = append(r.ov.Entries, e)
		}
	}
}

// entry reads and checks one entry.
func (r *overlayReader) entry(n *yaml.Node) (OverlayEntry, bool) {
	checkKeys(n, entryKeys, "an entry", r.bad)
	var e OverlayEntry
	if err := n.Decode(&e); err != nil {
		r.bad(n, "entry: %v", trimYAML(err))
		return e, false
	}
	e.line = n.Line
	if e.ID == "" && e.Title == "" {
		r.bad(n, "an entry needs an id (to add to an existing entry) or a title (to define one)")
		return e, false
	}
	name := firstNonEmpty(e.ID, e.Title)
	if e.Owner != "" {
		if _, err := ParseOwner(e.Owner); err != nil {
			r.bad(valueNode(n, "owner"), "entry %s: %v", name, err)
		}
	}
	if e.Side != "" && e.Side != string(SideMicrosoft) && e.Side != string(SideCustomer) {
		r.bad(valueNode(n, "side"), "entry %s: unknown side %q (want microsoft or customer)", name, e.Side)
	}
	for _, l := range e.Links {
		if !webURL(l.URL) {
			r.bad(valueNode(n, "links"), "entry %s: link %q is not an absolute http or https address", name, l.URL)
		}
	}
	if e.Contact != nil {
		if strings.TrimSpace(e.Contact.Text) == "" {
			r.bad(valueNode(n, "contact"), "entry %s: a contact needs a text", name)
		}
		if e.Contact.URL != "" && !webURL(e.Contact.URL) && !strings.HasPrefix(e.Contact.URL, "mailto:") {
			r.bad(valueNode(n, "contact"), "entry %s: contact address %q is not an http, https or mailto: address", name, e.Contact.URL)
		}
	}
	if e.Split != nil && (strings.TrimSpace(e.Split.Microsoft) == "" || strings.TrimSpace(e.Split.Customer) == "") {
		r.bad(valueNode(n, "split"), "entry %s: a split needs both microsoft and customer", name)
	}
	return e, true
}

func (r *overlayReader) vocabulary(val *yaml.Node) {
	if !r.list(val, "vocabulary") {
		return
	}
	for _, n := range val.Content {
		checkKeys(n, termKeys, "a vocabulary term", r.bad)
		var t Term
		if err := n.Decode(&t); err != nil {
			r.bad(n, "vocabulary: %v", trimYAML(err))
			continue
		}
		if r.term(n, &t) {
			if len(t.Entries) == 0 {
				r.bad(n, "vocabulary term %q names no entries", t.Term)
			}
			r.ov.Vocabulary = append(r.ov.Vocabulary, t)
		}
	}
}

// term checks a vocabulary term or concept.
func (r *overlayReader) term(n *yaml.Node, t *Term) bool {
	t.line, t.file = n.Line, r.ov.name
	if strings.TrimSpace(t.Term) == "" {
		r.bad(n, "a vocabulary term needs a term")
		return false
	}
	for _, f := range t.Also {
		if strings.Contains(f, " ~ ") && len(strings.Split(f, " ~ ")) != 2 {
			r.bad(n, "vocabulary term %q: %q: a \"~\" form joins exactly two parts, as in \"not ~ mmd\"", t.Term, f)
		}
	}
	if t.Weight < 0 || t.Weight > 5 {
		r.bad(n, "vocabulary term %q: weight %v is outside 0..5", t.Term, t.Weight)
	}
	return true
}

// concepts reads the IT estate by category: each concept becomes a
// vocabulary term, or an off-topic phrase when it is outside MMD.
func (r *overlayReader) concepts(val *yaml.Node) {
	if !r.list(val, "concepts") {
		return
	}
	for _, cn := range val.Content {
		checkKeys(cn, categoryKeys, "a category of concepts", r.bad)
		var c Category
		if err := cn.Decode(&c); err != nil {
			r.bad(cn, "concepts: %v", trimYAML(err))
			continue
		}
		if strings.TrimSpace(c.Name) == "" {
			r.bad(cn, "a category of concepts needs a name")
		}
		list := valueNode(cn, "concepts")
		if list == cn || !r.list(list, "the concepts of category "+strconv.Quote(c.Name)) {
			continue
		}
		for i, n := range list.Content {
			checkKeys(n, conceptKeys, "a concept", r.bad)
			k := &c.Concepts[i]
			if !r.term(n, &k.Term) {
				continue
			}
			k.Category = c.Name
			switch {
			case k.Outside && len(k.Entries) > 0:
				r.bad(n, "concept %q is outside MMD and names entries: it is one or the other", k.Term.Term)
			case k.Outside:
				r.ov.OffTopic = append(r.ov.OffTopic, append([]string{k.Term.Term}, k.Also...)...)
			case len(k.Entries) == 0:
				r.bad(n, "concept %q names no entries (or say outside: true)", k.Term.Term)
			default:
				r.ov.Vocabulary = append(r.ov.Vocabulary, k.Term)
			}
		}
		r.ov.Categories = append(r.ov.Categories, c)
	}
}

func (r *overlayReader) synonyms(val *yaml.Node) {
	if !r.list(val, "synonyms") {
		return
	}
	for _, n := range val.Content {
		checkKeys(n, synKeys, "a synonym", r.bad)
		var s Synonym
		if err := n.Decode(&s); err != nil {
			r.bad(n, "synonyms: %v", trimYAML(err))
			continue
		}
		s.line = n.Line
		if len(s.Words) == 0 || strings.TrimSpace(s.Means) == "" {
			r.bad(n, "a synonym needs words and what they mean")
			continue
		}
		r.ov.Synonyms = append(r.ov.Synonyms, s)
	}
}

func (r *overlayReader) offtopic(val *yaml.Node) {
	var words []string
	if err := val.Decode(&words); err != nil {
		r.bad(val, "offtopic must be a list of words: %v", trimYAML(err))
		return
	}
	r.ov.OffTopic = append(r.ov.OffTopic, words...)
}

func (r *overlayReader) examples(val *yaml.Node) {
	exs, err := examplesOf(r.ov.name, val)
	if errs, ok := AsErrors(err); ok {
		r.errs = append(r.errs, errs...)
		return
	}
	r.ov.Examples = append(r.ov.Examples, exs...)
}

func (r *overlayReader) bands(val *yaml.Node) {
	checkKeys(val, bandKeys, "bands", r.bad)
	var bd Bands
	if err := val.Decode(&bd); err != nil {
		r.bad(val, "bands: %v", trimYAML(err))
		return
	}
	if bd.OutOfScope <= 0 || bd.OutOfScope > 1 || bd.Unknown < 0 || bd.Unknown >= 1 || bd.Close <= 0 || bd.Close > 1 {
		r.bad(val, "bands: out_of_scope must be above 0 and at most 1, unknown at least 0 and under 1, close above 0 and at most 1 (got %v, %v and %v)", bd.OutOfScope, bd.Unknown, bd.Close)
		return
	}
	r.ov.Bands = &bd
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func checkKeys(n *yaml.Node, allowed []string, what string, bad func(*yaml.Node, string, ...any)) {
	if n.Kind != yaml.MappingNode {
		bad(n, "%s must be a mapping", what)
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; !slices.Contains(allowed, k.Value) {
			bad(k, "unknown key %q in %s (known keys: %s)", k.Value, what, strings.Join(allowed, ", "))
		}
	}
}

func valueNode(n *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return n
}

func yamlError(name string, err error) *LoadError {
	msg := trimYAML(err)
	line := 0
	if _, after, ok := strings.Cut(msg, "line "); ok {
		fmt.Sscan(after, &line)
		if i := strings.Index(msg, ": "); i >= 0 && strings.HasPrefix(msg, "line ") {
			msg = msg[i+2:]
		}
	}
	return &LoadError{File: name, Line: line, Msg: "not valid YAML: " + msg}
}

func trimYAML(err error) string {
	return strings.TrimPrefix(strings.TrimPrefix(err.Error(), "yaml: "), "unmarshal errors:\n  ")
}

// apply adds the overlay's entries to b. When strict, an annotation of an
// entry that does not exist is an error; otherwise it is skipped.
func (ov *Overlay) apply(b *Base, strict bool) error {
	errs := ov.applyParts(b, strict)
	if strict {
		for _, t := range ov.Vocabulary {
			for _, id := range append(slices.Clone(t.Entries), t.Not...) {
				if strings.HasSuffix(id, "/*") {
					continue
				}
				if _, ok := b.byID[id]; !ok {
					errs = append(errs, &LoadError{File: t.file, Line: t.line, Msg: fmt.Sprintf("vocabulary term %q names entry %q, which does not exist", t.Term, id)})
				}
			}
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// applyParts applies the entries of the overlay, or of each overlay it was
// merged from, in order.
func (ov *Overlay) applyParts(b *Base, strict bool) Errors {
	if ov.parts == nil {
		return ov.applyEntries(b, strict)
	}
	var errs Errors
	for _, p := range ov.parts {
		errs = append(errs, p.applyParts(b, strict)...)
	}
	return errs
}

func (ov *Overlay) applyEntries(b *Base, strict bool) Errors {
	var errs Errors
	for _, oe := range ov.Entries {
		bad := func(format string, args ...any) {
			errs = append(errs, &LoadError{File: ov.name, Line: oe.line, Msg: fmt.Sprintf(format, args...)})
		}
		var e *Entry
		if oe.Title != "" {
			if oe.Side == "" {
				bad("entry %q needs a side (microsoft or customer)", oe.Title)
				continue
			}
			id := strings.ToLower(oe.ID)
			if id == "" {
				id = oe.Side + "/" + Slug(oe.Title)
			}
			if !validID(id) {
				bad("entry id %q is not of the form side/slug (for example customer/service-desk)", id)
				continue
			}
			if strings.TrimSpace(oe.Description) == "" {
				bad("entry %q has no description", id)
				continue
			}
			e = &Entry{ID: id, Title: oe.Title, Side: Side(oe.Side), Owner: Owner(oe.Side), Blocks: textBlocks(oe.Description), Links: []Link{}}
			if old, ok := b.byID[id]; ok {
				*old = *e
				e = old
			} else {
				b.entries = append(b.entries, e)
				b.byID[id] = e
			}
			e.Source = fmt.Sprintf("%s:%d", ov.name, oe.line)
		} else {
			var ok bool
			e, ok = b.byID[strings.ToLower(oe.ID)]
			if !ok {
				if strict {
					bad("entry %q does not exist (known: %s)", oe.ID, strings.Join(sortedIDs(b.byID), ", "))
				}
				continue
			}
		}
		if oe.Owner != "" {
			e.Owner, _ = ParseOwner(oe.Owner)
		}
		if len(oe.Links) > 0 {
			e.Links = append(e.Links, oe.Links...)
		}
		e.Keywords = append(e.Keywords, oe.Keywords...)
		e.Aliases = append(e.Aliases, oe.Aliases...)
		if oe.Contact != nil {
			e.Contact = oe.Contact
		}
		if oe.Split != nil {
			e.Split = oe.Split
		}
	}
	return errs
}

func validID(id string) bool {
	side, slug, ok := strings.Cut(id, "/")
	return ok && (side == string(SideMicrosoft) || side == string(SideCustomer)) && slug != "" && Slug(slug) == slug
}

// textBlocks turns a plain-text description into blocks: blank lines separate
// paragraphs; lines starting "- " or "• " are list items.
func textBlocks(s string) []Block {
	var blocks []Block
	for _, para := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n\n") {
		var bl Block
		var text []string
		for _, line := range strings.Split(para, "\n") {
			line = strings.TrimSpace(line)
			if item, ok := cutBullet(line); ok {
				bl.Items = append(bl.Items, item)
			} else if line != "" {
				text = append(text, line)
			}
		}
		bl.Text = strings.Join(text, " ")
		if bl.Text != "" || len(bl.Items) > 0 {
			blocks = append(blocks, bl)
		}
	}
	return blocks
}

func cutBullet(line string) (string, bool) {
	for _, p := range []string{"- ", "* ", "• "} {
		if strings.HasPrefix(line, p) {
			return strings.TrimSpace(line[len(p):]), true
		}
	}
	return "", false
}

// loadYAML loads a knowledge base in mmdbot's YAML schema.
func loadYAML(f File) (*Base, error) {
	b, ov, err := readYAML(f)
	if err != nil {
		return nil, err
	}
	return b.Train(ov.Examples), nil
}

// readYAML reads a knowledge base in mmdbot's YAML schema, untrained, and
// returns the overlay to train it with.
func readYAML(f File) (*Base, *Overlay, error) {
	ov, err := ParseOverlay(f.Name, f.Data)
	if err != nil {
		return nil, nil, err
	}
	var (
		page    Page
		entries []*Entry
		base    *Overlay
	)
	if ov.Extends == "default" {
		var err error
		page, entries, err = ParseMarkdown(DefaultPageName, defaultPage, "")
		if err != nil {
			return nil, nil, err
		}
		page.Attribution = DefaultAttribution
		if base, err = embeddedOverlay(); err != nil {
			return nil, nil, err
		}
	} else {
		if ov.Page == nil || ov.Page.Title == "" || ov.Page.URL == "" {
			return nil, nil, Errors{{File: f.Name, Line: 1, Msg: "a knowledge base that does not say \"extends: default\" needs a page with at least a title and a url (and best a description and a date)"}}
		}
		defined := 0
		for _, e := range ov.Entries {
			if e.Title != "" {
				defined++
			}
		}
		if defined == 0 {
			return nil, nil, Errors{{File: f.Name, Line: 1, Msg: "the knowledge base defines no entries (an entry with a title, side and description)"}}
		}
	}
	if ov.Page != nil {
		p := *ov.Page
		if p.URL != "" && !webURL(p.URL) {
			return nil, nil, Errors{{File: f.Name, Line: 1, Msg: fmt.Sprintf("page url %q is not an absolute http or https address", p.URL)}}
		}
		page = mergePage(page, p)
	}
	merged := ov
	if base != nil {
		merged = base.merge(ov)
	}
	b, err := build(page, entries, merged, true)
	return b, merged, err
}

func mergePage(a, b Page) Page {
	a.Title = firstNonEmpty(b.Title, a.Title)
	a.Description = firstNonEmpty(b.Description, a.Description)
	a.Date = firstNonEmpty(b.Date, a.Date)
	a.URL = firstNonEmpty(b.URL, a.URL)
	a.Attribution = firstNonEmpty(b.Attribution, a.Attribution)
	return a
}

// merge returns an overlay that applies o after ov.
func (ov *Overlay) merge(o *Overlay) *Overlay {
	m := *o
	m.Entries = nil
	// Entries keep their own file name for errors: apply them in two passes.
	m.Vocabulary = append(slices.Clone(ov.Vocabulary), o.Vocabulary...)
	m.Synonyms = append(slices.Clone(ov.Synonyms), o.Synonyms...)
	m.OffTopic = append(slices.Clone(ov.OffTopic), o.OffTopic...)
	m.Categories = append(slices.Clone(ov.Categories), o.Categories...)
	m.Examples = append(slices.Clone(ov.Examples), o.Examples...)
	if m.Bands == nil {
		m.Bands = ov.Bands
	}
	m.parts = []*Overlay{ov, o}
	return &m
}

// expandIDs resolves entry ids, where "side/*" names every entry of a side;
// ids that do not exist are dropped.
func expandIDs(b *Base, ids []string) []string {
	var out []string
	for _, id := range ids {
		if side, ok := strings.CutSuffix(id, "/*"); ok {
			for _, e := range b.entries {
				if string(e.Side) == side {
					out = append(out, e.ID)
				}
			}
			continue
		}
		if _, ok := b.byID[id]; ok {
			out = append(out, id)
		}
	}
	return out
}

// webURL reports whether s is an absolute http or https address.
func webURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}
