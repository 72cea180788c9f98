package knowledge_test

import (
	"fmt"

	"github.com/mmdbot/mmdbot/knowledge"
)

func ExampleBase_Search() {
	kb := knowledge.Default()
	r := kb.Search("@mmd who handles VPN issues?")
	top, _ := r.Top()
	fmt.Println(r.Band, top.Entry.ID, top.Entry.Owner.Label())
	// Output: answer customer/network-infrastructure-including-vpn Your organisation
}

func ExampleBase_Search_unknown() {
	r := knowledge.Default().Search("when does payroll run this month?")
	fmt.Println(r.Band)
	// Output: unknown
}

func ExampleLoad() {
	kb, err := knowledge.Load(knowledge.File{Name: "contoso.yaml", Data: []byte(`
extends: default
entries:
  - id: customer/printing
    contact: {text: "Contoso service desk, #it-help"}
`)})
	if err != nil {
		fmt.Println(err)
		return
	}
	e, _ := kb.Entry("customer/printing")
	fmt.Println(len(kb.Entries()), e.Contact.Text)
	// Output: 15 Contoso service desk, #it-help
}

func ExampleLoad_error() {
	_, err := knowledge.Load(knowledge.File{Name: "kb.md", Data: []byte("# T\n\n## Your roles\n\n| Role | Description | Owner |\n| --- | --- | --- |\n| Coffee | The machine. | facilities |\n")})
	fmt.Println(err)
	// Output: kb.md:7: unknown owner "facilities" (want microsoft, customer or shared)
}
