package main

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/mmdbot/mmdbot/bot"
	"github.com/mmdbot/mmdbot/knowledge"
	"github.com/mmdbot/mmdbot/metrics"
	"github.com/mmdbot/mmdbot/upstream"
)

// newUpstreamCheck returns the checks of the knowledge in use (current)
// against the published page, counted in m; nil when none is configured.
// They run once Run is called.
func newUpstreamCheck(cfg config, current func() *knowledge.Base, m *metrics.Metrics, log *slog.Logger, h hooks) *upstream.Checker {
	if cfg.KBUpstream == "" {
		log.Info("knowledge checks off: the published page is never fetched; set --kb-upstream or MMD_KB_UPSTREAM to its address to be told when it changes")
		return nil
	}
	c := &upstream.Checker{URL: cfg.KBUpstream, Every: cfg.KBUpstreamEvery, Current: current, Log: log}
	counts := m.Upstream(func() (bool, time.Time) {
		st := c.Status()
		return st.Changed, st.Checked
	})
	c.OnCheck = func(st upstream.Status) {
		switch {
		case st.Error != "":
			counts.Checked(metrics.UpstreamFailed)
		case st.Changed:
			counts.Checked(metrics.UpstreamChanged)
		default:
			counts.Checked(metrics.UpstreamSame)
		}
		if h.checked != nil {
			h.checked(st)
		}
	}
	log.Info("knowledge checks on: the published page is compared with the knowledge in use; a change is reported, never applied", "url", cfg.KBUpstream, "every", cfg.KBUpstreamEvery)
	return c
}

// freshnessOf tells the bot what the checks have found: when the published
// page was last compared with the knowledge answering, and whether it has
// changed since.
func freshnessOf(c *upstream.Checker) func() bot.Freshness {
	return func() bot.Freshness {
		st := c.Status()
		f := bot.Freshness{Checked: st.Checked, Changed: st.Changed}
		if st.Diff != nil {
			f.URL = st.Diff.New.URL
		}
		return f
	}
}

// upstreamReadiness is what /readyz says of the checks: "same", "changed"
// or "not checked yet", and "; last check failed" after a failure. A
// change or a failure never makes the server not ready: it goes on
// answering from the knowledge it has.
func upstreamReadiness(st upstream.Status) string {
	s := "same"
	switch {
	case st.Changed:
		s = "changed"
	case st.Checked.IsZero():
		s = "not checked yet"
	}
	if st.Error != "" {
		s += "; last check failed"
	}
	return s
}

// upstreamAlerts is what the review page says of the checks: that the
// published page has changed since the knowledge answering was loaded, and
// how much; nothing while it has not, or when nothing is checked.
func upstreamAlerts(c *upstream.Checker) func() []string {
	if c == nil {
		return nil
	}
	return func() []string {
		st := c.Status()
		if !st.Changed {
			return nil
		}
		what := "the page itself differs"
		if st.Diff != nil && len(st.Diff.Entries) > 0 {
			what = fmt.Sprintf("%d entries differ", len(st.Diff.Entries))
			if len(st.Diff.Entries) == 1 {
				what = "1 entry differs"
			}
		}
		return []string{fmt.Sprintf("The published Learn page has changed since the knowledge answering was loaded: %s (noticed %s). mmdbot kb fetch shows how; answers and decisions stay with the knowledge loaded until it is updated.",
			what, st.Since.UTC().Format("2 January 2006"))}
	}
}
