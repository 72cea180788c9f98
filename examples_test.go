package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mmdbot/mmdbot/store"
)

// mmdbot runs the command with args and returns its stdout, its stderr
// and its exit error.
func mmdbot(t *testing.T, env map[string]string, args ...string) (string, string, error) {
	t.Helper()
	var out, errw bytes.Buffer
	err := run(context.Background(), args, func(k string) string { return env[k] }, strings.NewReader(""), &out, &errw)
	return out.String(), errw.String(), err
}

// TestExamplesRoundTrip: decisions exported, checked by kb validate, and
// imported into another data store are the same examples.
func TestExamplesRoundTrip(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	first, second := filepath.Join(dir, "first.db"), filepath.Join(dir, "second.db")
	st, err := store.Open(ctx, first, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []store.Decision{
		{Question: "wifi keeps dropping in building B", Kind: store.DecideAnswer, Entries: []string{"customer/network-infrastructure-including-vpn"}, By: "ada@example.com"},
		{Question: "who fixes the coffee machine?", Kind: store.DecideOutOfScope, By: "token"},
		{Question: "asdf", Kind: store.DecideDismiss, By: "ada@example.com"},
		{Question: `a question with "quotes": and # a colon`, Kind: store.DecideAnswer, Entries: []string{"customer/printing"}, By: "bob\nmallory@example.com"},
	} {
		if _, err := st.Decide(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	want, _ := st.Examples(ctx)
	st.Close()

	yml, stderr, err := mmdbot(t, nil, "examples", "export", "--data", first)
	if err != nil {
		t.Fatalf("export: %v: %s", err, stderr)
	}
	for _, s := range []string{"extends: default", "# decided on the review page by ada@example.com", "expect: []", "by bob mallory@example.com"} {
		if !strings.Contains(yml, s) {
			t.Errorf("the export has no %q:\n%s", s, yml)
		}
	}
	if strings.Contains(yml, "asdf") {
		t.Errorf("a dismissal was exported:\n%s", yml)
	}
	exported := filepath.Join(dir, "admin-examples.yaml")
	os.WriteFile(exported, []byte(yml), 0o600)
	if out, stderr, err := mmdbot(t, nil, "kb", "validate", exported); err != nil || !strings.Contains(out, "valid") {
		t.Errorf("kb validate the export: %v\n%s%s", err, out, stderr)
	}

	os.WriteFile(second, nil, 0o600)
	if out, stderr, err := mmdbot(t, nil, "examples", "import", "--by", "carol@example.com", "--data", second, exported); err != nil || !strings.Contains(out, "imported 3 examples (0 in place") {
		t.Fatalf("import: %v\n%s%s", err, out, stderr)
	}
	st, err = store.Open(ctx, second, 0)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := st.Examples(ctx)
	ds, _ := st.Decisions(ctx)
	st.Close()
	if len(got) != len(want) {
		t.Fatalf("imported %d examples, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].Q != want[i].Q || !slices.Equal(got[i].Expect, want[i].Expect) || got[i].Side != want[i].Side {
			t.Errorf("example %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	if ds[0].By != "carol@example.com" || ds[0].Source != store.SourceImport {
		t.Errorf("imported decision %+v", ds[0])
	}
	// Importing again replaces, never doubles.
	if out, _, err := mmdbot(t, nil, "examples", "import", "--data", second, exported); err != nil || !strings.Contains(out, "imported 3 examples (3 in place") {
		t.Errorf("second import: %v %s", err, out)
	}

	// JSON, for scripts.
	if out, _, err := mmdbot(t, nil, "examples", "export", "--format", "json", "--data", second); err != nil || !strings.Contains(out, `"kind": "out-of-scope"`) {
		t.Errorf("json export: %v %s", err, out)
	}
}

func TestExamplesImportRefusesGarbage(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "mmdbot.db")
	os.WriteFile(data, nil, 0o600)
	for name, c := range map[string]struct{ file, want string }{
		"unknown entry":  {"- q: who runs the canteen\n  expect: [customer/canteen]\n", "bad.yaml:1: example \"who runs the canteen\" names unknown entry \"customer/canteen\""},
		"not yaml":       {"examples: [\n", "bad.yaml:"},
		"side of a row":  {"- q: who installs printers\n  expect: [customer/printing]\n  side: customer\n", "bad.yaml:1: example \"who installs printers\" has a side, but its first entry is not shared"},
		"no examples":    {"extends: default\n", "no examples"},
		"no expect":      {"- q: who runs the canteen\n", "needs expect"},
		"unknown key":    {"extends: default\nexampels: []\n", "bad.yaml:2"},
		"a list of junk": {"- 1\n- 2\n", "bad.yaml:1"},
	} {
		f := filepath.Join(dir, "bad.yaml")
		os.WriteFile(f, []byte(c.file), 0o600)
		_, stderr, err := mmdbot(t, nil, "examples", "import", "--data", data, f)
		if err == nil || !strings.Contains(stderr, c.want) || !strings.Contains(stderr, "nothing imported") {
			t.Errorf("%s: %v, stderr %q, want %q", name, err, stderr, c.want)
		}
	}
	if _, _, err := mmdbot(t, nil, "examples", "import", "--data", data, filepath.Join(dir, "missing.yaml")); err == nil {
		t.Error("a missing file imported")
	}
	if _, stderr, err := mmdbot(t, nil, "examples", "export", "--data", filepath.Join(dir, "none.db")); err == nil || !strings.Contains(stderr, "no data file") {
		t.Errorf("export without a data file: %v %q", err, stderr)
	}
}
