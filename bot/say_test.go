package bot

import (
	"testing"

	"github.com/mmdbot/mmdbot/knowledge"
)

// TestCommonOwner: choices that all have one owner say it first; mixed
// owners, or a single choice, say nothing more.
func TestCommonOwner(t *testing.T) {
	choices := func(owners ...knowledge.Owner) Reply {
		r := Reply{Kind: KindSuggest}
		for _, o := range owners {
			r.Alternatives = append(r.Alternatives, Choice{Owner: o})
		}
		return r
	}
	tests := []struct {
		r    Reply
		want string
	}{
		{choices(knowledge.OwnerCustomer, knowledge.OwnerCustomer), "Whichever you mean, your organisation is responsible."},
		{choices(knowledge.OwnerMicrosoft, knowledge.OwnerMicrosoft, knowledge.OwnerMicrosoft), "Whichever you mean, Microsoft is responsible."},
		{choices(knowledge.OwnerShared, knowledge.OwnerShared), "Whichever you mean, the responsibility is shared by Microsoft and your organisation."},
		{choices(knowledge.OwnerCustomer, knowledge.OwnerMicrosoft), ""},
		{choices(knowledge.OwnerCustomer), ""},
	}
	for _, tt := range tests {
		got := ""
		if o, ok := tt.r.CommonOwner(); ok {
			got = AllOwnedBy(o)
		}
		if got != tt.want {
			t.Errorf("%v: %q, want %q", tt.r.Alternatives, got, tt.want)
		}
	}
}
