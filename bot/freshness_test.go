package bot_test

import (
	"testing"
	"time"

	"github.com/mmdbot/mmdbot/bot"
	"github.com/mmdbot/mmdbot/internal/replytest"
)

func TestFreshnessSentence(t *testing.T) {
	checked := time.Date(2026, 12, 5, 23, 30, 0, 0, time.FixedZone("CET", 3600))
	for _, tt := range []struct {
		f    bot.Freshness
		want string
	}{
		{bot.Freshness{}, ""},
		{bot.Freshness{Checked: checked}, "checked against the published page on 2026-12-05"},
		{bot.Freshness{Checked: checked, Changed: true, URL: "https://learn.microsoft.com/x"}, "the published page has changed since this copy; see https://learn.microsoft.com/x"},
		{bot.Freshness{Changed: true}, "the published page has changed since this copy"},
	} {
		if got := tt.f.Sentence(); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.f, got, tt.want)
		}
	}
}

// TestFreshnessOnReplies: every reply, and the source the web page cites,
// carry the freshness of the knowledge now.
func TestFreshnessOnReplies(t *testing.T) {
	for _, c := range replytest.Fresh(t) {
		if c.Reply.Source.Freshness != c.Reply.Freshness.Sentence() {
			t.Errorf("%s: source line %q, freshness %+v", c.Name, c.Reply.Source.Freshness, c.Reply.Freshness)
		}
		if j := c.Reply.JSON(); j.Freshness == nil || j.Freshness.Sentence != c.Reply.Source.Freshness {
			t.Errorf("%s: JSON freshness %+v", c.Name, j.Freshness)
		}
	}
}
