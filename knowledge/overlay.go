package knowledge

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Overlay is what a YAML knowledge file holds: entries (new ones, or additions
// to entries of the page), the domain vocabulary, global synonyms and the
// off-topic words. The embedded overlay adds keywords, owners, splits and
// contacts to the Learn page; a custom YAML base may define its own entries.
type Overlay struct {
	name string
	// Extends is "default" when the file extends the embedded knowledge.
	Extends    string
	Page       *Page
	Entries    []OverlayEntry
	Vocabulary []Term
	Synonyms   []Synonym
	OffTopic   []string
	offLine    int
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
	line   int
	file   string
}

// Synonym rewrites words people type into the words the knowledge uses,
// before matching: "licence" → "license", "o365" → "office".
type Synonym struct {
	Words []string `yaml:"words"`
	Means string   `yaml:"means"`
	line  int
}

var (
	topKeys   = []string{"extends", "page", "entries", "vocabulary", "synonyms", "offtopic"}
	entryKeys = []string{"id", "title", "side", "owner", "description", "links", "keywords", "aliases", "contact", "split"}
	termKeys  = []string{"term", "also", "entries", "not", "weight"}
	synKeys   = []string{"words", "means"}
	pageKeys  = []string{"title", "description", "date", "url", "attribution"}
)

// ParseOverlay reads a YAML knowledge file. Errors name the file and line.
func ParseOverlay(name string, data []byte) (*Overlay, error) {
	ov := &Overlay{name: name}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, Errors{yamlError(name, err)}
	}
	if len(doc.Content) == 0 {
		return ov, nil
	}
	root := doc.Content[0]
	var errs Errors
	bad := func(n *yaml.Node, format string, args ...any) {
		errs = append(errs, &LoadError{File: name, Line: n.Line, Msg: fmt.Sprintf(format, args...)})
	}
	if root.Kind != yaml.MappingNode {
		bad(root, "the file must be a mapping with keys %s", strings.Join(topKeys, ", "))
		return nil, errs
	}
	checkKeys(root, topKeys, "the file", bad)
	for i := 0; i+1 < len(root.Content); i += 2 {
		key, val := root.Content[i].Value, root.Content[i+1]
		switch key {
		case "extends":
			if val.Value != "default" {
				bad(val, "extends must be \"default\" (the embedded knowledge), not %q", val.Value)
			}
			ov.Extends = val.Value
		case "page":
			checkKeys(val, pageKeys, "page", bad)
			var p Page
			if err := val.Decode(&p); err != nil {
				bad(val, "page: %v", trimYAML(err))
				continue
			}
			if p.Date != "" {
				d, err := parseDate(p.Date)
				if err != nil {
					bad(val, "page: %v", strings.Replace(err.Error(), "ms.date", "date", 1))
				}
				p.Date = d
			}
			ov.Page = &p
		case "entries":
			if val.Kind != yaml.SequenceNode {
				bad(val, "entries must be a list")
				continue
			}
			seenEntries := map[string]int{}
			for _, n := range val.Content {
				checkKeys(n, entryKeys, "an entry", bad)
				var e OverlayEntry
				if err := n.Decode(&e); err != nil {
					bad(n, "entry: %v", trimYAML(err))
					continue
				}
				e.line = n.Line
				if e.ID == "" && e.Title == "" {
					bad(n, "an entry needs an id (to add to an existing entry) or a title (to define one)")
					continue
				}
				if e.Owner != "" {
					if _, err := ParseOwner(e.Owner); err != nil {
						bad(valueNode(n, "owner"), "entry %s: %v", firstNonEmpty(e.ID, e.Title), err)
					}
				}
				if e.Side != "" && e.Side != string(SideMicrosoft) && e.Side != string(SideCustomer) {
					bad(valueNode(n, "side"), "entry %s: unknown side %q (want microsoft or customer)", firstNonEmpty(e.ID, e.Title), e.Side)
				}
				for _, l := range e.Links {
					if !webURL(l.URL) {
						bad(valueNode(n, "links"), "entry %s: link %q is not an absolute http or https address", firstNonEmpty(e.ID, e.Title), l.URL)
					}
				}
				if e.Contact != nil {
					if strings.TrimSpace(e.Contact.Text) == "" {
						bad(valueNode(n, "contact"), "entry %s: a contact needs a text", firstNonEmpty(e.ID, e.Title))
					}
					if e.Contact.URL != "" && !webURL(e.Contact.URL) && !strings.HasPrefix(e.Contact.URL, "mailto:") {
						bad(valueNode(n, "contact"), "entry %s: contact address %q is not an http, https or mailto: address", firstNonEmpty(e.ID, e.Title), e.Contact.URL)
					}
				}
				key := strings.ToLower(e.ID)
				if key == "" && e.Side != "" {
					key = e.Side + "/" + Slug(e.Title)
				}
				if prev, dup := seenEntries[key]; dup && key != "" {
					bad(n, "entry %s is already given at line %d", key, prev)
				} else if key != "" {
					seenEntries[key] = n.Line
				}
				if e.Split != nil && (strings.TrimSpace(e.Split.Microsoft) == "" || strings.TrimSpace(e.Split.Customer) == "") {
					bad(valueNode(n, "split"), "entry %s: a split needs both microsoft and customer", firstNonEmpty(e.ID, e.Title))
				}
				ov.Entries = append(ov.Entries, e)
			}
		case "vocabulary":
			if val.Kind != yaml.SequenceNode {
				bad(val, "vocabulary must be a list")
				continue
			}
			for _, n := range val.Content {
				checkKeys(n, termKeys, "a vocabulary term", bad)
				var t Term
				if err := n.Decode(&t); err != nil {
					bad(n, "vocabulary: %v", trimYAML(err))
					continue
				}
				t.line, t.file = n.Line, name
				if strings.TrimSpace(t.Term) == "" {
					bad(n, "a vocabulary term needs a term")
					continue
				}
				if len(t.Entries) == 0 {
					bad(n, "vocabulary term %q names no entries", t.Term)
				}
				for _, f := range t.Also {
					if strings.Contains(f, " ~ ") && len(strings.Split(f, " ~ ")) != 2 {
						bad(n, "vocabulary term %q: %q: a \"~\" form joins exactly two parts, as in \"not ~ mmd\"", t.Term, f)
					}
				}
				if t.Weight < 0 || t.Weight > 5 {
					bad(n, "vocabulary term %q: weight %v is outside 0..5", t.Term, t.Weight)
				}
				ov.Vocabulary = append(ov.Vocabulary, t)
			}
		case "synonyms":
			if val.Kind != yaml.SequenceNode {
				bad(val, "synonyms must be a list")
				continue
			}
			for _, n := range val.Content {
				checkKeys(n, synKeys, "a synonym", bad)
				var s Synonym
				if err := n.Decode(&s); err != nil {
					bad(n, "synonyms: %v", trimYAML(err))
					continue
				}
				s.line = n.Line
				if len(s.Words) == 0 || strings.TrimSpace(s.Means) == "" {
					bad(n, "a synonym needs words and what they mean")
					continue
				}
				ov.Synonyms = append(ov.Synonyms, s)
			}
		case "offtopic":
			if err := val.Decode(&ov.OffTopic); err != nil {
				bad(val, "offtopic must be a list of words: %v", trimYAML(err))
			}
			ov.offLine = val.Line
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return ov, nil
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
	var errs Errors
	parts := ov.parts
	if parts == nil {
		parts = []*Overlay{ov}
	}
	for _, p := range parts {
		errs = append(errs, p.applyEntries(b, strict)...)
	}
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
	ov, err := ParseOverlay(f.Name, f.Data)
	if err != nil {
		return nil, err
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
			return nil, err
		}
		page.Attribution = DefaultAttribution
		if base, err = ParseOverlay(DefaultOverlayName, defaultOverlay); err != nil {
			return nil, err
		}
	} else {
		if ov.Page == nil || ov.Page.Title == "" || ov.Page.URL == "" {
			return nil, Errors{{File: f.Name, Line: 1, Msg: "a knowledge base that does not say \"extends: default\" needs a page with at least a title and a url (and best a description and a date)"}}
		}
		defined := 0
		for _, e := range ov.Entries {
			if e.Title != "" {
				defined++
			}
		}
		if defined == 0 {
			return nil, Errors{{File: f.Name, Line: 1, Msg: "the knowledge base defines no entries (an entry with a title, side and description)"}}
		}
	}
	if ov.Page != nil {
		p := *ov.Page
		if p.URL != "" && !webURL(p.URL) {
			return nil, Errors{{File: f.Name, Line: 1, Msg: fmt.Sprintf("page url %q is not an absolute http or https address", p.URL)}}
		}
		page = mergePage(page, p)
	}
	merged := ov
	if base != nil {
		merged = base.merge(ov)
	}
	return assemble(page, entries, merged, true)
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
