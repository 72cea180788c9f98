package main

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slack-go/slack/slacktest"

	"github.com/mmdbot/mmdbot/bot"
	"github.com/mmdbot/mmdbot/knowledge"
	"github.com/mmdbot/mmdbot/store"
)

// nextMonday is the first Monday at hh:mm, in the server's time zone,
// after t.
func nextMonday(t time.Time, hh, mm int) time.Time {
	t = t.Local()
	days := (int(time.Monday) - int(t.Weekday()) + 7) % 7
	m := time.Date(t.Year(), t.Month(), t.Day()+days, hh, mm, 0, 0, time.Local)
	if !m.After(t) {
		m = m.AddDate(0, 0, 7)
	}
	return m
}

// TestDigestEndToEnd runs mmdbot serve with Slack (slack-go's slacktest as
// the Web API) and Teams (fake Bot Framework services) and the digest's
// channels set, its clock at 09:20 on a Monday: at start the digest of the
// week's questions goes to the Slack channel by chat.postMessage and to
// the Teams conversation as a proactive message, with the bot's token. A
// server started again in the same week, on the same data file, sends
// nothing more.
func TestDigestEndToEnd(t *testing.T) {
	data := filepath.Join(t.TempDir(), "mmdbot.db")
	clock := nextMonday(time.Now(), 9, 20)
	// The servers' clock, which the test moves on between them.
	var now atomic.Pointer[time.Time]
	now.Store(&clock)
	st, err := store.Open(t.Context(), data, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i, q := range []string{"who runs payroll?", "who runs payroll?", "<!channel> who owns *the* [VPN](https://evil.example/)?"} {
		if err := st.RecordMiss(t.Context(), bot.Miss{Question: q, Band: knowledge.BandUnknown, Adapter: "slack",
			User: []string{"p1", "p2", "p3"}[i], At: clock.Add(-time.Duration(i+1) * time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()

	posts := &slackE2EPosts{added: make(chan struct{}, 100)}
	fake := slacktest.NewTestServer(func(c slacktest.Customize) { c.Handle("/chat.postMessage", posts.handler) })
	fake.Start()
	defer fake.Stop()
	f := newTeamsE2EFakes(t)
	environ := chatE2EEnv(fake.GetAPIURL(), f)
	environ["MMD_ADMIN_CHANNEL_SLACK"] = "C0ADMINS"
	environ["MMD_ADMIN_CONVERSATION_TEAMS"] = "19:admins@thread.tacv2"
	environ["MMD_ADMIN_TEAMS_SERVICE_URL"] = f.connector.URL + "/"
	environ["MMD_ADMIN_URL"] = "https://mmd.example.com/admin"
	results := make(chan string, 10)
	checked := make(chan struct{}, 10)
	withDigest := func(h *hooks) {
		h.digestClock = func() time.Time { return *now.Load() }
		h.digested = func(platform, result string) { results <- platform + " " + result }
		h.digestChecked = func() { checked <- struct{}{} }
	}
	s := runServer(t, []string{"--data", data}, environ, withDigest)
	var got []string
	for range 2 {
		select {
		case r := <-results:
			got = append(got, r)
		case <-time.After(patience):
			t.Fatalf("digests: %v after %s\n%s", got, patience, s.Logs)
		}
	}
	slices.Sort(got)
	if strings.Join(got, ", ") != "slack sent, teams sent" {
		t.Fatalf("digests: %v\n%s", got, s.Logs)
	}

	// Slack: one message to the channel, not in a thread, that pings no
	// one and links the review page.
	select {
	case <-posts.added:
	case <-time.After(patience):
		t.Fatal("no chat.postMessage on the fake Slack")
	}
	posts.mu.Lock()
	p := posts.forms[0]
	posts.mu.Unlock()
	heading := "Last week mmdbot could not answer 3 questions, asked by 3 people."
	if p.Get("channel") != "C0ADMINS" || p.Get("thread_ts") != "" || p.Get("text") != heading {
		t.Errorf("slack: channel %q thread %q text %q", p.Get("channel"), p.Get("thread_ts"), p.Get("text"))
	}
	var blocks []map[string]any
	if err := json.Unmarshal([]byte(p.Get("blocks")), &blocks); err != nil {
		t.Fatalf("slack blocks: %v", err)
	}
	raw, _ := json.Marshal(blocks)
	for _, want := range []string{"“who runs payroll?” — 2 times, by 2 people", "&lt;!channel&gt; who owns", `"url":"https://mmd.example.com/admin"`} {
		if !strings.Contains(strings.ReplaceAll(string(raw), `\u0026`, "&"), want) {
			t.Errorf("the Slack digest lacks %q: %s", want, raw)
		}
	}

	// Teams: a proactive message to the conversation, with the bot's token.
	deadline := time.Now().Add(patience)
	for len(f.received()) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	tp := f.received()
	if len(tp) != 1 {
		t.Fatalf("the Teams connector got %d activities, want 1", len(tp))
	}
	if tp[0].path != "/v3/conversations/19:admins@thread.tacv2/activities" || tp[0].auth != "Bearer "+teamsE2EToken {
		t.Errorf("teams: posted to %q with %q", tp[0].path, tp[0].auth)
	}
	for _, want := range []string{heading, `"Action.OpenUrl"`, `\\*the\\* \\[VPN\\]`} {
		if !strings.Contains(string(tp[0].body), want) {
			t.Errorf("the Teams digest lacks %s: %s", want, tp[0].body)
		}
	}
	_, metrics := get(t, "GET", s.URL+"/metrics")
	for _, want := range []string{`mmdbot_digests_total{platform="slack",result="sent"} 1`, `mmdbot_digests_total{platform="teams",result="failed"} 0`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}

	// Started again ten minutes later, in the same week: nothing more.
	later := clock.Add(10 * time.Minute)
	now.Store(&later)
	for len(checked) > 0 {
		<-checked
	}
	s = runServer(t, []string{"--data", data}, environ, withDigest)
	select {
	case <-checked:
	case <-time.After(patience):
		t.Fatalf("no check of the digest after %s\n%s", patience, s.Logs)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-results:
		t.Errorf("a second digest in the same week: %s\n%s", r, s.Logs)
	default:
	}
	if n := len(f.received()); n != 1 {
		t.Errorf("the Teams connector got %d activities, want 1", n)
	}
	posts.mu.Lock()
	defer posts.mu.Unlock()
	if n := len(posts.forms); n != 1 {
		t.Errorf("the fake Slack got %d messages, want 1", n)
	}
}
