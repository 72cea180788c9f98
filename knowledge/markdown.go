package knowledge

import (
	"bytes"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/yuin/goldmark"
	gast "github.com/yuin/goldmark/ast"
	east "github.com/yuin/goldmark/extension"
	extast "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/text"
	"go.yaml.in/yaml/v3"
)

// DefaultPageURL is the public address of the embedded Learn page; relative
// links in it resolve against this address.
const DefaultPageURL = "https://learn.microsoft.com/en-us/microsoft-365/managed-desktop/intro/roles-and-responsibilities"

var markdown = goldmark.New(goldmark.WithExtensions(east.Table))

// frontMatter holds the keys of a Learn page's YAML front matter that mmdbot uses.
type frontMatter struct {
	Title       string `yaml:"title"`
	Description string `yaml:"description"`
	Date        string `yaml:"ms.date"`
	URL         string `yaml:"url"`
	Attribution string `yaml:"attribution"`
}

// ParseMarkdown reads a page in the Learn format: optional YAML front matter,
// then tables of "Role or responsibility | Description" (an optional third
// "Owner" column is allowed) under headings that name the side ("Microsoft's
// roles…" or "Your roles…"). name is used in errors; pageURL is the address
// relative links resolve against ("" means the front matter's url, or
// DefaultPageURL). A bad page returns a *LoadError list and no entries.
func ParseMarkdown(name string, src []byte, pageURL string) (Page, []*Entry, error) {
	var errs Errors
	if !utf8.Valid(src) {
		return Page{}, nil, Errors{{File: name, Line: 1, Msg: "the file is not valid UTF-8 text"}}
	}
	body, fm, fmErr := splitFrontMatter(name, src)
	if fmErr != nil {
		return Page{}, nil, Errors{fmErr}
	}
	page := Page{Title: fm.Title, Description: strings.TrimSpace(fm.Description), URL: fm.URL, Attribution: fm.Attribution}
	if pageURL != "" {
		page.URL = pageURL
	}
	if page.URL == "" {
		page.URL = DefaultPageURL
	}
	base, err := url.Parse(page.URL)
	if err != nil || !webURL(page.URL) {
		errs = append(errs, &LoadError{File: name, Line: 1, Msg: fmt.Sprintf("the page address %q is not an absolute http or https address", page.URL)})
		return Page{}, nil, errs
	}
	if fm.Date != "" {
		d, err := parseDate(fm.Date)
		if err != nil {
			errs = append(errs, &LoadError{File: name, Line: lineOfKey(src, "ms.date"), Msg: err.Error()})
		}
		page.Date = d
	}

	doc := markdown.Parser().Parse(text.NewReader(body))
	lines := newLineIndex(body)
	var (
		side    Side
		heading string
		entries []*Entry
		seen    = map[string]string{}
	)
	for n := doc.FirstChild(); n != nil; n = n.NextSibling() {
		switch n := n.(type) {
		case *gast.Heading:
			t := plainText(n, body)
			if n.Level == 1 && page.Title == "" {
				page.Title = t
			}
			if s, ok := sideOfHeading(t); ok {
				side, heading = s, t
			}
		case *gast.Paragraph:
			if n.Lines().Len() > 0 {
				seg := n.Lines().At(0)
				if bytes.HasPrefix(bytes.TrimSpace(seg.Value(body)), []byte("|")) {
					errs = append(errs, &LoadError{File: name, Line: lines.line(seg.Start),
						Msg: "this looks like a table row but is not part of a table: a table needs a header row and a delimiter row such as | --- | --- | with the same number of columns"})
				}
			}
		case *extast.Table:
			es, tErrs := readTable(name, n, body, lines, side, heading, base)
			errs = append(errs, tErrs...)
			for _, e := range es {
				if prev, dup := seen[e.ID]; dup {
					errs = append(errs, &LoadError{File: name, Line: lineOf(e.Source), Msg: fmt.Sprintf("entry %q is already defined at line %d", e.ID, lineOf(prev))})
					continue
				}
				seen[e.ID] = e.Source
				entries = append(entries, e)
			}
		}
	}
	if len(errs) == 0 && len(entries) == 0 {
		errs = append(errs, &LoadError{File: name, Line: 1, Msg: "no responsibility table found: expected a table with a \"Role or responsibility | Description\" header under a heading that names Microsoft's or your roles"})
	}
	if len(errs) > 0 {
		return Page{}, nil, errs
	}
	for _, e := range entries {
		e.Source = fmt.Sprintf("%s:%s", name, e.Source)
	}
	return page, entries, nil
}

// splitFrontMatter removes a leading "---" YAML block, replacing it by as many
// blank lines so that line numbers in the body stay those of the file.
func splitFrontMatter(name string, src []byte) ([]byte, frontMatter, *LoadError) {
	var fm frontMatter
	if !bytes.HasPrefix(src, []byte("---\n")) && !bytes.HasPrefix(src, []byte("---\r\n")) {
		return src, fm, nil
	}
	rest := src[bytes.IndexByte(src, '\n')+1:]
	end := -1
	for off := 0; off < len(rest); {
		nl := bytes.IndexByte(rest[off:], '\n')
		line := rest[off:]
		if nl >= 0 {
			line = rest[off : off+nl]
		}
		if strings.TrimRight(string(line), "\r") == "---" {
			end = off
			break
		}
		if nl < 0 {
			break
		}
		off += nl + 1
	}
	if end < 0 {
		return nil, fm, &LoadError{File: name, Line: 1, Msg: "the front matter that starts here is never closed by a line \"---\""}
	}
	if err := yaml.Unmarshal(rest[:end], &fm); err != nil {
		return nil, fm, &LoadError{File: name, Line: 2, Msg: "the front matter is not valid YAML: " + err.Error()}
	}
	cut := len(src) - len(rest) + end
	if nl := bytes.IndexByte(src[cut:], '\n'); nl >= 0 {
		cut += nl + 1
	} else {
		cut = len(src)
	}
	blank := bytes.Repeat([]byte("\n"), bytes.Count(src[:cut], []byte("\n")))
	return append(blank, src[cut:]...), fm, nil
}

func parseDate(s string) (string, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"01/02/2006", "1/2/2006", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Format("2006-01-02"), nil
		}
	}
	return "", fmt.Errorf("ms.date %q is not a date (want MM/DD/YYYY or YYYY-MM-DD)", s)
}

func lineOfKey(src []byte, key string) int {
	for i, l := range strings.Split(string(src), "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), key+":") {
			return i + 1
		}
	}
	return 1
}

// sideOfHeading tells which table a heading introduces.
func sideOfHeading(t string) (Side, bool) {
	l := strings.ToLower(t)
	switch {
	case strings.Contains(l, "microsoft's") || strings.Contains(l, "microsoft’s") || strings.HasPrefix(l, "microsoft"):
		return SideMicrosoft, true
	case strings.HasPrefix(l, "your") || strings.Contains(l, "customer") || strings.Contains(l, "organization's") || strings.Contains(l, "organisation's"):
		return SideCustomer, true
	}
	return "", false
}

// Slug turns a row title into the slug part of an entry id: lower case, every
// run of characters other than a-z and 0-9 turned into "-", no leading or
// trailing "-".
func Slug(title string) string {
	lower := strings.ToLower(title)
	b := make([]byte, 0, len(lower))
	dash := false
	for i := 0; i < len(lower); i++ {
		c := lower[i]
		if 'a' <= c && c <= 'z' || '0' <= c && c <= '9' {
			if dash && len(b) > 0 {
				b = append(b, '-')
			}
			b, dash = append(b, c), false
			continue
		}
		dash = true
	}
	return string(b)
}

func readTable(name string, t *extast.Table, src []byte, lines lineIndex, side Side, heading string, base *url.URL) ([]*Entry, Errors) {
	var errs Errors
	tline := lines.line(rowPos(t.FirstChild()))
	if side == "" {
		return nil, Errors{{File: name, Line: tline, Msg: "this table is not under a heading that names its side: put it under \"## Microsoft's roles and responsibilities\" or \"## Your roles and responsibilities\""}}
	}
	cols := t.FirstChild().ChildCount()
	ownerCol := -1
	var headers []string
	for c := t.FirstChild().FirstChild(); c != nil; c = c.NextSibling() {
		headers = append(headers, strings.ToLower(plainText(c, src)))
	}
	switch {
	case cols == 2:
	case cols == 3 && headers[2] == "owner":
		ownerCol = 2
	default:
		return nil, Errors{{File: name, Line: tline, Msg: fmt.Sprintf("the table has %d columns (%s); want \"Role or responsibility | Description\", optionally followed by \"Owner\"", cols, strings.Join(headers, " | "))}}
	}
	var entries []*Entry
	for r := t.FirstChild().NextSibling(); r != nil; r = r.NextSibling() {
		row, ok := r.(*extast.TableRow)
		if !ok {
			continue
		}
		line := lines.line(row.Pos())
		if n := countCells(lines.text(src, row.Pos())); n != cols {
			errs = append(errs, &LoadError{File: name, Line: line, Msg: fmt.Sprintf("the row has %d cells but the table has %d columns", n, cols)})
			continue
		}
		cells := []gast.Node{}
		for c := row.FirstChild(); c != nil; c = c.NextSibling() {
			cells = append(cells, c)
		}
		title := strings.TrimSpace(plainText(cells[0], src))
		if title == "" {
			errs = append(errs, &LoadError{File: name, Line: line, Msg: "the row has no title in its first cell"})
			continue
		}
		e := &Entry{ID: string(side) + "/" + Slug(title), Title: title, Side: side, Owner: Owner(side), Source: fmt.Sprint(line)}
		if Slug(title) == "" {
			errs = append(errs, &LoadError{File: name, Line: line, Msg: fmt.Sprintf("the title %q has no letters or digits to make an id from", title)})
			continue
		}
		cr := cellReader{src: src, base: base}
		cr.read(cells[1])
		e.Blocks, e.Links = cr.finish()
		if len(e.Blocks) == 0 {
			errs = append(errs, &LoadError{File: name, Line: line, Msg: fmt.Sprintf("the row %q has no description", title)})
			continue
		}
		for _, err := range cr.errs {
			errs = append(errs, &LoadError{File: name, Line: line, Msg: err})
		}
		if ownerCol >= 0 {
			o, err := ParseOwner(plainText(cells[ownerCol], src))
			if err != nil {
				errs = append(errs, &LoadError{File: name, Line: line, Msg: err.Error()})
				continue
			}
			e.Owner = o
		}
		entries = append(entries, e)
	}
	_ = heading
	return entries, errs
}

func rowPos(n gast.Node) int {
	switch n := n.(type) {
	case *extast.TableHeader:
		if r, ok := n.FirstChild().(*extast.TableRow); ok {
			return r.Pos()
		}
		// The header's cells are its children directly.
		if c, ok := n.FirstChild().(*extast.TableCell); ok && c.Lines().Len() > 0 {
			return c.Lines().At(0).Start
		}
	case *extast.TableRow:
		return n.Pos()
	}
	return 0
}

// countCells counts the cells of one table row's source line, honouring
// escaped pipes and a missing leading or trailing pipe.
func countCells(line string) int {
	line = strings.TrimSpace(line)
	line = strings.TrimPrefix(line, "|")
	if strings.HasSuffix(line, "|") && !strings.HasSuffix(line, `\|`) {
		line = line[:len(line)-1]
	}
	n, tick := 1, false
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case '`':
			tick = !tick
		case '\\':
			i++
		case '|':
			if !tick {
				n++
			}
		}
	}
	return n
}

// plainText returns the text of a node's inlines, without markup.
func plainText(n gast.Node, src []byte) string {
	var b strings.Builder
	gast.Walk(n, func(c gast.Node, entering bool) (gast.WalkStatus, error) {
		if !entering {
			return gast.WalkContinue, nil
		}
		switch c := c.(type) {
		case *gast.Text:
			b.Write(c.Segment.Value(src))
			if c.SoftLineBreak() || c.HardLineBreak() {
				b.WriteByte(' ')
			}
		case *gast.String:
			b.Write(c.Value)
		}
		return gast.WalkContinue, nil
	})
	return strings.Join(strings.Fields(b.String()), " ")
}

// cellReader turns the inlines of a description cell into blocks and links:
// "<br>" ends a paragraph, "<ul>…</ul>" is a list of "<li>" items, "**x**"
// is plain x, links are kept as their text and resolved to absolute URLs.
type cellReader struct {
	src    []byte
	base   *url.URL
	blocks []Block
	links  []Link
	cur    strings.Builder
	inList bool
	items  []string
	errs   []string
}

var tagRe = regexp.MustCompile(`(?i)^<\s*(/?)\s*([a-z]+)[^>]*>$`)

func (r *cellReader) read(cell gast.Node) {
	for c := cell.FirstChild(); c != nil; c = c.NextSibling() {
		r.inline(c)
	}
}

func (r *cellReader) inline(n gast.Node) {
	switch n := n.(type) {
	case *gast.Text:
		r.cur.Write(n.Segment.Value(r.src))
		if n.SoftLineBreak() || n.HardLineBreak() {
			r.cur.WriteByte(' ')
		}
	case *gast.String:
		r.cur.Write(n.Value)
	case *gast.CodeSpan:
		r.cur.WriteString(plainText(n, r.src))
	case *gast.Link:
		t := plainText(n, r.src)
		r.cur.WriteString(t)
		r.links = append(r.links, Link{Text: t, URL: r.resolve(string(n.Destination))})
	case *gast.AutoLink:
		u := string(n.URL(r.src))
		r.cur.WriteString(u)
		r.links = append(r.links, Link{Text: u, URL: r.resolve(u)})
	case *gast.RawHTML:
		var raw strings.Builder
		for i := 0; i < n.Segments.Len(); i++ {
			seg := n.Segments.At(i)
			raw.Write(seg.Value(r.src))
		}
		r.tag(raw.String())
	default:
		for c := n.FirstChild(); c != nil; c = c.NextSibling() {
			r.inline(c)
		}
	}
}

func (r *cellReader) tag(raw string) {
	m := tagRe.FindStringSubmatch(strings.TrimSpace(raw))
	if m == nil {
		return
	}
	closing, name := m[1] == "/", strings.ToLower(m[2])
	switch {
	case name == "br":
		r.flushText()
	case name == "ul" || name == "ol":
		if closing {
			r.flushItem()
			r.flushList()
		} else {
			r.flushText()
			r.inList = true
		}
	case name == "li":
		r.flushItem()
	}
}

func (r *cellReader) text() string {
	t := strings.Join(strings.Fields(r.cur.String()), " ")
	r.cur.Reset()
	return t
}

// flushText ends the paragraph being read.
func (r *cellReader) flushText() {
	if r.inList {
		r.flushItem()
		return
	}
	if t := r.text(); t != "" {
		r.blocks = append(r.blocks, Block{Text: t})
	}
}

func (r *cellReader) flushItem() {
	if t := r.text(); t != "" {
		if !r.inList {
			r.blocks = append(r.blocks, Block{Text: t})
			return
		}
		r.items = append(r.items, t)
	}
}

// flushList ends a list: its items join the paragraph just before it, when
// that paragraph introduces the list (ends with ":"), or stand alone.
func (r *cellReader) flushList() {
	r.inList = false
	if len(r.items) == 0 {
		return
	}
	if n := len(r.blocks); n > 0 && r.blocks[n-1].Items == nil && strings.HasSuffix(r.blocks[n-1].Text, ":") {
		r.blocks[n-1].Items = r.items
	} else {
		r.blocks = append(r.blocks, Block{Items: r.items})
	}
	r.items = nil
}

func (r *cellReader) finish() ([]Block, []Link) {
	if r.inList {
		r.flushItem()
		r.flushList()
	}
	r.flushText()
	return r.blocks, r.links
}

// resolve makes a link absolute against the page address: a relative
// "../operate/device-policies.md#x" loses its ".md" suffix and keeps "#x".
func (r *cellReader) resolve(dest string) string {
	u, err := url.Parse(strings.TrimSpace(dest))
	if err != nil {
		r.errs = append(r.errs, fmt.Sprintf("the link %q is not a valid address", dest))
		return dest
	}
	if !u.IsAbs() {
		u.Path = strings.TrimSuffix(u.Path, ".md")
		u = r.base.ResolveReference(u)
	}
	if u.Scheme != "https" && u.Scheme != "http" && u.Scheme != "mailto" {
		r.errs = append(r.errs, fmt.Sprintf("the link %q is not an http, https or mailto: address", dest))
	}
	return u.String()
}

// lineIndex maps byte offsets of a source to 1-based line numbers.
type lineIndex []int

func newLineIndex(src []byte) lineIndex {
	idx := lineIndex{0}
	for i, c := range src {
		if c == '\n' {
			idx = append(idx, i+1)
		}
	}
	return idx
}

func (li lineIndex) line(off int) int {
	lo, hi := 0, len(li)-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if li[mid] <= off {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo + 1
}

func (li lineIndex) text(src []byte, off int) string {
	l := li.line(off)
	start := li[l-1]
	end := len(src)
	if l < len(li) {
		end = li[l] - 1
	}
	return string(src[start:end])
}

func lineOf(source string) int {
	var n int
	if i := strings.LastIndexByte(source, ':'); i >= 0 {
		source = source[i+1:]
	}
	fmt.Sscan(source, &n)
	return n
}
