package eval

import (
	"context"
	"fmt"
	"testing"

	"github.com/mmdbot/mmdbot/bot"
	"github.com/mmdbot/mmdbot/knowledge"
)

func TestScratchEval(t *testing.T) {
	items, err := ReadFile("../../shared/eval/questions.yaml")
	if err != nil {
		t.Fatal(err)
	}
	kb := knowledge.Default()
	rep := Run(context.Background(), bot.New(kb, bot.Options{}), items)
	for _, m := range rep.Misses {
		res := kb.Search(m.Q)
		var top []string
		for _, x := range res.Matches {
			top = append(top, fmt.Sprintf("%s=%.1f", x.Entry.ID, x.Score))
		}
		fmt.Printf("MISS %q expect=%v got=%q band=%s conf=%.2f cov=%d unk=%d off=%d %v %v\n", m.Q, m.Expect, m.Got, m.Band, m.Confidence, res.Covered, res.Unknown, res.OffTopic, top, res.Corrections)
	}
	fmt.Printf("top1=%.3f (%d) abst=%.3f (%d) answered=%d suggested=%d ns/q=%.0f\n", rep.Top1, rep.InScope, rep.Abstention, rep.OutOfScope, rep.Answered, rep.Suggested, rep.PerQuestion)
}
