package eval

import (
	"context"
	"fmt"
	"hash/fnv"
	"path"
	"slices"
	"strings"

	"github.com/mmdbot/mmdbot/bot"
	"github.com/mmdbot/mmdbot/knowledge"
)

// Set is a named question set.
type Set struct {
	Name  string
	Items []Item
}

// SetReport is the figures of one set, scored by a model that never saw it.
type SetReport struct {
	Name string `json:"name"`
	Report
}

// CrossReport is the figures of a cross-validation: each set scored by a
// model trained on the knowledge's examples without that set's questions.
type CrossReport struct {
	CrossValidated bool        `json:"cross_validated"`
	Sets           []SetReport `json:"sets"`
	// MeanTop1 and MeanAbstention average the sets' figures, each set
	// counting once.
	MeanTop1       float64 `json:"mean_top1"`
	MeanAbstention float64 `json:"mean_abstention"`
	// Sides counts the held-out questions about a shared entry that say
	// which side they ask about and were answered with that entry;
	// SideAccuracy is the share of those whose side was named right.
	Sides        int     `json:"sides"`
	SideAccuracy float64 `json:"side_accuracy"`
	// Bands are the bands that the held-out probabilities of the question
	// sets choose (knowledge.ChooseBands): questions as people ask them,
	// not the examples written category by category, which are harder on
	// purpose; the knowledge's own bands are in Current.
	Bands   knowledge.Bands `json:"bands"`
	Current knowledge.Bands `json:"current_bands"`
	// BandsFit and CurrentFit say how each does on the same held-out
	// predictions.
	BandsFit   knowledge.BandsFit `json:"bands_fit"`
	CurrentFit knowledge.BandsFit `json:"current_bands_fit"`
}

// CrossValidate scores each set with the bot on a copy of base whose model
// was trained without the set's questions (leave one set out). A set the
// knowledge has no example of is scored by the knowledge as it is, which
// never saw it either.
func CrossValidate(ctx context.Context, base *knowledge.Base, sets []Set, opts bot.Options) CrossReport {
	rep := CrossReport{CrossValidated: true, Sets: []SetReport{}, Current: base.Bands()}
	var scored []knowledge.Scored
	var sideOK int
	for _, s := range sets {
		kb := base.Without(s.Items)
		r := Run(ctx, bot.New(kb, opts), s.Items)
		rep.Sets = append(rep.Sets, SetReport{Name: s.Name, Report: r})
		rep.MeanTop1 += r.Top1
		rep.MeanAbstention += r.Abstention
		rep.Sides += r.Sides
		sideOK += r.SidesRight
		if !strings.HasPrefix(s.Name, categoryFoldName) {
			for _, it := range s.Items {
				scored = append(scored, knowledge.ScoreExample(it, kb.Search(it.Q)))
			}
		}
	}
	if n := float64(len(sets)); n > 0 {
		rep.MeanTop1 /= n
		rep.MeanAbstention /= n
	}
	if rep.Sides > 0 {
		rep.SideAccuracy = float64(sideOK) / float64(rep.Sides)
	}
	rep.Bands = knowledge.ChooseBands(scored)
	rep.BandsFit = knowledge.FitBands(scored, rep.Bands)
	rep.CurrentFit = knowledge.FitBands(scored, rep.Current)
	return rep
}

// categoryFoldName begins the name of a fold of examples written category
// by category.
const categoryFoldName = "category examples, fold"

// CategoryFolds is how many folds the examples written category by category
// are cut into for cross-validation.
const CategoryFolds = 5

// IsCategorySet reports whether a set of examples was written category by
// category (a file named category-*.yaml: the questions of one entry, or
// of one kind of topic outside MMD) rather than as a question set in one
// voice.
func IsCategorySet(name string) bool {
	return strings.HasPrefix(path.Base(name), "category-")
}

// Sets groups a knowledge's examples for cross-validation. Each question
// set is a set of its own, left out whole: a model must answer a voice it
// never heard. Examples written category by category are pooled and cut
// into CategoryFolds folds by their question: leaving out a whole category
// would leave the model without its entry, which no real traffic does.
func Sets(exs []Item) []Set {
	var sets []Set
	add := func(name string, ex Item) {
		i := slices.IndexFunc(sets, func(s Set) bool { return s.Name == name })
		if i < 0 {
			sets = append(sets, Set{Name: name})
			i = len(sets) - 1
		}
		sets[i].Items = append(sets[i].Items, ex)
	}
	for _, ex := range exs {
		if !IsCategorySet(ex.Set) {
			add(ex.Set, ex)
		}
	}
	for _, ex := range exs {
		if IsCategorySet(ex.Set) {
			h := fnv.New32a()
			h.Write([]byte(strings.ToLower(ex.Q)))
			add(fmt.Sprintf("%s %d of %d", categoryFoldName, h.Sum32()%CategoryFolds+1, CategoryFolds), ex)
		}
	}
	slices.SortStableFunc(sets, func(a, b Set) int {
		return strings.Compare(a.Name, b.Name)
	})
	return sets
}
