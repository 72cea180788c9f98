package teams

import (
	"testing"

	"github.com/mmdbot/mmdbot/internal/replytest"
)

// TestCardFreshness: the source line says how current the knowledge is.
func TestCardFreshness(t *testing.T) {
	for _, c := range replytest.Fresh(t) {
		replytest.Check(t, c.Name, cardText(t, RenderCards(c.Reply)), replytest.Says(c.Reply))
	}
}
