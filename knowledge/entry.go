// Package knowledge owns mmdbot's responsibility data and finding entries in it.
//
// A Base is loaded from a Learn-style Markdown page (one Entry per table row),
// enriched by an overlay (keywords, aliases, owner splits, contacts and a domain
// vocabulary), validated, and then searched: a question in, ranked matches with
// scores, a confidence and a band out. The package knows nothing of chat.
package knowledge

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Side says which table of the page a row comes from.
type Side string

// The two tables of the roles-and-responsibilities page.
const (
	SideMicrosoft Side = "microsoft" // "Microsoft's roles and responsibilities"
	SideCustomer  Side = "customer"  // "Your roles and responsibilities"
)

// Owner says who is responsible for an entry.
type Owner string

// The three owners an entry can have.
const (
	OwnerMicrosoft Owner = "microsoft"
	OwnerCustomer  Owner = "customer"
	OwnerShared    Owner = "shared"
)

// Owners lists the owners in the order tables and listings group them.
var Owners = []Owner{OwnerMicrosoft, OwnerCustomer, OwnerShared}

// ParseOwner returns the owner named by s ("microsoft", "customer", "shared";
// "ms", "us", "we", "you", "your organisation" and similar are accepted too).
func ParseOwner(s string) (Owner, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "microsoft", "ms", "msft", "mmd":
		return OwnerMicrosoft, nil
	case "customer", "us", "we", "you", "your", "yours", "organisation", "organization",
		"your organisation", "your organization", "customers":
		return OwnerCustomer, nil
	case "shared", "both", "share":
		return OwnerShared, nil
	}
	return "", fmt.Errorf("unknown owner %q (want microsoft, customer or shared)", s)
}

// Label is the owner as a person reads it first in an answer.
func (o Owner) Label() string {
	switch o {
	case OwnerMicrosoft:
		return "Microsoft"
	case OwnerCustomer:
		return "Your organisation"
	case OwnerShared:
		return "Shared: Microsoft and your organisation"
	}
	return string(o)
}

// Link is one hyperlink of an entry, with an absolute address.
type Link struct {
	Text string `json:"text" yaml:"text"`
	URL  string `json:"url" yaml:"url"`
}

// Contact says whom to reach for an entry: a service-desk channel, an address,
// or how to open a support request with Microsoft.
type Contact struct {
	Text string `json:"text" yaml:"text"`
	URL  string `json:"url,omitempty" yaml:"url,omitempty"`
}

// Split says, for a shared entry, what each party does.
type Split struct {
	Microsoft string `json:"microsoft" yaml:"microsoft"`
	Customer  string `json:"customer" yaml:"customer"`
}

// Block is one paragraph of an entry's description: text, or a list of items
// introduced by an optional text.
type Block struct {
	Text  string   `json:"text,omitempty" yaml:"text,omitempty"`
	Items []string `json:"items,omitempty" yaml:"items,omitempty"`
}

// Entry is one row of the responsibility table.
type Entry struct {
	ID       string   `json:"id" yaml:"id"`
	Title    string   `json:"title" yaml:"title"`
	Side     Side     `json:"side" yaml:"side"`
	Owner    Owner    `json:"owner" yaml:"owner"`
	Blocks   []Block  `json:"blocks" yaml:"blocks"`
	Split    *Split   `json:"split,omitempty" yaml:"split,omitempty"`
	Links    []Link   `json:"links" yaml:"links"`
	Contact  *Contact `json:"contact,omitempty" yaml:"contact,omitempty"`
	Keywords []string `json:"keywords,omitempty" yaml:"keywords,omitempty"`
	Aliases  []string `json:"aliases,omitempty" yaml:"aliases,omitempty"`

	// Source names the file and line the entry was read from.
	Source string `json:"-" yaml:"-"`
}

// Description is the entry's text as plain text fit for chat: paragraphs
// separated by blank lines, list items on lines of their own starting "• ".
func (e *Entry) Description() string {
	var b strings.Builder
	for i, bl := range e.Blocks {
		if i > 0 {
			b.WriteString("\n\n")
		}
		b.WriteString(bl.Text)
		for j, it := range bl.Items {
			if j > 0 || bl.Text != "" {
				b.WriteString("\n")
			}
			b.WriteString("• ")
			b.WriteString(it)
		}
	}
	return b.String()
}

// Items returns every list item of the description, in order.
func (e *Entry) Items() []string {
	var items []string
	for _, bl := range e.Blocks {
		items = append(items, bl.Items...)
	}
	return items
}

// URL returns the entry's main Learn page: its last link, which on the Learn
// page is the "For more information, see …" reference; "" if it has none.
func (e *Entry) URL() string {
	if len(e.Links) == 0 {
		return ""
	}
	return e.Links[len(e.Links)-1].URL
}

// Page holds the facts of the page the knowledge comes from.
type Page struct {
	Title       string `json:"title" yaml:"title"`
	Description string `json:"description" yaml:"description"`
	// Date is the page's "as of" date (ms.date), as YYYY-MM-DD.
	Date string `json:"date" yaml:"date"`
	URL  string `json:"url" yaml:"url"`
	// Attribution credits the source and its licence.
	Attribution string `json:"attribution,omitempty" yaml:"attribution,omitempty"`
	// Freshness is what the source line adds about how current this copy
	// is against the published page ("checked against the published page
	// on …"): set by the bot on the copy a reply cites, never in a file.
	Freshness string `json:"freshness,omitempty" yaml:"-"`
}

// MarshalJSON adds the plain-text description and the main URL to the
// entry's fields.
func (e *Entry) MarshalJSON() ([]byte, error) {
	type plain Entry
	return json.Marshal(struct {
		*plain
		Description string `json:"description"`
		URL         string `json:"url,omitempty"`
	}{(*plain)(e), e.Description(), e.URL()})
}
