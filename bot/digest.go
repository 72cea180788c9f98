package bot

import (
	"cmp"
	"slices"
	"time"
)

// MaxDigestRows bounds the questions a digest lists: the most asked.
const MaxDigestRows = 5

// Digest is what the weekly digest to the admins' channel says: how many
// questions the bot could not answer over a period, how many of its answers
// got a 👎, and the questions asked most often, with a link to the review
// page where an admin decides what each should get.
type Digest struct {
	// Since and Until bound the period the digest covers.
	Since, Until time.Time
	// Unanswered and Downvoted count questions (the sum of how often each
	// was asked or voted 👎), not different questions.
	Unanswered, Downvoted int
	// People is how many different people asked the unanswered questions,
	// as far as the journal tells them apart; 0 when it cannot.
	People int
	// Top holds the questions asked most often, most asked first.
	Top []DigestRow
	// URL is the review page's address; "" when unknown.
	URL string
}

// DigestRow is one question of a digest.
type DigestRow struct {
	// Question is the question as last asked.
	Question string
	// Count is how often it was asked (or its answer voted 👎), People by
	// how many different people (0: unknown).
	Count, People int
	// Entry, for an answer voted 👎, is the title of the entry given.
	Entry string
}

// NewDigest returns the reply that carries a digest to an admins' channel:
// its heading as Text, its rows most asked first and at most
// MaxDigestRows of them. A URL that is not an http(s) address is left out.
func NewDigest(d Digest) Reply {
	d.Top = slices.Clone(d.Top)
	slices.SortStableFunc(d.Top, func(a, b DigestRow) int { return cmp.Compare(b.Count, a.Count) })
	d.Top = d.Top[:min(len(d.Top), MaxDigestRows)]
	for i := range d.Top {
		d.Top[i].Question = clean(d.Top[i].Question)
	}
	d.URL = SafeURL(d.URL, false)
	return Reply{Kind: KindDigest, Intent: IntentDigest, Text: DigestHeading(d), Digest: &d}
}
