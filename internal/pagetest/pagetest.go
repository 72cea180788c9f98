// Package pagetest gives tests edited copies of the embedded Learn page,
// each with one edit a person would make to the published page, and what
// comparing it with the embedded page must find. It is imported by tests
// only.
package pagetest

import (
	"bytes"
	"fmt"

	"github.com/mmdbot/mmdbot/knowledge"
)

// Edit is one edit of the page, and the change it makes.
type Edit struct {
	Name string
	// From is replaced by To in the page, once.
	From, To string
	// Kind, ID, OldID and Fields are the one entry change comparing the
	// edited page with the embedded one finds ("" Kind: none, only a fact
	// of the page changes).
	Kind, ID, OldID string
	Fields          []string
	// Page is the fact of the page that changes, if any.
	PageFact string
}

const printing = "| Printing | You're responsible for installing, maintaining, and administering printers and print queues. Cloud printing is a recommended solution, but it isn't required.\n"

const identity = "| Identity management | You're responsible for creating user accounts, assigning users to groups, and keeping metadata up to date. |\n"

// Edits are the edits every test of a comparison goes through.
var Edits = []Edit{
	{Name: "reworded", From: "Cloud printing is a recommended solution", To: "Universal Print is the recommended solution",
		Kind: knowledge.ChangeChanged, ID: "customer/printing", Fields: []string{"description"}},
	{Name: "removed", From: printing, To: "",
		Kind: knowledge.ChangeRemoved, OldID: "customer/printing"},
	{Name: "added", From: printing, To: printing + "| Endpoint analytics | You're responsible for reviewing the reports of Endpoint analytics and acting on what they find. |\n",
		Kind: knowledge.ChangeAdded, ID: "customer/endpoint-analytics"},
	{Name: "owner-moved", From: identity, To: "",
		Kind: knowledge.ChangeChanged, ID: "microsoft/identity-management", OldID: "customer/identity-management", Fields: []string{"owner"}},
	{Name: "renamed", From: "| Printing |", To: "| Printing and print queues |",
		Kind: knowledge.ChangeRenamed, ID: "customer/printing-and-print-queues", OldID: "customer/printing", Fields: []string{"title"}},
	{Name: "dated", From: "ms.date: 12/06/2022", To: "ms.date: 03/14/2024", PageFact: "ms.date"},
}

// Page returns the embedded page with the edit made. The owner-moved edit
// also puts the row it takes out of your organisation's table at the end
// of Microsoft's.
func (e Edit) Page() []byte {
	p := knowledge.DefaultPage()
	if !bytes.Contains(p, []byte(e.From)) {
		panic(fmt.Sprintf("pagetest: the embedded page no longer has %q", e.From))
	}
	p = bytes.Replace(p, []byte(e.From), []byte(e.To), 1)
	if e.Name == "owner-moved" {
		p = bytes.Replace(p, []byte("\n## Your roles and responsibilities"), []byte(identity+"\n## Your roles and responsibilities"), 1)
	}
	return p
}

// Find returns the edit of that name.
func Find(name string) Edit {
	for _, e := range Edits {
		if e.Name == name {
			return e
		}
	}
	panic("pagetest: no edit " + name)
}
