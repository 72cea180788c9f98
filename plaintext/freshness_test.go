package plaintext

import (
	"strings"
	"testing"

	"github.com/mmdbot/mmdbot/internal/replytest"
)

// TestRenderFreshness: the source line says how current the knowledge is.
func TestRenderFreshness(t *testing.T) {
	for _, c := range replytest.Fresh(t) {
		got := Render(c.Reply)
		replytest.Check(t, c.Name, got, replytest.Says(c.Reply))
		if !strings.Contains(got, ", as of 2022-12-06; "+c.Reply.Source.Freshness+" — https://") {
			t.Errorf("%s: source line not as expected:\n%s", c.Name, got)
		}
	}
}
