package web

import (
	"bytes"
	"testing"

	"github.com/mmdbot/mmdbot/internal/replytest"
)

// TestReplyFreshness: the source line says how current the knowledge is.
func TestReplyFreshness(t *testing.T) {
	for _, c := range replytest.Fresh(t) {
		var buf bytes.Buffer
		if err := templates.ExecuteTemplate(&buf, "reply", replyOf(c.Reply, c.Reply.Question)); err != nil {
			t.Fatal(err)
		}
		replytest.Check(t, c.Name, buf.String(), replytest.Says(c.Reply))
	}
}
