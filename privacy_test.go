package main

import (
	"bytes"
	"database/sql"
	"os"
	"testing"
	"time"

	"github.com/slack-go/slack/slacktest"

	"github.com/mmdbot/mmdbot/store"
)

// TestJournalKeepsPseudonyms: what someone asks in Slack is journalled with
// a salted pseudonym, never their user id; the salt is made once and kept,
// so the same person is the same pseudonym after a restart, and how many
// people asked can be counted.
func TestJournalKeepsPseudonyms(t *testing.T) {
	fake := slacktest.NewTestServer()
	fake.Start()
	defer fake.Stop()
	env := map[string]string{"SLACK_BOT_TOKEN": "xoxb-e2e-token", "SLACK_SIGNING_SECRET": slackE2ESecret, "SLACK_API_URL": fake.GetAPIURL()}
	const q = "who fixes the coffee machine on floor 3"
	ask := func(base, user string) {
		t.Helper()
		slashCommandFrom(t, base, user, q)
	}
	first := runServer(t, nil, env)
	ask(first.URL, "U0PSEUDO1")
	ask(first.URL, "U0PSEUDO2")
	if err := first.Stop(); err != nil {
		t.Fatal(err)
	}
	again := runServer(t, []string{"--data", first.Data}, env)
	ask(again.URL, "U0PSEUDO1")
	if err := again.Stop(); err != nil {
		t.Fatal(err)
	}

	db, err := sql.Open("sqlite", first.Data)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT "user" FROM misses ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	var users []string
	for rows.Next() {
		var u string
		rows.Scan(&u)
		users = append(users, u)
	}
	rows.Close()
	if len(users) != 3 || users[0] == "" || users[0] != users[2] || users[0] == users[1] || len(users[0]) != 32 {
		t.Errorf("journalled users %q: want the same pseudonym for the same person across a restart, another for another", users)
	}
	db.Close()
	raw, err := os.ReadFile(first.Data)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte("U0PSEUDO")) {
		t.Error("the data file holds a user id")
	}
	st, err := store.Open(t.Context(), first.Data, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	qs, err := st.Review(t.Context(), time.Now().Add(-time.Hour), 10)
	if err != nil || len(qs) != 1 || qs[0].Norm != q || qs[0].Count != 3 || qs[0].People != 2 {
		t.Errorf("review %+v (%v): want %q asked 3 times by 2 people", qs, err, q)
	}
}
