package upstream

import (
	"context"
	"crypto/sha256"
	"log/slog"
	"sync"
	"time"

	"github.com/mmdbot/mmdbot/knowledge"
)

// Status is what the checks of the published page have found so far.
type Status struct {
	URL string `json:"url"`
	// Checked is when the published page was last compared with the
	// knowledge in use; zero before the first check succeeds.
	Checked time.Time `json:"checked,omitzero"`
	// Changed says the published page differs from the knowledge in use;
	// Diff says how (the knowledge in use is its old side), and Since is
	// when the difference was first noticed.
	Changed bool            `json:"changed"`
	Since   time.Time       `json:"since,omitzero"`
	Diff    *knowledge.Diff `json:"diff,omitempty"`
	// Error is why the last check failed, and Failed when; empty once a
	// check succeeds again.
	Error  string    `json:"error,omitempty"`
	Failed time.Time `json:"failed,omitzero"`
}

// Checker compares the published page with the knowledge in use, every so
// often, and never applies what it finds: a change is logged once,
// reported to OnCheck, and kept in its Status until the knowledge in use
// is the published page again (an admin applied it through the normal
// reload).
// Its methods are safe for concurrent use.
type Checker struct {
	URL   string
	Every time.Duration
	// Client downloads the page (nil: a zero Client).
	Client *Client
	// Current returns the knowledge in use.
	Current func() *knowledge.Base
	// Log (nil: none) says what each check found.
	Log *slog.Logger
	// OnCheck (nil: none) is told the status after each check.
	OnCheck func(Status)
	// Now (nil: time.Now) tells the time.
	Now func() time.Time

	mu         sync.Mutex
	status     Status
	validators Validators
	published  *knowledge.Base // the last page downloaded
	sum        [sha256.Size]byte
	inUse      *knowledge.Base // the knowledge status was compared with
	logged     string          // the summary of the change last logged, with the page's hash
}

// firstRetry is how soon a failed check is tried again; each failure in a
// row doubles it, up to Every.
const firstRetry = time.Minute

// Run checks at once, then every Every (sooner after a failure), until ctx
// is done.
func (c *Checker) Run(ctx context.Context) {
	retry := min(firstRetry, c.Every)
	for {
		wait := c.Every
		if st := c.Check(ctx); st.Error != "" {
			wait, retry = retry, min(2*retry, c.Every)
		} else {
			retry = min(firstRetry, c.Every)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// Status returns what the checks have found so far, compared with the
// knowledge in use now: once an admin applies the published page (the
// server reloads its knowledge file), the change is no longer reported.
func (c *Checker) Status() Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.compare()
	st := c.status
	st.URL = c.URL
	return st
}

// Check downloads the page (conditionally: an unchanged page is not
// downloaded again), compares it with the knowledge in use, and returns
// the status.
func (c *Checker) Check(ctx context.Context) Status {
	client := c.Client
	if client == nil {
		client = &Client{}
	}
	c.mu.Lock()
	v := c.validators
	if c.published == nil {
		v = Validators{}
	}
	c.mu.Unlock()
	page, err := client.Fetch(ctx, c.URL, v)
	if ctx.Err() != nil {
		return c.Status()
	}
	c.mu.Lock()
	now := c.now()
	if err != nil {
		c.status.Error, c.status.Failed = err.Error(), now
		c.mu.Unlock()
		c.log().Warn("knowledge check: the published page could not be compared; the knowledge in use goes on answering, and the check is tried again",
			"url", c.URL, "error", err)
		return c.report()
	}
	c.validators = page.Validators
	if !page.NotModified {
		c.published, c.sum = page.KB, sha256.Sum256(page.Data)
	}
	c.status.Error, c.status.Failed = "", time.Time{}
	c.status.Checked = now
	c.inUse = nil // compare again
	c.mu.Unlock()
	return c.report()
}

// compare compares the page last downloaded with the knowledge in use,
// when either changed since the last comparison. c.mu is held.
func (c *Checker) compare() {
	cur := c.Current()
	if c.published == nil || cur == c.inUse {
		return
	}
	c.inUse = cur
	d := knowledge.Compare(cur, c.published)
	if d.Equal() {
		if c.status.Changed {
			c.log().Info("knowledge check: the knowledge in use is the published page again", "url", c.URL)
		}
		c.status.Changed, c.status.Diff, c.status.Since, c.logged = false, nil, time.Time{}, ""
		return
	}
	key := d.Summary() + string(c.sum[:])
	if !c.status.Changed {
		c.status.Since = c.now()
	}
	c.status.Changed, c.status.Diff = true, d
	if key != c.logged {
		c.logged = key
		c.logChange(d)
	}
}

// logChange logs a change once: a summary, each entry changed, and what
// names entries that are gone.
func (c *Checker) logChange(d *knowledge.Diff) {
	log := c.log()
	log.Warn("knowledge check: the published page has changed since the knowledge in use; it is not applied: review it, then apply it through the knowledge file",
		"url", c.URL, "summary", d.Summary(), "in_use_date", d.Old.Date, "published_date", d.New.Date,
		"review", "mmdbot kb fetch --url "+c.URL)
	for _, e := range d.Entries {
		var fields []string
		for _, f := range e.Fields {
			fields = append(fields, f.Field)
		}
		log.Info("knowledge check: entry "+e.Kind, "id", e.ID, "old_id", e.OldID, "title", e.Title, "fields", fields)
	}
	for _, g := range d.OrphanGroups() {
		log.Warn("knowledge check: the knowledge in use names an entry the published page no longer has; fix it before applying the page (mmdbot kb diff lists each)",
			"id", g.ID, "overlay", g.Overlay, "examples", g.Examples, "vocabulary_terms", len(g.Terms))
	}
}

func (c *Checker) report() Status {
	st := c.Status()
	if c.OnCheck != nil {
		c.OnCheck(st)
	}
	return st
}

func (c *Checker) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Checker) log() *slog.Logger {
	if c.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.Log
}
