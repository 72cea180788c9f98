package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"
	// The zone database, so that TZ names the digest's time zone even in
	// an image without one.
	_ "time/tzdata"

	"github.com/mmdbot/mmdbot/bot"
	"github.com/mmdbot/mmdbot/kbfile"
	"github.com/mmdbot/mmdbot/knowledge"
	"github.com/mmdbot/mmdbot/metrics"
	"github.com/mmdbot/mmdbot/plaintext"
	"github.com/mmdbot/mmdbot/store"
)

// The weekly digest to the admins' channels (MMD_ADMIN_CHANNEL_SLACK,
// MMD_ADMIN_CONVERSATION_TEAMS): how many questions the bot could not
// answer over the last 7 days, how many answers got a 👎, the questions
// asked most often, and a link to the review page.
//
// The server checks at start and every digestEvery whether the configured
// day and time (MMD_ADMIN_DIGEST_AT, in the server's time zone) has come,
// and for digestWindow after it: a server down at 09:00 sends at 09:20,
// one started on a Wednesday does not send Monday's. Each platform's
// digest of an ISO week is claimed in the store ("digest/slack/2026-W49")
// before it is built, so that of several replicas one alone sends it, and
// then owed to the adapter's outbox, which delivers it with retries. A
// digest that cannot be built or owed gives its claim back, and the next
// check tries again; the failure is logged with its reason and counted.

// Timing of the digest.
const (
	// digestEvery is how often the server checks whether a digest is due.
	digestEvery = 10 * time.Minute
	// digestWindow is how long after its day and time a digest is still
	// sent.
	digestWindow = 24 * time.Hour
	// digestPeriod is how far back a digest looks.
	digestPeriod = 7 * 24 * time.Hour
	// digestQuestions bounds the different questions a digest picks the
	// most asked from: the latest asked, when a week has more.
	digestQuestions = 5000
	// digestTimeout bounds one check: reading the journal and owing the
	// digests.
	digestTimeout = time.Minute
)

// digestStore is what the digest reads and claims; *store.Store implements
// it.
type digestStore interface {
	Review(ctx context.Context, since time.Time, limit int) ([]store.Question, error)
	Totals(ctx context.Context, since time.Time) (store.ReviewTotals, error)
	ClaimPeriod(ctx context.Context, period string) (bool, error)
	ReleasePeriod(ctx context.Context, period string) error
}

// slackAnnouncer and teamsAnnouncer are the chat adapters' way to post a
// message nobody asked for; *slack.Adapter and *teams.Adapter implement
// them.
type (
	slackAnnouncer interface {
		Announce(ctx context.Context, channel string, r bot.Reply) error
	}
	teamsAnnouncer interface {
		Announce(ctx context.Context, serviceURL, conversation string, r bot.Reply) error
	}
)

// digestTarget is a platform the digest goes to, and how.
type digestTarget struct {
	platform string
	announce func(ctx context.Context, r bot.Reply) error
}

// digester sends the weekly digest to each target once per ISO week.
type digester struct {
	store   digestStore
	targets []digestTarget
	day     time.Weekday
	at      time.Duration // after midnight
	url     string
	// title names an entry by its id, for a 👎 row.
	title   func(id string) string
	now     func() time.Time
	log     *slog.Logger
	metrics *metrics.Metrics
	// done, if set, is called after each attempt with its platform and
	// result (metrics.DigestSent, metrics.DigestFailed); checked after
	// each check.
	done    func(platform, result string)
	checked func()
}

// newDigester returns the digester of the configuration, or nil when no
// digest is to be sent. A channel set for a platform whose adapter is off,
// or a journal that is not kept, is logged once, here, and sends nothing.
func newDigester(cfg config, ads []adapter, st digestStore, b *bot.Bot, m *metrics.Metrics, log *slog.Logger, h hooks) *digester {
	a := cfg.Admin
	if !a.digest() {
		return nil
	}
	if !recording(cfg) {
		log.Warn("weekly digest off: the journal of unanswered questions is not kept, so there is nothing to count",
			"hint", "set --data or MMD_DATA to a file, or MMD_DATABASE_URL")
		return nil
	}
	day, at, err := parseDigestAt(a.DigestAt)
	if err != nil { // checked with the configuration already
		log.Error("weekly digest off", "error", err)
		return nil
	}
	d := &digester{store: st, day: day, at: at, url: a.URL, now: time.Now, log: log, metrics: m, done: h.digested, checked: h.digestChecked,
		title: entryTitle(b.Knowledge)}
	if h.digestClock != nil {
		d.now = h.digestClock
	}
	d.targets = digestTargets(a, ads, log)
	if len(d.targets) == 0 {
		return nil
	}
	for _, t := range d.targets {
		m.DigestPlatform(t.platform)
	}
	zone, _ := d.now().Zone()
	log.Info("weekly digest on", "at", a.DigestAt, "time_zone", zone, "review_page", a.URL)
	return d
}

// entryTitle names an entry by its id in the knowledge kb returns, or by
// the id itself when the entry is gone.
func entryTitle(kb func() *knowledge.Base) func(id string) string {
	return func(id string) string {
		if e, ok := kb().Entry(id); ok {
			return e.Title
		}
		return id
	}
}

// reportDigest is "mmdbot report digest": the digest the admins' channels
// would get now, as plain text, from the journal of mmdbot serve.
func reportDigest(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "report digest", "report digest [--kb FILE] [--data FILE]")
	kbPath := settingFlag(e, fs, "kb")
	data := settingFlag(e, fs, "data")
	if ok, err := parseFlags(fs, args); !ok {
		return err
	}
	kb, err := kbfile.Load(*kbPath)
	if err != nil {
		return err
	}
	st, err := openData(ctx, e, "report", *data)
	if err != nil {
		return err
	}
	defer st.Close()
	d := &digester{store: st, url: adminConfigFrom(e.getenv).URL, title: entryTitle(func() *knowledge.Base { return kb })}
	r, err := d.build(ctx, time.Now())
	if err != nil {
		return err
	}
	_, err = io.WriteString(e.stdout, plaintext.Render(r))
	return err
}

// checkDigest lists the problems of the digest's settings that its
// adapters see: a Teams service URL that replies may not go to (the
// adapter's own policy of hosts, whether the adapter is on yet or not)
// would fail every week.
func checkDigest(c config) []error {
	if c.Admin.TeamsConversation == "" {
		return nil
	}
	if err := c.Teams.AllowsServiceURL(c.Admin.TeamsServiceURL); err != nil {
		return []error{fmt.Errorf("MMD_ADMIN_TEAMS_SERVICE_URL: %w: the weekly digest could not go there", err)}
	}
	return nil
}

// digestState says whether the weekly digest is sent, when and where, or
// how to turn it on, as --check prints it.
func digestState(cfg config) string {
	a := cfg.Admin
	switch {
	case !a.digest():
		return "digest: off (set MMD_ADMIN_CHANNEL_SLACK or MMD_ADMIN_CONVERSATION_TEAMS for a weekly digest of the questions to review)"
	case !recording(cfg):
		return "digest: off (the journal is off, so there is nothing to count: set --data or MMD_DATABASE_URL)"
	}
	on := map[string]bool{}
	for _, s := range adapterStates(cfg) {
		on[s.name] = s.on
	}
	var to []string
	for _, p := range []struct{ platform, name, where, id string }{
		{"slack", "Slack", "channel", a.SlackChannel},
		{"teams", "Teams", "conversation", a.TeamsConversation},
	} {
		switch {
		case p.id == "":
		case on[p.platform]:
			to = append(to, p.name+" "+p.where+" "+p.id)
		default:
			to = append(to, p.name+" "+p.where+" "+p.id+" (not sent: the "+p.name+" adapter is off)")
		}
	}
	zone, _ := time.Now().Zone()
	link := ", linking the review page " + a.URL
	if a.URL == "" {
		link = ", without a link to the review page (set MMD_ADMIN_URL)"
	}
	return fmt.Sprintf("digest: weekly, %s (%s), to %s%s", a.DigestAt, zone, strings.Join(to, " and "), link)
}

// digestTargets are the platforms with a channel set whose adapter is on.
func digestTargets(a adminConfig, ads []adapter, log *slog.Logger) []digestTarget {
	var slackA slackAnnouncer
	var teamsA teamsAnnouncer
	for _, ad := range ads {
		switch x := ad.(type) {
		case slackAnnouncer:
			slackA = x
		case teamsAnnouncer:
			teamsA = x
		}
	}
	wanted := []struct {
		target       digestTarget
		setting, to  string
		name, turnOn string
	}{
		{digestTarget{platform: "slack"}, "MMD_ADMIN_CHANNEL_SLACK", a.SlackChannel, "Slack", "set SLACK_BOT_TOKEN with SLACK_APP_TOKEN or SLACK_SIGNING_SECRET"},
		{digestTarget{platform: "teams"}, "MMD_ADMIN_CONVERSATION_TEAMS", a.TeamsConversation, "Teams", "set MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD"},
	}
	if slackA != nil {
		wanted[0].target.announce = func(ctx context.Context, r bot.Reply) error { return slackA.Announce(ctx, a.SlackChannel, r) }
	}
	if teamsA != nil {
		wanted[1].target.announce = func(ctx context.Context, r bot.Reply) error {
			return teamsA.Announce(ctx, a.TeamsServiceURL, a.TeamsConversation, r)
		}
	}
	var out []digestTarget
	for _, w := range wanted {
		switch {
		case w.to == "":
		case w.target.announce == nil:
			log.Warn(fmt.Sprintf("weekly digest to %s not sent: %s is set, but the %s adapter is off", w.name, w.setting, w.name),
				"to", w.to, "hint", w.turnOn)
		default:
			out = append(out, w.target)
		}
	}
	return out
}

// run checks at once, then each interval, until ctx is done.
func (d *digester) run(ctx context.Context, interval time.Duration) {
	d.check(ctx)
	every(ctx, interval, func() { d.check(ctx) })
}

// check sends each platform this week's digest if it is due and not sent
// yet.
func (d *digester) check(ctx context.Context) {
	if d.checked != nil {
		defer d.checked()
	}
	now := d.now()
	due, ok := digestDue(now, d.day, d.at)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, digestTimeout)
	defer cancel()
	for _, t := range d.targets {
		d.send(ctx, t, digestKey(t.platform, due), now)
	}
}

// send claims one platform's digest of the period, builds it and owes it;
// on failure it gives the claim back.
func (d *digester) send(ctx context.Context, t digestTarget, period string, now time.Time) {
	first, err := d.store.ClaimPeriod(ctx, period)
	if err != nil {
		d.failed(ctx, t.platform, period, err)
		return
	}
	if !first {
		return // sent already, by this replica or another
	}
	r, err := d.build(ctx, now)
	if err == nil {
		err = t.announce(ctx, r)
	}
	if err != nil {
		if rerr := d.store.ReleasePeriod(context.WithoutCancel(ctx), period); rerr != nil {
			err = errors.Join(err, fmt.Errorf("%w: this week's digest is not tried again", rerr))
		}
		d.failed(ctx, t.platform, period, err)
		return
	}
	dg := r.Digest
	d.log.LogAttrs(ctx, slog.LevelInfo, "weekly digest owed", slog.String("platform", t.platform), slog.String("period", period),
		slog.Int("unanswered", dg.Unanswered), slog.Int("people", dg.People), slog.Int("downvoted", dg.Downvoted))
	d.metrics.Digest(t.platform, metrics.DigestSent)
	if d.done != nil {
		d.done(t.platform, metrics.DigestSent)
	}
}

// failed logs and counts a digest not sent.
func (d *digester) failed(ctx context.Context, platform, period string, err error) {
	d.log.LogAttrs(ctx, slog.LevelError, "weekly digest not sent: trying again at the next check", slog.String("platform", platform),
		slog.String("period", period), slog.String("error", err.Error()))
	d.metrics.Digest(platform, metrics.DigestFailed)
	if d.done != nil {
		d.done(platform, metrics.DigestFailed)
	}
}

// build reads the journal of the last digestPeriod up to now and makes the
// digest: the questions not answered and the answers voted 👎, counted
// whole, and the most asked of them.
func (d *digester) build(ctx context.Context, now time.Time) (bot.Reply, error) {
	since := now.Add(-digestPeriod)
	totals, err := d.store.Totals(ctx, since)
	if err != nil {
		return bot.Reply{}, err
	}
	qs, err := d.store.Review(ctx, since, digestQuestions)
	if err != nil {
		return bot.Reply{}, err
	}
	dg := bot.Digest{Since: since, Until: now, Unanswered: totals.Unanswered, Downvoted: totals.Downvoted, People: totals.People, URL: d.url}
	// The most asked first; of those asked as often, the latest (Review
	// lists the latest first).
	slices.SortStableFunc(qs, func(a, b store.Question) int { return cmp.Compare(b.Count, a.Count) })
	for _, q := range qs[:min(len(qs), bot.MaxDigestRows)] {
		row := bot.DigestRow{Question: q.Question, Count: q.Count, People: q.People}
		if q.Reason == store.ReasonDownvoted {
			row.Entry = d.title(q.Entry)
		}
		dg.Top = append(dg.Top, row)
	}
	return bot.NewDigest(dg), nil
}

// digestDue returns the latest time the digest was due by now (day at the
// time of day at, in now's time zone), and whether it is still to be sent:
// within digestWindow after it.
func digestDue(now time.Time, day time.Weekday, at time.Duration) (time.Time, bool) {
	h, m := int(at/time.Hour), int(at%time.Hour/time.Minute)
	back := (int(now.Weekday()) - int(day) + 7) % 7
	due := time.Date(now.Year(), now.Month(), now.Day()-back, h, m, 0, 0, now.Location())
	if due.After(now) {
		due = time.Date(now.Year(), now.Month(), now.Day()-back-7, h, m, 0, 0, now.Location())
	}
	return due, now.Sub(due) < digestWindow
}

// digestKey names one platform's digest of the ISO week of due:
// "digest/slack/2026-W49".
func digestKey(platform string, due time.Time) string {
	y, w := due.ISOWeek()
	return fmt.Sprintf("digest/%s/%04d-W%02d", platform, y, w)
}
