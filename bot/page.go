package bot

import (
	"net/url"
	"strings"

	"github.com/mmdbot/mmdbot/knowledge"
)

// GroupByOwner groups entries by owner, in the order of owners (every
// owner, Microsoft first, when none is given); an owner without entries
// has no group.
func GroupByOwner(entries []*knowledge.Entry, owners ...knowledge.Owner) []Group {
	if len(owners) == 0 {
		owners = knowledge.Owners
	}
	var groups []Group
	for _, o := range owners {
		g := Group{Owner: o}
		for _, e := range entries {
			if e.Owner == o {
				g.Entries = append(g.Entries, e)
			}
		}
		if len(g.Entries) > 0 {
			groups = append(groups, g)
		}
	}
	return groups
}

// Paginate cuts the rows of a table into pages (messages, cards) of at most
// budget, row r taking cost(r) of it. heading(r) reports whether r heads a
// group: a heading never ends a page, and a page that starts inside a group
// begins with continued(r), the heading of r's group said again (see
// GroupHeading). A row too large for a page gets a page of its own. Each
// renderer measures in its own unit: blocks, bytes, lines.
func Paginate[T any](rows []T, budget int, cost func(T) int, heading func(T) bool, continued func(T) T) [][]T {
	var pages [][]T
	var page []T
	used := 0
	for i, r := range rows {
		c := cost(r)
		need := c
		if heading(r) && i+1 < len(rows) {
			need += cost(rows[i+1])
		}
		if len(page) > 0 && used+need > budget {
			pages = append(pages, page)
			page, used = nil, 0
			if !heading(r) {
				h := continued(r)
				page, used = append(page, h), cost(h)
			}
		}
		page = append(page, r)
		used += c
	}
	if len(page) > 0 {
		pages = append(pages, page)
	}
	return pages
}

// EntryURL is the page to read about an entry: its own, or else the source
// page every entry comes from.
func EntryURL(e *knowledge.Entry, src knowledge.Page) string {
	if u := e.URL(); u != "" {
		return u
	}
	return src.URL
}

// SafeURL returns u when it may become a link or a button: an absolute
// http(s) address, or, with mailto, a mailto: address too; "" otherwise
// (javascript:, data:, relative addresses, anything with spaces or angle
// brackets), and the renderer shows plain text instead.
func SafeURL(u string, mailto bool) string {
	if u == "" || strings.ContainsAny(u, "<> \t\r\n") {
		return ""
	}
	p, err := url.Parse(u)
	if err != nil {
		return ""
	}
	switch {
	case (p.Scheme == "https" || p.Scheme == "http") && p.Host != "":
	case mailto && p.Scheme == "mailto" && p.Opaque != "":
	default:
		return ""
	}
	return u
}
