package bot

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mmdbot/mmdbot/knowledge"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in     string
		intent Intent
		q      string
		owner  knowledge.Owner
		arg    string
	}{
		{"@mmd who handles VPN issues?", IntentAsk, "who handles VPN issues?", "", ""},
		{"<@U024BE7LH> help", IntentHelp, "help", "", ""},
		{"<at>mmd</at> table", IntentTable, "table", "", ""},
		{"/mmd table", IntentTable, "table", "", ""},
		{"TABLE", IntentTable, "TABLE", "", ""},
		{"list microsoft", IntentList, "list microsoft", knowledge.OwnerMicrosoft, ""},
		{"list customer", IntentList, "list customer", knowledge.OwnerCustomer, ""},
		{"list shared", IntentList, "list shared", knowledge.OwnerShared, ""},
		{"list", IntentTable, "list", "", ""},
		{"list everyone", IntentError, "list everyone", "", ""},
		{"show customer/printing", IntentShow, "show customer/printing", "", "customer/printing"},
		{"show me who fixes printers", IntentAsk, "show me who fixes printers", "", ""},
		{"help with the vpn please", IntentAsk, "help with the vpn please", "", ""},
		{"", IntentHelp, "", "", ""},
		{"<@U024BE7LH>", IntentHelp, "", "", ""},
		{"?", IntentHelp, "?", "", ""},
		{"hi", IntentSmallTalk, "hi", "", ""},
		{"<at>mmd</at> hi", IntentSmallTalk, "hi", "", ""},
		{"<@U024BE7LH> thanks!", IntentSmallTalk, "thanks!", "", ""},
		{"Thank you so much", IntentSmallTalk, "Thank you so much", "", ""},
		{"what can you do?", IntentSmallTalk, "what can you do?", "", ""},
		{"hello, who handles printers?", IntentAsk, "hello, who handles printers?", "", ""},
		{"who are you", IntentSmallTalk, "who are you", "", ""},
		{"table please", IntentTable, "table please", "", ""},
		{"can you show me the full table?", IntentTable, "can you show me the full table?", "", ""},
		{"list microsoft's responsibilities", IntentList, "list microsoft's responsibilities", knowledge.OwnerMicrosoft, ""},
		{"help please", IntentHelp, "help please", "", ""},
		{"show me the printing entry", IntentAsk, "show me the printing entry", "", ""},
		{"please list everything", IntentAsk, "please list everything", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			p := Parse(tt.in)
			if p.Intent != tt.intent || p.Question != tt.q || p.Owner != tt.owner || p.Arg != tt.arg {
				t.Errorf("Parse(%q) = %+v, want intent %s question %q owner %q arg %q", tt.in, p, tt.intent, tt.q, tt.owner, tt.arg)
			}
			if p.Intent == IntentError && p.Problem == "" {
				t.Error("an error without a problem")
			}
		})
	}
}

// journal is a Journal that keeps what it is given in memory.
type journal struct {
	mu     sync.Mutex
	misses []Miss
	votes  []Vote
	fail   error
}

func (j *journal) RecordMiss(_ context.Context, m Miss) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.misses = append(j.misses, m)
	return j.fail
}

func (j *journal) RecordVote(_ context.Context, v Vote) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.votes = append(j.votes, v)
	return j.fail
}

// counts is a Telemetry that counts in memory.
type counts struct {
	mu        sync.Mutex
	questions map[string]int
	votes     int
	failures  int
}

func (c *counts) Question(adapter string, band knowledge.Band, _ time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.questions == nil {
		c.questions = map[string]int{}
	}
	c.questions[adapter+"/"+string(band)]++
}
func (c *counts) Vote(string, bool)      { c.mu.Lock(); c.votes++; c.mu.Unlock() }
func (c *counts) Refused(string, string) {}
func (c *counts) JournalFailed(string)   { c.mu.Lock(); c.failures++; c.mu.Unlock() }

func TestHandle(t *testing.T) {
	ctx := context.Background()
	j, c := &journal{}, &counts{}
	// The lexical matcher alone: each kind of reply comes from a question
	// whose verdict does not move with the model's examples.
	b := New(knowledge.Default().Train(nil), Options{Journal: j, Telemetry: c})
	// Each case says in words what its reply must be, and checks it.
	tests := []struct {
		text string
		kind Kind
		want string
		ok   func(r Reply) bool
	}{
		{"@mmd who handles VPN issues?", KindAnswer, "your organisation's VPN entry, its own page, the source's date, the question without the mention", func(r Reply) bool {
			return r.Answer.Entry.ID == "customer/network-infrastructure-including-vpn" && r.Answer.Entry.Owner == knowledge.OwnerCustomer &&
				r.Answer.URL == "https://learn.microsoft.com/en-us/microsoft-365/managed-desktop/prepare/network" &&
				r.Source.Date == "2022-12-06" && r.Question == "who handles VPN issues?"
		}},
		{"who handles user support?", KindAnswer, "both sides", func(r Reply) bool {
			return r.Also != nil && r.Answer.Entry.Side != r.Also.Entry.Side
		}},
		{"who is responsible for printing?", KindAnswer, "an entry without links points to the page", func(r Reply) bool {
			return r.Answer.URL == knowledge.DefaultPageURL
		}},
		{"incidents on non-MMD devices", KindSuggest, "two or three choices", func(r Reply) bool {
			return len(r.Alternatives) >= 2 && len(r.Alternatives) <= MaxChoices
		}},
		{"who runs payroll?", KindUnknown, "\"I don't know\", pointing to the table and the help", func(r Reply) bool {
			return r.Text == DontKnow && strings.Contains(r.Hint, "table") && slices.Equal(r.Actions, []Action{runTable, runHelp})
		}},
		{"hi", KindHelp, "hello, then the help", func(r Reply) bool {
			return strings.HasPrefix(r.Text, "Hello") && len(r.Commands) > 0
		}},
		{"thanks!", KindHelp, "you're welcome", func(r Reply) bool { return strings.Contains(r.Text, "welcome") }},
		// The help says what the bot does; the greeting before it does not
		// say it again.
		{"hello", KindHelp, "a greeting that does not repeat the help", func(r Reply) bool { return !strings.Contains(r.Text, "responsible") }},
		{"what can you do?", KindHelp, "the help alone", func(r Reply) bool { return r.Text == "" && len(r.Commands) > 0 }},
		{"table", KindTable, "15 entries in three groups, Microsoft's first", func(r Reply) bool {
			return len(r.Groups) == 3 && r.Groups[0].Owner == knowledge.OwnerMicrosoft &&
				len(r.Groups[0].Entries)+len(r.Groups[1].Entries)+len(r.Groups[2].Entries) == 15
		}},
		{"list shared", KindTable, "the three shared entries", func(r Reply) bool {
			return len(r.Groups) == 1 && len(r.Groups[0].Entries) == 3 && r.Intent == IntentList
		}},
		{"show customer/printing", KindAnswer, "printing", func(r Reply) bool { return r.Answer.Entry.ID == "customer/printing" }},
		{"show printng", KindSuggest, "printing first", func(r Reply) bool { return r.Alternatives[0].ID == "customer/printing" }},
		{"list everyone", KindError, "\"list\" names what it takes", func(r Reply) bool { return strings.Contains(r.Text, "microsoft, customer or shared") }},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			r, err := b.Handle(ctx, Message{Text: tt.text, Adapter: "test"})
			if err != nil {
				t.Fatal(err)
			}
			if r.Kind != tt.kind {
				t.Fatalf("kind %s, want %s (band %s, matches %d)", r.Kind, tt.kind, r.Band, len(r.Matches))
			}
			if !tt.ok(r) {
				t.Errorf("want %s; got %q: %+v", tt.want, r.Summary(), r)
			}
			if r.Summary() == "" {
				t.Error("empty summary")
			}
		})
	}
	// Misses are recorded, answers are not; no user unless asked for.
	if len(j.misses) != 2 {
		t.Fatalf("recorded %d misses, want 2 (suggest and unknown): %+v", len(j.misses), j.misses)
	}
	if m := j.misses[1]; m.Question != "who runs payroll?" || m.Band != knowledge.BandUnknown || m.Adapter != "test" || m.User != "" {
		t.Errorf("miss %+v", m)
	}
	if c.questions["test/answer"] != 3 || c.questions["test/unknown"] != 1 {
		t.Errorf("telemetry %v", c.questions)
	}
}

func TestHandleBadInput(t *testing.T) {
	b := New(knowledge.Default(), Options{})
	for _, text := range []string{"\xff\xfe who?", strings.Repeat("x", MaxQuestion+1)} {
		r, err := b.Handle(context.Background(), Message{Text: text})
		if !errors.Is(err, ErrBadInput) || r.Kind != KindError || r.Text == "" {
			t.Errorf("Handle(%.20q) = %v, %v", text, r.Kind, err)
		}
	}
}

func TestJournalFailureNeverStopsAnAnswer(t *testing.T) {
	j, c := &journal{fail: errors.New("disk full")}, &counts{}
	b := New(knowledge.Default(), Options{Journal: j, Telemetry: c})
	r, err := b.Handle(context.Background(), Message{Text: "who runs payroll?"})
	if err != nil || r.Kind != KindUnknown {
		t.Fatalf("got %v, %v", r.Kind, err)
	}
	if err := b.Feedback(context.Background(), Vote{EntryID: "customer/printing", Up: true}); err == nil {
		t.Error("a failed vote should report its error to the adapter")
	}
	if c.failures != 2 || c.votes != 1 {
		t.Errorf("failures %d votes %d", c.failures, c.votes)
	}
}

// TestPseudonyms: the journal never gets a user id, only its pseudonym,
// the same for a question and a vote, different with another salt.
func TestPseudonyms(t *testing.T) {
	j := &journal{}
	b := New(knowledge.Default(), Options{Journal: j, Pseudonym: Salted([]byte("salt one"))})
	b.Handle(context.Background(), Message{Text: "asdfgh", User: "U1", Adapter: "slack"})
	b.Feedback(context.Background(), Vote{EntryID: "customer/printing", User: "U1", Adapter: "slack"})
	b.Handle(context.Background(), Message{Text: "qwerty", Adapter: "web"})
	p := Salted([]byte("salt one"))("slack", "U1")
	if j.misses[0].User != p || j.votes[0].User != p || j.votes[0].Voter != p {
		t.Errorf("pseudonyms: miss %q, vote %q, voter %q; want %q", j.misses[0].User, j.votes[0].User, j.votes[0].Voter, p)
	}
	if strings.Contains(p, "U1") || len(p) != 32 {
		t.Errorf("pseudonym %q", p)
	}
	if j.misses[1].User != "" {
		t.Errorf("a question from no one has user %q", j.misses[1].User)
	}
	if p == Salted([]byte("salt two"))("slack", "U1") || p == Voter("slack", "U1") || p == Salted([]byte("salt one"))("teams", "U1") {
		t.Error("pseudonyms do not depend on the salt and the adapter")
	}
	j2 := &journal{}
	New(knowledge.Default(), Options{Journal: j2}).Feedback(context.Background(), Vote{EntryID: "customer/printing", User: "U1", Adapter: "slack"})
	if j2.votes[0].User != Voter("slack", "U1") {
		t.Errorf("unsalted pseudonym %q", j2.votes[0].User)
	}
}

func TestSetKnowledge(t *testing.T) {
	b := New(knowledge.Default(), Options{})
	kb, err := knowledge.Load(knowledge.File{Name: "kb.yaml", Data: []byte("page: {title: T, description: D, date: 2025-01-01, url: https://example.com/}\nentries:\n  - title: Coffee machines\n    side: customer\n    description: Facilities keeps the coffee machines running.\n")})
	if err != nil {
		t.Fatal(err)
	}
	b.SetKnowledge(kb)
	r, _ := b.Handle(context.Background(), Message{Text: "table"})
	if len(r.Groups) != 1 || r.Groups[0].Entries[0].ID != "customer/coffee-machines" {
		t.Errorf("table after reload: %+v", r.Groups)
	}
}

func TestJSON(t *testing.T) {
	b := New(knowledge.Default(), Options{})
	r, _ := b.Handle(context.Background(), Message{Text: "@mmd who handles VPN issues?"})
	j := r.JSON()
	if !j.Answered || j.Band != knowledge.BandAnswer || j.Intent != IntentAsk || j.Matches[0].ID != "customer/network-infrastructure-including-vpn" || j.Matches[0].URL == "" {
		t.Errorf("json %+v", j)
	}
	r, _ = b.Handle(context.Background(), Message{Text: "hi"})
	if j := r.JSON(); j.Answered || len(j.Matches) != 0 || j.Matches == nil || len(j.Commands) == 0 {
		t.Errorf("small talk json %+v", j)
	}
	r, _ = b.Handle(context.Background(), Message{Text: "list shared"})
	if j := r.JSON(); j.Answered || len(j.Entries) != 3 || j.Entries[0].Owner != knowledge.OwnerShared {
		t.Errorf("list json %+v", j)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"help", "list microsoft", "show x/y", "<at>mmd</at> table", "/mmd", "hi there", "\xff", "list shared extra words"} {
		f.Add(s)
	}
	b := New(knowledge.Default(), Options{})
	f.Fuzz(func(t *testing.T, s string) {
		p := Parse(s)
		switch p.Intent {
		case IntentAsk, IntentHelp, IntentTable, IntentList, IntentShow, IntentSmallTalk, IntentError:
		default:
			t.Fatalf("intent %q", p.Intent)
		}
		if p.Intent == IntentList && p.Owner == "" {
			t.Fatal("list without owner")
		}
		r, err := b.Handle(context.Background(), Message{Text: s})
		if err != nil && !errors.Is(err, ErrBadInput) {
			t.Fatalf("error %v", err)
		}
		if r.Kind == "" {
			t.Fatal("reply without kind")
		}
		_ = r.Summary()
		_ = r.JSON()
	})
}

func TestControlCharactersAreCleaned(t *testing.T) {
	j := &journal{}
	b := New(knowledge.Default(), Options{Journal: j})
	r, err := b.Handle(context.Background(), Message{Text: "who\x00 runs\x1b payroll?"})
	if err != nil || r.Kind != KindUnknown {
		t.Fatalf("%v %v", r.Kind, err)
	}
	if strings.ContainsAny(j.misses[0].Question, "\x00\x1b") || strings.ContainsAny(r.Question, "\x00\x1b") {
		t.Errorf("control characters kept: %q", j.misses[0].Question)
	}
}

// slowJournal blocks until its context is done.
type slowJournal struct{}

func (slowJournal) RecordMiss(ctx context.Context, _ Miss) error { <-ctx.Done(); return ctx.Err() }
func (slowJournal) RecordVote(ctx context.Context, _ Vote) error { <-ctx.Done(); return ctx.Err() }

func TestSlowJournalIsBounded(t *testing.T) {
	c := &counts{}
	b := New(knowledge.Default(), Options{Journal: slowJournal{}, Telemetry: c})
	done := make(chan Reply)
	go func() {
		r, _ := b.Handle(context.Background(), Message{Text: "who runs payroll?"})
		done <- r
	}()
	select {
	case r := <-done:
		if r.Kind != KindUnknown || c.failures != 1 {
			t.Errorf("kind %s, failures %d", r.Kind, c.failures)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("a journal that never answers held up the answer")
	}
}

func TestLinkSpans(t *testing.T) {
	settings := knowledge.Link{Text: "Configurable settings", URL: "https://example.com/settings"}
	proxy := knowledge.Link{Text: "Proxy", URL: "https://example.com/proxy"}
	apps := knowledge.Link{Text: "Apps", URL: "https://example.com/apps"}
	tests := []struct {
		text  string
		links []knowledge.Link
		want  []Span
	}{
		{"For more information, see Configurable settings.", []knowledge.Link{settings},
			[]Span{{Text: "For more information, see "}, {Text: "Configurable settings", URL: settings.URL}, {Text: "."}}},
		// Words used in passing, in another case, stay text; the name is
		// linked where it stands as itself.
		{"Add proxies using configurable settings. See Configurable settings.", []knowledge.Link{settings},
			[]Span{{Text: "Add proxies using configurable settings. See "}, {Text: "Configurable settings", URL: settings.URL}, {Text: "."}}},
		// Only whole words, and each link once.
		{"Proxyless. See Proxy, then Proxy again.", []knowledge.Link{proxy},
			[]Span{{Text: "Proxyless. See "}, {Text: "Proxy", URL: proxy.URL}, {Text: ", then Proxy again."}}},
		{"See Proxy and Configurable settings", []knowledge.Link{settings, proxy},
			[]Span{{Text: "See "}, {Text: "Proxy", URL: proxy.URL}, {Text: " and "}, {Text: "Configurable settings", URL: settings.URL}}},
		{"Nothing to link.", []knowledge.Link{settings}, []Span{{Text: "Nothing to link."}}},
		// The end of a longer name is not the link's name: the product
		// "Microsoft 365 Apps", "Managed Proxy"; a name that begins its
		// sentence or follows "See" is.
		{"Microsoft 365 Apps for enterprise. For more information, see Apps.", []knowledge.Link{apps},
			[]Span{{Text: "Microsoft 365 Apps for enterprise. For more information, see "}, {Text: "Apps", URL: apps.URL}, {Text: "."}}},
		{"Use Managed Proxy. Proxy is set by you.", []knowledge.Link{proxy},
			[]Span{{Text: "Use Managed Proxy. "}, {Text: "Proxy", URL: proxy.URL}, {Text: " is set by you."}}},
		{"Apps (Microsoft 365 Apps)", []knowledge.Link{apps}, []Span{{Text: "Apps", URL: apps.URL}, {Text: " (Microsoft 365 Apps)"}}},
		{"", []knowledge.Link{settings}, nil},
	}
	for _, tt := range tests {
		if got := LinkSpans(tt.text, tt.links); !slices.Equal(got, tt.want) {
			t.Errorf("LinkSpans(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}

func TestNewAnswerContact(t *testing.T) {
	kb := knowledge.Default()
	for _, e := range kb.Entries() {
		a := NewAnswer(e, kb.Page())
		switch {
		case e.Contact != nil:
			if a.Contact != e.Contact || a.ContactIsDefault {
				t.Errorf("%s: contact %+v, want the entry's own", e.ID, a.Contact)
			}
		case e.Owner == knowledge.OwnerMicrosoft:
			if a.Contact != nil {
				t.Errorf("%s: Microsoft's entry without a contact got %+v", e.ID, a.Contact)
			}
		default:
			if a.Contact == nil || *a.Contact != DefaultContact || !a.ContactIsDefault {
				t.Errorf("%s: contact %+v, want %q by default", e.ID, a.Contact, DefaultContact.Text)
			}
		}
	}
}

// TestSide checks that the matcher names the side of a shared entry a
// question asks about, that an answer about one side's part leads with that
// side and says the entry is shared, and that the JSON names the side.
func TestSide(t *testing.T) {
	kb := knowledge.Default()
	for q, want := range map[string]knowledge.Owner{
		"who packages our SAP installer for Intune?": knowledge.OwnerCustomer,
		"who keeps Outlook up to date?":              knowledge.OwnerMicrosoft,
		"who approves the changes MMD announces?":    knowledge.OwnerCustomer,
	} {
		r := kb.Search(q)
		if len(r.Matches) == 0 || r.Matches[0].Entry.Owner != knowledge.OwnerShared || r.Side != want {
			t.Errorf("%q: side %q of %v, want %q of a shared entry", q, r.Side, r.Matches, want)
		}
	}
	b := New(kb, Options{})
	r, _ := b.Handle(context.Background(), Message{Text: "who packages our SAP installer for Intune?", Via: ViaCLI})
	if r.Kind != KindAnswer || r.Answer.Side != knowledge.OwnerCustomer || r.Answer.Lead() != knowledge.OwnerCustomer || r.Answer.SideNote() == "" {
		t.Fatalf("%s: side %q, lead %q, note %q", r.Kind, r.Answer.Side, r.Answer.Lead(), r.Answer.SideNote())
	}
	if got := r.JSON().Matches[0].Side; got != "customer" {
		t.Errorf("JSON side %q", got)
	}
	r, _ = b.Handle(context.Background(), Message{Text: "who handles VPN issues?", Via: ViaCLI})
	if r.Answer.Lead() != knowledge.OwnerCustomer || r.Answer.SideNote() != "" || r.JSON().Matches[0].Side != "customer" {
		t.Errorf("an entry that is not shared: lead %q, note %q", r.Answer.Lead(), r.Answer.SideNote())
	}
}
