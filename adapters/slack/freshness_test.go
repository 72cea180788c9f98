package slack

import (
	"testing"

	"github.com/mmdbot/mmdbot/internal/replytest"
)

// TestRenderFreshness: the source line says how current the knowledge is.
func TestRenderFreshness(t *testing.T) {
	for _, c := range replytest.Fresh(t) {
		replytest.Check(t, c.Name, allText(t, render(c.Reply, renderOptions{})), replytest.Says(c.Reply))
	}
}
