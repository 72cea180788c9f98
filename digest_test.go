package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mmdbot/mmdbot/bot"
	"github.com/mmdbot/mmdbot/knowledge"
	"github.com/mmdbot/mmdbot/metrics"
	"github.com/mmdbot/mmdbot/store"
)

func TestDigestDue(t *testing.T) {
	zone := time.FixedZone("CET", 3600)
	at := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, zone) }
	tests := []struct {
		now  time.Time
		day  time.Weekday
		at   time.Duration
		due  bool
		week string
	}{
		{at(2026, 12, 7, 8, 59), time.Monday, 9 * time.Hour, false, ""}, // Monday, a minute early
		{at(2026, 12, 7, 9, 0), time.Monday, 9 * time.Hour, true, "2026-W50"},
		{at(2026, 12, 7, 9, 20), time.Monday, 9 * time.Hour, true, "2026-W50"}, // a server down at 09:00
		{at(2026, 12, 8, 8, 59), time.Monday, 9 * time.Hour, true, "2026-W50"},
		{at(2026, 12, 8, 9, 0), time.Monday, 9 * time.Hour, false, ""},  // a day late: too late
		{at(2026, 12, 9, 12, 0), time.Monday, 9 * time.Hour, false, ""}, // started on a Wednesday
		{at(2026, 12, 6, 23, 30), time.Sunday, 23 * time.Hour, true, "2026-W49"},
		{at(2026, 12, 7, 22, 59), time.Sunday, 23 * time.Hour, true, "2026-W49"}, // Monday, but Sunday's week
		{at(2026, 12, 28, 9, 30), time.Monday, 9 * time.Hour, true, "2026-W53"},
		{at(2027, 1, 4, 9, 30), time.Monday, 9 * time.Hour, true, "2027-W01"},
		{at(2026, 12, 11, 17, 45), time.Friday, 17*time.Hour + 30*time.Minute, true, "2026-W50"},
	}
	for _, tt := range tests {
		due, ok := digestDue(tt.now, tt.day, tt.at)
		if ok != tt.due {
			t.Errorf("%s, digest on %s at %s: due %v, want %v", tt.now.Format(time.RFC1123), tt.day, tt.at, ok, tt.due)
			continue
		}
		if ok && digestKey("slack", due) != "digest/slack/"+tt.week {
			t.Errorf("%s: %s, want week %s", tt.now.Format(time.RFC1123), digestKey("slack", due), tt.week)
		}
		if due.After(tt.now) || tt.now.Sub(due) >= 7*24*time.Hour || due.Weekday() != tt.day || due.Location() != zone {
			t.Errorf("%s: due %s", tt.now.Format(time.RFC1123), due.Format(time.RFC1123))
		}
	}
}

// announced records the digests a target was given; failing makes the
// next attempts fail.
type announced struct {
	mu      sync.Mutex
	replies []bot.Reply
	failing int
}

func (a *announced) target(platform string) digestTarget {
	return digestTarget{platform, func(_ context.Context, r bot.Reply) error {
		a.mu.Lock()
		defer a.mu.Unlock()
		if a.failing > 0 {
			a.failing--
			return errors.New("the outbox is unavailable")
		}
		a.replies = append(a.replies, r)
		return nil
	}}
}

func (a *announced) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.replies)
}

// openTestData opens the data file at path for the test.
func openTestData(t *testing.T, path string) *store.Store {
	t.Helper()
	st, err := store.Open(t.Context(), path, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// testDigester sends to target from st, on Mondays at 09:00, reading clock.
func testDigester(st *store.Store, clock *time.Time, logs *syncBuffer, targets ...digestTarget) *digester {
	return &digester{store: st, targets: targets, day: time.Monday, at: 9 * time.Hour, url: "https://mmd.example.com/admin",
		title: entryTitle(knowledge.Default),
		now:   func() time.Time { return *clock }, log: slog.New(slog.NewTextHandler(logs, nil)), metrics: metrics.New()}
}

// TestDigestOncePerWeek: two replicas sharing one data file check as the
// week goes by; the digest goes once, on Monday, from one of them, and
// again the next Monday.
func TestDigestOncePerWeek(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mmdbot.db")
	var sent announced
	logs := &syncBuffer{}
	clock := time.Date(2026, 12, 4, 12, 0, 0, 0, time.Local) // a Friday
	var replicas []*digester
	for range 2 {
		replicas = append(replicas, testDigester(openTestData(t, path), &clock, logs, sent.target("slack")))
	}
	checkAll := func() {
		var wg sync.WaitGroup
		for _, d := range replicas {
			wg.Go(func() { d.check(t.Context()) })
		}
		wg.Wait()
	}
	// Every ten minutes from Friday noon to the Monday after next.
	var days []time.Weekday
	for end := clock.AddDate(0, 0, 10); clock.Before(end); clock = clock.Add(digestEvery) {
		before := sent.count()
		checkAll()
		if sent.count() != before {
			days = append(days, clock.Weekday())
			if clock.Hour() != 9 || clock.Minute() != 0 {
				t.Errorf("sent at %s", clock.Format(time.RFC1123))
			}
		}
	}
	if len(days) != 2 || days[0] != time.Monday || days[1] != time.Monday {
		t.Errorf("sent on %v, want two Mondays", days)
	}
	if strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("errors logged:\n%s", logs)
	}
}

// TestDigestRetriedAfterFailure: a digest that cannot be owed gives its
// claim back and goes at a later check, once; the failure is logged with
// its reason and counted.
func TestDigestRetriedAfterFailure(t *testing.T) {
	st := openTestData(t, filepath.Join(t.TempDir(), "mmdbot.db"))
	sent := announced{failing: 2}
	logs := &syncBuffer{}
	clock := time.Date(2026, 12, 7, 9, 5, 0, 0, time.Local)
	d := testDigester(st, &clock, logs, sent.target("teams"))
	var results []string
	d.done = func(platform, result string) { results = append(results, platform+" "+result) }
	for range 4 {
		d.check(t.Context())
		clock = clock.Add(digestEvery)
	}
	if sent.count() != 1 {
		t.Fatalf("%d digests sent, want 1", sent.count())
	}
	if strings.Join(results, ", ") != "teams failed, teams failed, teams sent" {
		t.Errorf("results: %v", results)
	}
	if !strings.Contains(logs.String(), "weekly digest not sent") || !strings.Contains(logs.String(), "the outbox is unavailable") {
		t.Errorf("the failure is not logged with its reason:\n%s", logs)
	}
	if got := scrapeMetric(t, d.metrics, `mmdbot_digests_total{platform="teams",result="failed"}`); got != "2" {
		t.Errorf("failures counted: %s", got)
	}
}

// TestDigestContent: the digest counts the last 7 days' questions not
// answered and answers voted 👎, not those decided or older, names the
// people who asked, and lists the most asked first.
func TestDigestContent(t *testing.T) {
	st := openTestData(t, filepath.Join(t.TempDir(), "mmdbot.db"))
	ctx := t.Context()
	clock := time.Date(2026, 12, 7, 9, 0, 0, 0, time.Local)
	miss := func(q, user string, ago time.Duration) {
		t.Helper()
		if err := st.RecordMiss(ctx, bot.Miss{Question: q, Band: knowledge.BandUnknown, Adapter: "slack", User: user, At: clock.Add(-ago)}); err != nil {
			t.Fatal(err)
		}
	}
	for i, u := range []string{"p1", "p2", "p3", "p1"} {
		miss("who runs payroll?", u, time.Duration(i+1)*time.Hour)
	}
	miss("who fixes the coffee machine?", "p4", 2*24*time.Hour)
	miss("who fixes the coffee machine", "p4", 3*24*time.Hour)
	miss("<!channel> who owns the VPN?", "", time.Hour)
	miss("what was asked long ago", "p5", 8*24*time.Hour)
	miss("who approves laptops?", "p6", time.Hour)
	if _, err := st.Decide(ctx, store.Decision{Question: "who approves laptops?", Kind: store.DecideOutOfScope, By: "ada"}); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"v1", "v2"} {
		if err := st.RecordVote(ctx, bot.Vote{Question: "who fixes printers?", EntryID: "customer/printing", Adapter: "teams", Voter: v, At: clock.Add(-time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	var sent announced
	d := testDigester(st, &clock, &syncBuffer{}, sent.target("slack"))
	d.check(ctx)
	if sent.count() != 1 {
		t.Fatalf("%d digests", sent.count())
	}
	r := sent.replies[0]
	got := r.Digest
	if got.Unanswered != 7 || got.Downvoted != 2 || got.People != 4 || got.URL != "https://mmd.example.com/admin" {
		t.Errorf("digest %+v", got)
	}
	if !got.Until.Equal(clock) || !got.Since.Equal(clock.AddDate(0, 0, -7)) {
		t.Errorf("period %s – %s", got.Since, got.Until)
	}
	// Of two asked as often, the latest first.
	want := []string{
		"“who runs payroll?” — 4 times, by 3 people",
		"“who fixes printers?” — 👎 on Printing, 2 times, by 2 people",
		"“who fixes the coffee machine?” — 2 times, by 1 person",
		"“<!channel> who owns the VPN?” — once",
	}
	var lines []string
	for _, row := range got.Top {
		lines = append(lines, row.Line())
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("rows:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	if r.Text != "Last week mmdbot could not answer 7 questions, asked by 4 people; 2 answers got a 👎." {
		t.Errorf("heading %q", r.Text)
	}
}

// TestDigestTargets: a channel set for an adapter that is off is logged
// once, at start, and gets nothing; no channel, no digest; no journal, no
// digest.
func TestDigestTargets(t *testing.T) {
	b := bot.New(knowledge.Default(), bot.Options{})
	st, err := store.Open(t.Context(), store.Memory, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cfg := config{Data: "mmdbot.db", Admin: adminConfig{SlackChannel: "C0ADMINS", TeamsConversation: "19:admins@thread.tacv2", DigestAt: "Monday 09:00"}}
	logs := &syncBuffer{}
	if d := newDigester(cfg, nil, st, b, metrics.New(), slog.New(slog.NewTextHandler(logs, nil)), hooks{}); d != nil {
		t.Errorf("a digest with both adapters off: %+v", d.targets)
	}
	for _, want := range []string{"weekly digest to Slack not sent: MMD_ADMIN_CHANNEL_SLACK is set, but the Slack adapter is off", "weekly digest to Teams not sent"} {
		if strings.Count(logs.String(), want) != 1 {
			t.Errorf("logged %d times %q:\n%s", strings.Count(logs.String(), want), want, logs)
		}
	}
	cfg.Data = ""
	logs = &syncBuffer{}
	if d := newDigester(cfg, nil, st, b, metrics.New(), slog.New(slog.NewTextHandler(logs, nil)), hooks{}); d != nil || !strings.Contains(logs.String(), "weekly digest off: the journal") {
		t.Errorf("a digest without a journal:\n%s", logs)
	}
	if d := newDigester(config{Data: "mmdbot.db"}, nil, st, b, metrics.New(), slog.New(slog.DiscardHandler), hooks{}); d != nil {
		t.Error("a digest without a channel")
	}
}

// scrapeMetric returns the value of one series as m serves it, "" when m
// does not serve it.
func scrapeMetric(t *testing.T, m *metrics.Metrics, series string) string {
	t.Helper()
	srv := httptest.NewServer(m.Handler(nil))
	defer srv.Close()
	_, body := get(t, "GET", srv.URL)
	for line := range strings.Lines(body) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), series+" "); ok {
			return v
		}
	}
	return ""
}

func TestDigestState(t *testing.T) {
	slackOn := config{Data: "mmdbot.db", Admin: adminConfig{DigestAt: "Monday 09:00"}}
	slackOn.Slack.BotToken, slackOn.Slack.SigningSecret = "xoxb-1", "secret"
	both := slackOn
	both.Admin.SlackChannel, both.Admin.TeamsConversation = "C0ADMINS", "19:admins@thread.tacv2"
	noData := both
	noData.Data = ""
	for _, tt := range []struct {
		cfg  config
		want string
	}{
		{slackOn, "digest: off (set MMD_ADMIN_CHANNEL_SLACK or MMD_ADMIN_CONVERSATION_TEAMS"},
		{noData, "digest: off (the journal is off"},
		{both, "digest: weekly, Monday 09:00 ("},
		{both, "), to Slack channel C0ADMINS and Teams conversation 19:admins@thread.tacv2 (not sent: the Teams adapter is off), without a link"},
	} {
		if got := digestState(tt.cfg); !strings.Contains(got, tt.want) {
			t.Errorf("%q, want %q in it", got, tt.want)
		}
	}
}

// BenchmarkDigestBuild builds the digest from a week's journal of 10,000
// questions not answered (2,000 different ones, from 500 people) and 500
// 👎, in a SQLite file: what a replica reads once a week. The counts are
// whole, however many different questions there are.
func BenchmarkDigestBuild(b *testing.B) {
	st, err := store.Open(b.Context(), filepath.Join(b.TempDir(), "mmdbot.db"), 0)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	clock := time.Date(2026, 12, 7, 9, 0, 0, 0, time.Local)
	for i := range 10000 {
		m := bot.Miss{Question: fmt.Sprintf("who looks after thing number %d?", i%2000), Band: knowledge.BandUnknown, Adapter: "slack",
			User: fmt.Sprintf("p%d", i%500), At: clock.Add(-time.Duration(i) * time.Minute)}
		if err := st.RecordMiss(b.Context(), m); err != nil {
			b.Fatal(err)
		}
	}
	for i := range 500 {
		v := bot.Vote{Question: fmt.Sprintf("who fixes printer %d?", i%50), EntryID: "customer/printing", Adapter: "teams", Voter: fmt.Sprintf("v%d", i), At: clock.Add(-time.Hour)}
		if err := st.RecordVote(b.Context(), v); err != nil {
			b.Fatal(err)
		}
	}
	d := testDigester(st, &clock, &syncBuffer{})
	knowledge.Default() // loaded once, before the clock starts
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		r, err := d.build(b.Context(), clock)
		if err != nil || r.Digest.Unanswered != 10000 || r.Digest.Downvoted != 500 || r.Digest.People != 500 {
			b.Fatalf("%+v %v", r.Digest, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/digest")
}

// TestDigestCheck: serve --check says where the digest goes, and refuses a
// Teams service URL its replies may not go to.
func TestDigestCheck(t *testing.T) {
	teams := map[string]string{"MICROSOFT_APP_ID": "5b1c1c56-0b7e-4b8a-9a53-3a4f1d0c7e21", "MICROSOFT_APP_PASSWORD": "pw",
		"MMD_ADMIN_CONVERSATION_TEAMS": "19:admins@thread.tacv2", "MMD_ADMIN_URL": "https://mmd.example.com/admin"}
	for _, tt := range []struct {
		name    string
		env     map[string]string
		wantErr bool
		want    string
	}{
		{"default service URL", nil, false, "digest: weekly, Monday 09:00 ("},
		{"service URL not allowed", map[string]string{"MMD_ADMIN_TEAMS_SERVICE_URL": "https://connector.example.com/"}, true,
			`problem: MMD_ADMIN_TEAMS_SERVICE_URL: serviceUrl host "connector.example.com" is not allowed (see TEAMS_SERVICE_URL_ALLOW)`},
		{"service URL allowed", map[string]string{"MMD_ADMIN_TEAMS_SERVICE_URL": "https://connector.example.com/", "TEAMS_SERVICE_URL_ALLOW": "connector.example.com"}, false,
			"to Teams conversation 19:admins@thread.tacv2, linking the review page https://mmd.example.com/admin"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			env := maps.Clone(teams)
			maps.Copy(env, tt.env)
			var stdout, stderr strings.Builder
			err := run(t.Context(), []string{"serve", "--check"}, func(k string) string { return env[k] }, nil, &stdout, &stderr)
			if (err != nil) != tt.wantErr || !strings.Contains(stdout.String(), tt.want) {
				t.Errorf("error %v, want error %v; output lacks %q?\n%s%s", err, tt.wantErr, tt.want, stdout.String(), stderr.String())
			}
		})
	}
}
