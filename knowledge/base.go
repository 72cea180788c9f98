package knowledge

import (
	"bytes"
	_ "embed"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// The embedded default knowledge: the Learn page and the overlay.
var (
	//go:embed data/roles-and-responsibilities.md
	defaultPage []byte
	//go:embed data/overlay.yaml
	defaultOverlay []byte
	//go:embed data/concepts.yaml
	defaultConcepts []byte
)

// DefaultPageName is the name errors and sources give the embedded page.
const DefaultPageName = "roles-and-responsibilities.md"

// DefaultOverlayName is the name errors give the embedded overlay.
const DefaultOverlayName = "overlay.yaml"

// DefaultConceptsName is the name errors give the embedded concepts of the
// IT estate, the second file of the embedded overlay.
const DefaultConceptsName = "concepts.yaml"

// DefaultAttribution credits the embedded Learn page.
const DefaultAttribution = "Microsoft Learn, \"Microsoft Managed Desktop roles and responsibilities\", © Microsoft, CC BY 4.0"

// Base is a loaded, validated knowledge base, ready to search. It is immutable
// once built and safe for concurrent use.
type Base struct {
	page    Page
	entries []*Entry
	byID    map[string]*Entry
	vocab   *Vocabulary
	index   *index
	// examples are the labelled questions the model is trained on; model
	// is nil when there are none. bands turn its probabilities into bands.
	examples []Example
	model    *model
	sides    *model // which side a question about a shared entry asks about
	bands    Bands
	pos      map[string]int // entry id → index in entries
	learnt   *learning      // the examples observed, shared by copies made by Without
	// taught are the questions answered as admins decided, word for word
	// (folded), whatever the model says: see Teach.
	taught map[string]Example
}

// Page returns the facts of the source page.
func (b *Base) Page() Page { return b.page }

// Entries returns every entry, in page order. The slice must not be changed.
func (b *Base) Entries() []*Entry { return b.entries }

// Entry returns the entry with the given id.
func (b *Base) Entry(id string) (*Entry, bool) {
	e, ok := b.byID[strings.ToLower(strings.TrimSpace(id))]
	return e, ok
}

// ByOwner returns the entries of one owner, in page order.
func (b *Base) ByOwner(o Owner) []*Entry {
	var out []*Entry
	for _, e := range b.entries {
		if e.Owner == o {
			out = append(out, e)
		}
	}
	return out
}

// Vocabulary returns the domain vocabulary the base searches with.
func (b *Base) Vocabulary() *Vocabulary { return b.vocab }

// Default returns the embedded knowledge: the Learn page with the embedded
// overlay. It is built once and shared; a Base is never changed after it is
// built. It panics only if the embedded data is broken, which the tests rule
// out.
func Default() *Base { return defaultBase() }

var defaultBase = sync.OnceValue(func() *Base {
	p, entries, err := ParseMarkdown(DefaultPageName, defaultPage, "")
	if err == nil {
		p.Attribution = DefaultAttribution
		var ov *Overlay
		if ov, err = embeddedOverlay(); err == nil {
			var b *Base
			if b, err = assemble(p, entries, ov, true); err == nil {
				return b
			}
		}
	}
	panic(fmt.Sprintf("knowledge: embedded data is broken: %v", err))
})

// embeddedOverlay is the embedded overlay: overlay.yaml, the concepts of the
// IT estate, and the labelled question sets as examples.
func embeddedOverlay() (*Overlay, error) {
	ov, err := ParseOverlay(DefaultOverlayName, defaultOverlay)
	if err != nil {
		return nil, err
	}
	co, err := ParseOverlay(DefaultConceptsName, defaultConcepts)
	if err != nil {
		return nil, err
	}
	exs, err := defaultExamples()
	if err != nil {
		return nil, err
	}
	m := ov.merge(co)
	m.Examples = append(m.Examples, exs...)
	return m, nil
}

// File is one knowledge file: its name (for errors) and its bytes.
type File struct {
	Name string
	Data []byte
}

// DefaultOverlay returns the embedded overlay file, for those who want to
// start their own from it.
func DefaultOverlay() []byte { return bytes.Clone(defaultOverlay) }

// DefaultPage returns the embedded Learn page, byte for byte as published:
// what a check against the published page compares with.
func DefaultPage() []byte { return bytes.Clone(defaultPage) }

// Build makes a Base from a Learn-style Markdown page and an overlay (one
// YAML knowledge file: vocabulary, concepts, synonyms, examples…).
func Build(page, overlay File) (*Base, error) {
	p, entries, err := ParseMarkdown(page.Name, page.Data, "")
	if err != nil {
		return nil, err
	}
	if p.Attribution == "" && page.Name == DefaultPageName {
		p.Attribution = DefaultAttribution
	}
	ov, err := ParseOverlay(overlay.Name, overlay.Data)
	if err != nil {
		return nil, err
	}
	return assemble(p, entries, ov, true)
}

// assemble applies an overlay to entries, validates the result, indexes it
// and trains its model on the overlay's examples. When strict, the overlay
// may name only entries that exist.
func assemble(p Page, entries []*Entry, ov *Overlay, strict bool) (*Base, error) {
	b, err := build(p, entries, ov, strict)
	if err != nil {
		return nil, err
	}
	return b.Train(ov.Examples), nil
}

// build is assemble without the training.
func build(p Page, entries []*Entry, ov *Overlay, strict bool) (*Base, error) {
	b := &Base{page: p, byID: map[string]*Entry{}}
	for _, e := range entries {
		if e.Links == nil {
			e.Links = []Link{}
		}
		b.byID[e.ID] = e
	}
	b.entries = entries
	if err := ov.apply(b, strict); err != nil {
		return nil, err
	}
	var errs Errors
	for _, e := range b.entries {
		if e.Owner == OwnerShared && e.Split == nil {
			errs = append(errs, &LoadError{File: sourceFile(e.Source), Line: lineOf(e.Source), Msg: fmt.Sprintf("entry %q is shared but has no split saying what Microsoft and your organisation do", e.ID)})
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	if strict {
		if errs := b.CheckExamples(ov.Examples); len(errs) > 0 {
			return nil, errs
		}
	}
	b.pos = make(map[string]int, len(b.entries))
	for i, e := range b.entries {
		b.pos[e.ID] = i
	}
	b.vocab = ov.vocabulary(b)
	b.index = buildIndex(b)
	b.bands = DefaultBands
	if ov.Bands != nil {
		b.bands = *ov.Bands
	}
	b.learnt = &learning{}
	b.examples = b.usable(ov.Examples)
	return b, nil
}

func sourceFile(src string) string {
	if i := strings.LastIndexByte(src, ':'); i >= 0 {
		return src[:i]
	}
	return src
}

// LoadFile loads a knowledge file given with --kb: Markdown in the Learn
// format (it replaces the embedded page; the embedded overlay still adds its
// vocabulary to entries with the same ids), or YAML in mmdbot's own schema
// (it replaces the embedded knowledge, or extends it with "extends: default").
func LoadFile(path string) (*Base, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read knowledge file: %w", err)
	}
	return Load(File{Name: path, Data: data})
}

// Load is LoadFile for bytes already read.
func Load(f File) (*Base, error) {
	switch strings.ToLower(filepath.Ext(f.Name)) {
	case ".md", ".markdown":
		b, ov, err := readPage(f)
		if err != nil {
			return nil, err
		}
		return b.Train(ov.Examples), nil
	case ".yaml", ".yml":
		return loadYAML(f)
	}
	return nil, Errors{{File: f.Name, Msg: "unknown kind of knowledge file: want Markdown (.md) in the Learn format or YAML (.yaml, .yml) in mmdbot's schema"}}
}

// Read reads a knowledge file as Load does, with the same errors, but
// trains no model: the base is for comparing (Compare) and checking, in a
// fraction of the time; its answers come from the lexical matcher alone.
func Read(f File) (*Base, error) {
	switch strings.ToLower(filepath.Ext(f.Name)) {
	case ".md", ".markdown":
		return ReadPage(f)
	case ".yaml", ".yml":
		b, _, err := readYAML(f)
		return b, err
	}
	return nil, Errors{{File: f.Name, Msg: "unknown kind of knowledge file: want Markdown (.md) in the Learn format or YAML (.yaml, .yml) in mmdbot's schema"}}
}

// ReadDefault is the embedded knowledge as Read reads it: untrained.
func ReadDefault() (*Base, error) {
	p, entries, err := ParseMarkdown(DefaultPageName, defaultPage, "")
	if err != nil {
		return nil, err
	}
	p.Attribution = DefaultAttribution
	ov, err := embeddedOverlay()
	if err != nil {
		return nil, err
	}
	return build(p, entries, ov, true)
}

// ReadPage is Read for a page in the Learn format whatever its name (an
// address of a published page, say).
func ReadPage(f File) (*Base, error) {
	b, _, err := readPage(f)
	return b, err
}

// readPage reads a Learn page with the embedded overlay, untrained, and
// returns the overlay to train it with.
func readPage(f File) (*Base, *Overlay, error) {
	p, entries, err := ParseMarkdown(f.Name, f.Data, "")
	if err != nil {
		return nil, nil, err
	}
	ov, err := embeddedOverlay()
	if err != nil {
		return nil, nil, err
	}
	b, err := build(p, entries, ov, false)
	return b, ov, err
}

// sortedIDs returns the keys of a map keyed by id or word, sorted.
func sortedIDs[V any](m map[string]V) []string {
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}
