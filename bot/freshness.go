package bot

import "time"

// Freshness says how current the knowledge behind a reply is, against the
// page it was copied from: when the published page was last compared with
// it, and whether the page has changed since. The zero value says nothing
// is known (no check is configured).
type Freshness struct {
	// Checked is when the published page was last compared with the
	// knowledge; zero when it never was.
	Checked time.Time `json:"checked,omitzero"`
	// Changed says the published page differs from the knowledge answering
	// (a change an admin has not applied yet); URL is the page to read.
	Changed bool   `json:"changed,omitempty"`
	URL     string `json:"url,omitempty"`
}

// Sentence is what a reply's source line adds about the knowledge's
// freshness: "checked against the published page on 2026-12-05", or, while
// a change is not applied, "the published page has changed since this
// copy; see https://…"; "" when nothing is known.
func (f Freshness) Sentence() string {
	switch {
	case f.Changed && f.URL != "":
		return "the published page has changed since this copy; see " + f.URL
	case f.Changed:
		return "the published page has changed since this copy"
	case !f.Checked.IsZero():
		return "checked against the published page on " + f.Checked.UTC().Format("2006-01-02")
	}
	return ""
}

// fresh returns the reply with the freshness of the knowledge now, its
// sentence on the source line.
func (b *Bot) fresh(r Reply) Reply {
	if b.opts.Freshness != nil {
		r.Freshness = b.opts.Freshness()
		r.Source.Freshness = r.Freshness.Sentence()
	}
	return r
}
