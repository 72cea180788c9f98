package knowledge

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var wantIDs = []struct {
	id    string
	owner Owner
}{
	{"microsoft/mdm-policy-management", OwnerMicrosoft},
	{"microsoft/user-support", OwnerMicrosoft},
	{"microsoft/microsoft-managed-desktop-service-support", OwnerMicrosoft},
	{"microsoft/security-monitoring", OwnerMicrosoft},
	{"microsoft/update-monitoring-and-management", OwnerMicrosoft},
	{"microsoft/user-and-device-grouping", OwnerMicrosoft},
	{"customer/change-management", OwnerShared},
	{"customer/identity-management", OwnerCustomer},
	{"customer/microsoft-365-apps-for-enterprise-configuration-and-management", OwnerShared},
	{"customer/user-support", OwnerCustomer},
	{"customer/apps", OwnerShared},
	{"customer/security-monitoring-and-response", OwnerCustomer},
	{"customer/operations-support", OwnerCustomer},
	{"customer/network-infrastructure-including-vpn", OwnerCustomer},
	{"customer/printing", OwnerCustomer},
}

func TestDefaultEntries(t *testing.T) {
	kb := Default()
	es := kb.Entries()
	if len(es) != len(wantIDs) {
		t.Fatalf("got %d entries, want %d", len(es), len(wantIDs))
	}
	for i, w := range wantIDs {
		e := es[i]
		if e.ID != w.id || e.Owner != w.owner {
			t.Errorf("entry %d = %s (%s), want %s (%s)", i, e.ID, e.Owner, w.id, w.owner)
		}
		if e.Owner == OwnerShared && (e.Split == nil || e.Split.Microsoft == "" || e.Split.Customer == "") {
			t.Errorf("%s is shared but has no split", e.ID)
		}
		d := e.Description()
		for _, bad := range []string{"<br", "<ul", "<li", "**", "](", ".md"} {
			if strings.Contains(d, bad) {
				t.Errorf("%s: description contains %q: %s", e.ID, bad, d)
			}
		}
		for _, l := range e.Links {
			if !strings.HasPrefix(l.URL, "https://learn.microsoft.com/en-us/microsoft-365/managed-desktop/") || strings.HasSuffix(l.URL, ".md") || l.Text == "" {
				t.Errorf("%s: link %+v is not an absolute Learn address with text", e.ID, l)
			}
		}
	}
	p := kb.Page()
	if p.Title != "Microsoft Managed Desktop roles and responsibilities" || p.Date != "2022-12-06" || p.URL != DefaultPageURL || p.Attribution == "" {
		t.Errorf("page = %+v", p)
	}
	if !strings.HasPrefix(p.Description, "This article describes") {
		t.Errorf("page description = %q", p.Description)
	}
}

func TestDefaultEntryDetails(t *testing.T) {
	kb := Default()
	tests := []struct {
		id        string
		items     int
		firstItem string
		links     []string
	}{
		{"customer/user-support", 3, "On-site infrastructure: all network and internet connectivity, VPN infrastructure and client configuration, local conference room equipment, printers, proxy server and configuration, and firewalls.", nil},
		{"customer/apps", 12, "Identifying applications needed for targeted user groups", []string{"https://learn.microsoft.com/en-us/microsoft-365/managed-desktop/prepare/apps"}},
		{"customer/microsoft-365-apps-for-enterprise-configuration-and-management", 3, "Email administration", nil},
		{"customer/network-infrastructure-including-vpn", 0, "", []string{
			"https://learn.microsoft.com/en-us/microsoft-365/managed-desktop/operate/config-setting-ref#proxy",
			"https://learn.microsoft.com/en-us/microsoft-365/managed-desktop/prepare/network",
		}},
		{"customer/change-management", 0, "", []string{
			"https://learn.microsoft.com/en-us/microsoft-365/managed-desktop/overview/service-changes-communication",
			"https://learn.microsoft.com/en-us/microsoft-365/managed-desktop/overview/change-management",
		}},
		{"microsoft/mdm-policy-management", 0, "", []string{"https://learn.microsoft.com/en-us/microsoft-365/managed-desktop/operate/device-policies"}},
		{"customer/printing", 0, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			e, ok := kb.Entry(tt.id)
			if !ok {
				t.Fatal("missing")
			}
			items := e.Items()
			if len(items) != tt.items {
				t.Fatalf("%d items, want %d: %q", len(items), tt.items, items)
			}
			if tt.items > 0 && items[0] != tt.firstItem {
				t.Errorf("first item %q, want %q", items[0], tt.firstItem)
			}
			var links []string
			for _, l := range e.Links {
				links = append(links, l.URL)
			}
			if !slices.Equal(links, tt.links) {
				t.Errorf("links %q, want %q", links, tt.links)
			}
		})
	}
	if e, _ := kb.Entry("microsoft/mdm-policy-management"); e.Contact == nil || !strings.Contains(e.Contact.URL, "support-request") {
		t.Errorf("Microsoft rows should carry the admin support contact, got %+v", e.Contact)
	}
}

func TestSlug(t *testing.T) {
	for in, want := range map[string]string{
		"Network infrastructure, including VPN":                          "network-infrastructure-including-vpn",
		"Microsoft 365 Apps for enterprise configuration and management": "microsoft-365-apps-for-enterprise-configuration-and-management",
		"  --Odd   Title!! ":                                             "odd-title",
	} {
		if got := Slug(in); got != want {
			t.Errorf("Slug(%q) = %q, want %q", in, got, want)
		}
	}
}

// loadErr loads a test file and returns its first load error.
func loadErr(t *testing.T, name string) Errors {
	t.Helper()
	_, err := LoadFile(filepath.Join("testdata", name))
	if err == nil {
		t.Fatalf("%s loaded; want an error", name)
	}
	es, ok := AsErrors(err)
	if !ok {
		t.Fatalf("%s: error %v is not a load error", name, err)
	}
	return es
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		file string
		line int
		msg  string
	}{
		{"broken-table.md", 10, "not part of a table"},
		{"unknown-owner.md", 8, `unknown owner "facilities"`},
		{"bad-overlay.yaml", 4, `unknown owner "facilities"`},
		{"bad-overlay.yaml", 9, `unknown key "colour"`},
		{"bad-refs.yaml", 5, `"customer/nothing-here" does not exist`},
		{"bad-refs.yaml", 8, `names entry "customer/printers", which does not exist`},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			es := loadErr(t, tt.file)
			for _, e := range es {
				if e.Line == tt.line && strings.Contains(e.Msg, tt.msg) && strings.HasSuffix(e.File, tt.file) {
					return
				}
			}
			t.Errorf("no error at line %d containing %q in:\n%v", tt.line, tt.msg, es)
		})
	}
}

func TestParseMarkdownErrors(t *testing.T) {
	const side = "## Your roles and responsibilities\n\n"
	tests := []struct {
		name, src string
		line      int
		msg       string
	}{
		{"no table", "# Nothing\n\nJust text.\n", 1, "no responsibility table"},
		{"no side heading", "# T\n\n| Role or responsibility | Description |\n| --- | --- |\n| A | B |\n", 3, "not under a heading"},
		{"extra cell", "# T\n\n" + side + "| Role | Description |\n| --- | --- |\n| A | B | C |\n", 7, "3 cells"},
		{"missing cell", "# T\n\n" + side + "| Role | Description |\n| --- | --- |\n| A |\n", 7, "1 cells"},
		{"empty title", "# T\n\n" + side + "| Role | Description |\n| --- | --- |\n| | B |\n", 7, "no title"},
		{"empty description", "# T\n\n" + side + "| Role | Description |\n| --- | --- |\n| A | |\n", 7, "no description"},
		{"duplicate", "# T\n\n" + side + "| Role | Description |\n| --- | --- |\n| A | B |\n| A | C |\n", 8, "already defined at line 7"},
		{"four columns", "# T\n\n" + side + "| Role | Description | X | Y |\n| --- | --- | --- | --- |\n| A | B | C | D |\n", 5, "4 columns"},
		{"unclosed front matter", "---\ntitle: x\n", 1, "never closed"},
		{"bad date", "---\nms.date: someday\n---\n# T\n", 2, "not a date"},
		{"not utf-8", "# T\n\xff\xfe\n", 1, "UTF-8"},
		{"javascript link", "# T\n\n" + side + "| Role | Description |\n| --- | --- |\n| A | [x](javascript:alert(1)) |\n", 7, "not an http, https or mailto: address"},
		{"page address", "---\nurl: ftp://example.com/x\n---\n# T\n", 1, "not an absolute http or https address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := ParseMarkdown("x.md", []byte(tt.src), "")
			es, ok := AsErrors(err)
			if !ok {
				t.Fatalf("err = %v, want load errors", err)
			}
			if es[0].Line != tt.line || !strings.Contains(es[0].Msg, tt.msg) || es[0].File != "x.md" {
				t.Errorf("got %v, want x.md:%d: …%s…", es, tt.line, tt.msg)
			}
		})
	}
}

func TestLoadCustomMarkdown(t *testing.T) {
	kb, err := LoadFile(filepath.Join("testdata", "custom.md"))
	if err != nil {
		t.Fatal(err)
	}
	p := kb.Page()
	if p.Title != "Contoso responsibilities" || p.Date != "2025-03-01" || p.URL != "https://intranet.contoso.example/it/responsibilities" {
		t.Errorf("page = %+v", p)
	}
	up, _ := kb.Entry("microsoft/update-monitoring-and-management")
	if got := up.Links[0].URL; got != "https://intranet.contoso.example/it/updates#rings" {
		t.Errorf("relative link resolved to %s", got)
	}
	pr, _ := kb.Entry("customer/printing")
	if pr.Description() != "The Contoso service desk runs printers:\n• print queues\n• toner" {
		t.Errorf("printing description = %q", pr.Description())
	}
	// The embedded overlay still adds its annotations to entries of the same
	// id: the shared "Apps" row gets its split.
	apps, _ := kb.Entry("customer/apps")
	if apps.Owner != OwnerShared || apps.Split == nil {
		t.Errorf("apps = %+v", apps)
	}
	if r := kb.Search("printer queue stuck"); r.Matches[0].Entry.ID != "customer/printing" {
		t.Errorf("search = %v", ids(r.Matches))
	}
}

func TestSharedNeedsSplit(t *testing.T) {
	src := "# T\n\n## Your roles and responsibilities\n\n| Role | Description | Owner |\n| --- | --- | --- |\n| Laptops | Both buy laptops. | shared |\n"
	_, err := Load(File{Name: "kb.md", Data: []byte(src)})
	if err == nil || !strings.Contains(err.Error(), `kb.md:7: entry "customer/laptops" is shared but has no split`) {
		t.Fatalf("err = %v", err)
	}
}

func TestLoadCustomYAML(t *testing.T) {
	kb, err := LoadFile(filepath.Join("testdata", "custom.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(kb.Entries()); n != 2 {
		t.Fatalf("%d entries, want 2", n)
	}
	e, ok := kb.Entry("customer/service-desk")
	if !ok {
		t.Fatal("customer/service-desk missing")
	}
	if got := e.Items(); !slices.Equal(got, []string{"laptops and phones", "passwords"}) {
		t.Errorf("items = %q", got)
	}
	if e.Contact == nil || e.Contact.Text != "#it-help on Slack" {
		t.Errorf("contact = %+v", e.Contact)
	}
	if p := kb.Page(); p.Title != "Fabrikam IT responsibilities" || p.Date != "2025-06-30" {
		t.Errorf("page = %+v", p)
	}
	if r := kb.Search("I need a ticket looked at"); r.Matches[0].Entry.ID != "customer/service-desk" {
		t.Errorf("custom vocabulary not used: %+v", r.Matches)
	}
}

func TestLoadExtendYAML(t *testing.T) {
	kb, err := LoadFile(filepath.Join("testdata", "extend.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(kb.Entries()); n != 16 {
		t.Fatalf("%d entries, want 16", n)
	}
	if e, _ := kb.Entry("customer/printing"); e.Contact == nil || !strings.Contains(e.Contact.URL, "contoso") {
		t.Errorf("printing contact = %+v", e.Contact)
	}
	r := kb.Search("our mobile phones, who looks after them?")
	if r.Band == BandUnknown || r.Matches[0].Entry.ID != "customer/mobile-phones" {
		t.Errorf("search for the new entry: band %s, %v", r.Band, r.Matches)
	}
	// The embedded knowledge is unchanged.
	if n := len(Default().Entries()); n != 15 {
		t.Errorf("default has %d entries after an extension", n)
	}
}

func TestLoadUnknownKind(t *testing.T) {
	_, err := Load(File{Name: "kb.txt", Data: []byte("x")})
	if err == nil || !strings.Contains(err.Error(), "unknown kind of knowledge file") {
		t.Fatalf("err = %v", err)
	}
	_, err = LoadFile(filepath.Join("testdata", "missing.yaml"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("err = %v, want not-exist", err)
	}
}

func TestOverlayErrors(t *testing.T) {
	tests := []struct {
		name, src string
		line      int
		msg       string
	}{
		{"not yaml", "entries: [", 1, "not valid YAML"},
		{"not a mapping", "- a\n- b\n", 1, "must be a mapping"},
		{"unknown top key", "extends: default\nfoo: 1\n", 2, `unknown key "foo"`},
		{"bad extends", "extends: everything\n", 1, `extends must be "default"`},
		{"vocab without entries", "vocabulary:\n  - term: vpn\n", 2, "names no entries"},
		{"bad weight", "vocabulary:\n  - term: vpn\n    entries: [customer/printing]\n    weight: 9\n", 2, "outside 0..5"},
		{"bad link", "entries:\n  - id: customer/printing\n    links: [{text: x, url: /relative}]\n", 3, "not an absolute http or https address"},
		{"half split", "entries:\n  - id: customer/printing\n    split: {microsoft: x}\n", 3, "needs both"},
		{"bad side", "entries:\n  - title: X\n    side: both\n    description: d\n", 3, `unknown side "both"`},
		{"javascript link", "entries:\n  - id: customer/printing\n    links: [{text: x, url: \"javascript:alert(1)\"}]\n", 3, "not an absolute http or https address"},
		{"bad contact", "entries:\n  - id: customer/printing\n    contact: {text: x, url: \"data:text/html,x\"}\n", 3, "not an http, https or mailto: address"},
		{"duplicate entry", "entries:\n  - title: X\n    side: customer\n    description: d\n  - id: customer/x\n    keywords: [y]\n", 5, "already given at line 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseOverlay("o.yaml", []byte(tt.src))
			es, ok := AsErrors(err)
			if !ok {
				t.Fatalf("err = %v", err)
			}
			if es[0].Line != tt.line || !strings.Contains(es[0].Msg, tt.msg) {
				t.Errorf("got %v, want o.yaml:%d: …%s…", es, tt.line, tt.msg)
			}
		})
	}
}

func TestTokens(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"Who's responsible for Wi-Fi?", []string{"who", "responsible", "for", "wi", "fi"}},
		{"my laptop won't let me install 😬", []string{"my", "laptop", "will", "not", "let", "me", "install"}},
		{"our kiosk pcs arent in mmd", []string{"our", "kiosk", "pcs", "are", "not", "in", "mmd"}},
		{"printing? 🖨️ :printer:", []string{"printing"}},
		{"a user’s ticket", []string{"a", "user", "ticket"}},
		{"&lt;b&gt; R&amp;D", []string{"b", "r", "d"}},
	}
	for _, tt := range tests {
		if got := Tokens(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("Tokens(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSearch(t *testing.T) {
	kb := Default()
	tests := []struct {
		q    string
		top  string // "" for BandUnknown
		band Band
	}{
		{"@mmd who handles VPN issues?", "customer/network-infrastructure-including-vpn", ""},
		{"who handels vpn", "customer/network-infrastructure-including-vpn", ""},
		{"printr queue stuck", "customer/printing", ""},
		{"who monitors our devices with Defender for Endpoint?", "microsoft/security-monitoring", BandAnswer},
		{"Patch Tuesday updates on MMD devices - who's responsible?", "microsoft/update-monitoring-and-management", BandAnswer},
		{"who configures DMARC for our domain?", "customer/microsoft-365-apps-for-enterprise-configuration-and-management", ""},
		{"who does security monitoring for the PCs that aren't in MMD?", "customer/security-monitoring-and-response", ""},
		{"who runs payroll?", "", BandUnknown},
		{"asdfgh", "", BandUnknown},
		{"", "", BandUnknown},
		{"who's printing and binding the quarterly report for the board meeting?", "", BandUnknown},
		{"the elevator is broken", "", BandUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			r := kb.Search(tt.q)
			if tt.top == "" {
				if r.Band != BandUnknown {
					t.Fatalf("band %s (confidence %.2f, top %v), want unknown", r.Band, r.Confidence, r.Matches)
				}
				return
			}
			if r.Band == BandUnknown || r.Matches[0].Entry.ID != tt.top {
				t.Fatalf("band %s, matches %v; want %s first", r.Band, ids(r.Matches), tt.top)
			}
			if tt.band != "" && r.Band != tt.band {
				t.Errorf("band %s, want %s", r.Band, tt.band)
			}
		})
	}
}

func ids(ms []Match) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Entry.ID)
	}
	return out
}

// TestSearchRanksBothSides checks that a question both sides own ranks
// both: the judge (TestJudge) decides whether the answer names both.
func TestSearchRanksBothSides(t *testing.T) {
	for q, want := range map[string][]string{
		"who handles user support?":    {"customer/user-support", "microsoft/user-support"},
		"incidents on non-MMD devices": {"customer/operations-support", "customer/security-monitoring-and-response"},
	} {
		r := Default().Search(q)
		if len(r.Matches) < 2 {
			t.Fatalf("%q: matches %v", q, ids(r.Matches))
		}
		got := []string{r.Matches[0].Entry.ID, r.Matches[1].Entry.ID}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%q: top two %v, want %v", q, got, want)
		}
	}
}

func TestCorrections(t *testing.T) {
	kb := Default()
	for typed, want := range map[string]string{
		"polcy": "policy", "tikcet": "ticket", "networkng": "networking", "licnse": "license", "excange": "exchange",
	} {
		r := kb.Search("who " + typed)
		if got := r.Corrections[typed]; got != want {
			t.Errorf("%q corrected to %q, want %q", typed, got, want)
		}
	}
	// Real words are not "corrected" into others.
	for _, w := range []string{"watches", "dropping", "london"} {
		if got, ok := kb.Search("who " + w).Corrections[w]; ok {
			t.Errorf("%q corrected to %q", w, got)
		}
	}
}

func TestSuggest(t *testing.T) {
	got := Default().Suggest("prnt", 3)
	if len(got) == 0 || got[0].ID != "customer/printing" {
		t.Errorf("Suggest(prnt) = %v", got)
	}
	if Default().Suggest("", 3) != nil {
		t.Error("Suggest of nothing should be nil")
	}
}

func TestParseOwner(t *testing.T) {
	for in, want := range map[string]Owner{"Microsoft": OwnerMicrosoft, "us": OwnerCustomer, "customer": OwnerCustomer, " shared ": OwnerShared} {
		if got, err := ParseOwner(in); err != nil || got != want {
			t.Errorf("ParseOwner(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseOwner("everyone"); err == nil {
		t.Error("ParseOwner(everyone) should fail")
	}
}
