package bot

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/mmdbot/mmdbot/knowledge"
)

// TestAct presses each kind of button: every one goes through the bot,
// votes are recorded and thanked, and data that is not mmdbot's is refused.
func TestAct(t *testing.T) {
	ctx := context.Background()
	j, c := &journal{}, &counts{}
	b := New(knowledge.Default().Train(nil), Options{Journal: j, Telemetry: c})
	m := Message{User: "U1", Via: ViaButton, Adapter: "test"}
	tests := []struct {
		name  string
		a     Action
		kind  Kind
		check func(t *testing.T, r Reply)
	}{
		{"show", Show("customer/printing", "Printing", "who fixes printers?"), KindAnswer, func(t *testing.T, r Reply) {
			if r.Answer.Entry.ID != "customer/printing" || r.Question != "who fixes printers?" || r.Intent != IntentShow {
				t.Errorf("show: %s %q %s", r.Answer.Entry.ID, r.Question, r.Intent)
			}
		}},
		{"run", runTable, KindTable, nil},
		{"ask", Action{Kind: ActAsk, Text: "who runs payroll?"}, KindUnknown, nil},
		{"share", Share("help", "help"), KindHelp, nil},
		{"vote", votes("customer/printing", "who fixes printers?")[1], KindAnswer, func(t *testing.T, r Reply) {
			// The answer again, its 👍/👎 replaced by the thanks and an undo.
			if r.Text != Thanks(false, nil) || r.Intent != IntentVote || r.Answer.Entry.ID != "customer/printing" || r.Question != "who fixes printers?" {
				t.Errorf("vote: %s %q %s %q", r.Answer.Entry.ID, r.Text, r.Intent, r.Question)
			}
			if len(r.Actions) != 1 || r.Actions[0] != undo("customer/printing", "who fixes printers?") {
				t.Errorf("vote: actions %+v, want the undo", r.Actions)
			}
		}},
		{"undo", undo("customer/printing", "who fixes printers?"), KindAnswer, func(t *testing.T, r Reply) {
			if r.Text != "" || !slices.Equal(r.Actions, votes("customer/printing", "who fixes printers?")) {
				t.Errorf("undo: %q %+v, want the 👍/👎 again", r.Text, r.Actions)
			}
		}},
		{"vote on an entry gone", Action{Kind: ActVote, ID: "customer/gone", Up: true}, KindThanks, func(t *testing.T, r Reply) {
			if r.Text != Thanks(true, nil) {
				t.Errorf("thanks %q", r.Text)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := b.Act(ctx, m, tt.a)
			if err != nil || r.Kind != tt.kind {
				t.Fatalf("Act(%+v) = %s, %v; want %s", tt.a, r.Kind, err, tt.kind)
			}
			if tt.check != nil {
				tt.check(t, r)
			}
		})
	}
	if len(j.votes) != 3 || j.votes[0].Up || j.votes[0].EntryID != "customer/printing" || j.votes[0].User != Voter("test", "U1") || j.votes[0].Adapter != "test" ||
		j.votes[0].Voter != Voter("test", "U1") || !j.votes[1].Undo || j.votes[1].Voter != j.votes[0].Voter {
		t.Errorf("votes %+v", j.votes)
	}
	if c.votes != 2 {
		t.Errorf("%d votes counted, want 2 (an undo is not a vote)", c.votes)
	}
	if len(j.misses) != 1 || j.misses[0].Question != "who runs payroll?" {
		t.Errorf("misses %+v", j.misses)
	}
	for _, a := range []Action{
		{Kind: ActShow},
		{Kind: ActVote, Question: "q"},
		{Kind: ActRun},
		{Kind: "launch", Text: "table"},
		{Kind: ActShow, ID: strings.Repeat("x", maxID+1)},
		{Kind: ActShow, ID: "\xff"},
		{Kind: ActVote, ID: "customer/printing", Question: strings.Repeat("q", 4*MaxQuestion+1)},
	} {
		if r, err := b.Act(ctx, m, a); !errors.Is(err, ErrBadInput) || r.Kind != KindError {
			t.Errorf("Act(%.60v) = %s, %v; want a refusal", a, r.Kind, err)
		}
	}
}

// TestSearch: what is typed in a search box is a question: counted, and
// journalled when not answered; the box opened empty lists every entry
// and counts nothing.
func TestSearch(t *testing.T) {
	ctx := context.Background()
	j, c := &journal{}, &counts{}
	b := New(knowledge.Default().Train(nil), Options{Journal: j, Telemetry: c})
	m := Message{Via: ViaSearch, Adapter: "test"}
	all := b.Search(ctx, m, 100)
	if len(all) != 15 || c.questions != nil {
		t.Fatalf("empty search: %d results, counts %v", len(all), c.questions)
	}
	m.Text = "printer"
	got := b.Search(ctx, m, 3)
	if len(got) == 0 || len(got) > 3 || got[0].Kind != KindAnswer || got[0].Answer.Entry.ID != "customer/printing" {
		t.Fatalf("search printer: %+v", got)
	}
	m.Text = "who runs payroll?"
	b.Search(ctx, m, 3)
	if c.questions["test/answer"] != 1 || len(j.misses) != 1 || j.misses[0].Question != "who runs payroll?" {
		t.Errorf("counts %v, misses %+v", c.questions, j.misses)
	}
	if got := b.Search(ctx, Message{Text: "\xff"}, 3); got != nil {
		t.Errorf("invalid text: %d results", len(got))
	}
}

func TestWelcome(t *testing.T) {
	r := New(knowledge.Default(), Options{}).Welcome(context.Background(), Message{})
	if r.Kind != KindHelp || r.Intent != IntentWelcome || r.Text != Greeting || len(r.Commands) == 0 || len(r.Groups) != 3 {
		t.Errorf("welcome %+v", r)
	}
	if s := r.Summary(); !strings.HasPrefix(s, Greeting) {
		t.Errorf("summary %q", s)
	}
}

// TestPaginate: a heading never ends a page, a page that starts inside a
// group says its heading again, and nothing is lost.
func TestPaginate(t *testing.T) {
	type row struct {
		group string
		head  bool
		cont  bool
		size  int
	}
	var rows []row
	for _, g := range []string{"a", "b"} {
		rows = append(rows, row{group: g, head: true, size: 1})
		for range 4 {
			rows = append(rows, row{group: g, size: 1})
		}
	}
	rows = append(rows, row{group: "b", size: 9}) // too large for a page
	pages := Paginate(rows, 4, func(r row) int { return r.size }, func(r row) bool { return r.head },
		func(r row) row { return row{group: r.group, head: true, cont: true, size: 1} })
	var shown []row
	for i, p := range pages {
		used := 0
		for _, r := range p {
			used += r.size
		}
		if used > 4 && len(p) > 2 {
			t.Errorf("page %d holds %d", i, used)
		}
		if p[len(p)-1].head {
			t.Errorf("page %d ends with a heading", i)
		}
		if !p[0].head {
			t.Errorf("page %d starts inside a group without its heading", i)
		}
		for _, r := range p {
			if !r.cont {
				shown = append(shown, r)
			}
		}
	}
	if !slices.Equal(shown, rows) {
		t.Errorf("pages %v lose or reorder rows", pages)
	}
}

func TestSafeURL(t *testing.T) {
	for u, want := range map[string]string{
		"https://learn.microsoft.com/x": "https://learn.microsoft.com/x",
		"http://intranet.example/":      "http://intranet.example/",
		"javascript:alert(1)":           "",
		"/relative":                     "",
		"https://exa mple.com":          "",
		"mailto:it@example.com":         "",
		"":                              "",
	} {
		if got := SafeURL(u, false); got != want {
			t.Errorf("SafeURL(%q) = %q, want %q", u, got, want)
		}
	}
	if SafeURL("mailto:it@example.com", true) == "" {
		t.Error("mailto refused where allowed")
	}
}

func TestGroupByOwner(t *testing.T) {
	kb := knowledge.Default()
	gs := GroupByOwner(kb.Entries(), knowledge.OwnerShared, knowledge.OwnerMicrosoft)
	if len(gs) != 2 || gs[0].Owner != knowledge.OwnerShared || !slices.Equal(gs[1].Entries, kb.ByOwner(knowledge.OwnerMicrosoft)) {
		t.Errorf("groups %+v", gs)
	}
	if gs := GroupByOwner(nil); gs != nil {
		t.Errorf("no entries: %+v", gs)
	}
}
