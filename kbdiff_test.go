package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mmdbot/mmdbot/internal/pagetest"
	"github.com/mmdbot/mmdbot/knowledge"
)

// runKB runs mmdbot with args and returns its output and exit status.
func runKB(t *testing.T, args ...string) (stdout, stderr string, status int) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(t.Context(), args, func(string) string { return "" }, nil, &out, &errOut)
	switch ec, ok := err.(exitCode); {
	case err == nil:
	case ok:
		status = int(ec)
	default:
		t.Fatalf("mmdbot %s: %v", strings.Join(args, " "), err)
	}
	return out.String(), errOut.String(), status
}

// writeEdit writes the embedded page with the edit made, and returns its path.
func writeEdit(t *testing.T, e pagetest.Edit) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), e.Name+".md")
	if err := os.WriteFile(path, e.Page(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestKBDiffEdits: "kb diff default FILE" on an edited copy of the page
// lists exactly the edit, and exits 1.
func TestKBDiffEdits(t *testing.T) {
	want := map[string][]string{
		"reworded":    {`changed customer/printing "Printing"`, `    description: … and administering printers and print queues. [-Cloud printing is a-]{+Universal Print is the+} recommended solution, but it isn't required.`},
		"removed":     {`removed customer/printing "Printing" (customer)`},
		"added":       {`added   customer/endpoint-analytics "Endpoint analytics" (customer)`},
		"owner-moved": {`changed customer/identity-management → microsoft/identity-management "Identity management"`, `    owner: customer → microsoft`},
		"renamed":     {`renamed customer/printing → customer/printing-and-print-queues: "Printing" → "Printing and print queues"`},
		"dated":       {`page ms.date: "2022-12-06" → "2024-03-14"`},
	}
	for _, e := range pagetest.Edits {
		t.Run(e.Name, func(t *testing.T) {
			out, errOut, status := runKB(t, "kb", "diff", "default", writeEdit(t, e))
			if status != 1 || errOut != "" {
				t.Fatalf("exit status %d, stderr %q; want 1 and nothing", status, errOut)
			}
			// The edit's lines come after the two header lines, before
			// a blank line.
			lines := strings.Split(out, "\n")
			body := lines[2:slices.Index(lines, "")]
			if strings.Join(body, "\n") != strings.Join(want[e.Name], "\n") {
				t.Errorf("kb diff says\n%s\nwant\n%s", strings.Join(body, "\n"), strings.Join(want[e.Name], "\n"))
			}
			// A row gone under its id leaves what named it to fix.
			if gone := e.OldID != "" && e.OldID != e.ID; gone != strings.Contains(out, "\n  "+e.OldID+"\n    overlay: keywords") {
				t.Errorf("orphans of %q listed: %v, want %v\n%s", e.OldID, !gone, gone, out)
			}
		})
	}
}

func TestKBDiffJSON(t *testing.T) {
	e := pagetest.Find("owner-moved")
	out, _, status := runKB(t, "kb", "diff", "--json", "default", writeEdit(t, e))
	var d knowledge.Diff
	if err := json.Unmarshal([]byte(out), &d); err != nil || status != 1 {
		t.Fatalf("exit status %d, JSON %v:\n%s", status, err, out)
	}
	if len(d.Entries) != 1 || d.Entries[0].ID != e.ID || d.Entries[0].OldID != e.OldID || d.Entries[0].Fields[0].New != "microsoft" {
		t.Errorf("JSON entries %+v", d.Entries)
	}
}

func TestKBDiffSameAndBroken(t *testing.T) {
	same := filepath.Join(t.TempDir(), "same.md")
	if err := os.WriteFile(same, knowledge.DefaultPage(), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, _, status := runKB(t, "kb", "diff", "default", same); status != 0 || !strings.HasSuffix(out, "\nno change\n") {
		t.Errorf("the same page: exit status %d, output\n%s", status, out)
	}
	broken := filepath.Join(t.TempDir(), "broken.md")
	if err := os.WriteFile(broken, []byte("# Roles\n\n## Your roles and responsibilities\n\n| Role or responsibility | Description |\n| Printing | You print. |\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, errOut, status := runKB(t, "kb", "diff", "default", broken)
	if status != 2 || !strings.Contains(errOut, "broken.md:5: this looks like a table row") {
		t.Errorf("a broken page: exit status %d, stderr\n%s", status, errOut)
	}
	if _, _, status := runKB(t, "kb", "diff", "default"); status != 2 {
		t.Errorf("one argument: exit status %d, want 2", status)
	}
}
