package plaintext

import (
	"bytes"
	"context"
	goldenfile "github.com/mmdbot/mmdbot/internal/golden"
	"path/filepath"
	"testing"

	"github.com/mmdbot/mmdbot/bot"
	"github.com/mmdbot/mmdbot/knowledge"
)

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	goldenfile.Check(t, filepath.Join("testdata", name+".golden"), got)
}

func TestRender(t *testing.T) {
	// The lexical matcher alone, so that each kind of reply comes from a
	// question whose verdict does not move with the model's examples.
	b := bot.New(knowledge.Default().Train(nil), bot.Options{})
	for name, q := range map[string]string{
		"answer":       "@mmd who handles VPN issues?",
		"no-own-page":  "who fixes printers?",
		"shared":       "who packages our win32 apps for intune?",
		"both-sides":   "who handles user support?",
		"did-you-mean": "incidents on non-MMD devices",
		"unknown":      "who runs payroll?",
		"help":         "help",
		"greeting":     "hi",
		"table":        "table",
		"list":         "list shared",
		"error":        "list everyone",
	} {
		t.Run(name, func(t *testing.T) {
			r, _ := b.Handle(context.Background(), bot.Message{Text: q})
			golden(t, name, []byte(Render(r)))
		})
	}
}

// TestRenderSide renders an answer about one side's part of a shared
// entry, as the model judges it: the side leads.
func TestRenderSide(t *testing.T) {
	b := bot.New(knowledge.Default(), bot.Options{})
	r, _ := b.Handle(context.Background(), bot.Message{Text: "who packages our SAP installer for Intune?"})
	if r.Answer == nil || r.Answer.SideNote() == "" {
		t.Fatalf("not an answer for one side: %+v", r)
	}
	golden(t, "shared-side", []byte(Render(r)))
}

func TestTableFormats(t *testing.T) {
	b := bot.New(knowledge.Default(), bot.Options{})
	r, _ := b.Handle(context.Background(), bot.Message{Text: "table"})
	var md, csv bytes.Buffer
	Markdown(&md, r.Groups)
	if err := CSV(&csv, r.Groups); err != nil {
		t.Fatal(err)
	}
	golden(t, "table-markdown", md.Bytes())
	golden(t, "table-csv", csv.Bytes())
}
