package plaintext

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/mmdbot/mmdbot/bot"
	goldenfile "github.com/mmdbot/mmdbot/internal/golden"
	"github.com/mmdbot/mmdbot/internal/replytest"
	"github.com/mmdbot/mmdbot/knowledge"
)

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	goldenfile.Check(t, filepath.Join("testdata", name+".golden"), got)
}

// TestRender renders every kind of reply the bot gives, compares the text
// with the golden files, and checks that it says what every renderer says:
// the bot's sentences, and its hints where a button would be.
func TestRender(t *testing.T) {
	for _, c := range append(replytest.Cases(t), replytest.Digests(t)...) {
		t.Run(c.Name, func(t *testing.T) {
			got := Render(c.Reply)
			golden(t, c.Name, []byte(got))
			replytest.Check(t, c.Name, got, replytest.Says(c.Reply))
			replytest.Check(t, c.Name, got, []string{c.Reply.Hint})
		})
	}
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
