package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func init() {
	// -update rewrites generated files such as docs/configuration.md. Another
	// test file of this package may define the flag too.
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden and generated files")
	}
}

func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

func TestCheck(t *testing.T) {
	secrets := map[string]string{
		"SLACK_BOT_TOKEN":        "xoxb-1111-2222-botsecretvalue",
		"SLACK_APP_TOKEN":        "xapp-1-A1-3333-appsecretvalue",
		"SLACK_SIGNING_SECRET":   "8f742231b10e8888abcd99yyyzzz85a5",
		"MICROSOFT_APP_ID":       "11111111-2222-3333-4444-555555555555",
		"MICROSOFT_APP_PASSWORD": "pa55~w0rd.secretvalue",
	}
	kbBad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(kbBad, []byte(badKB), 0o644)
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		wantErr bool
		want    []string
	}{
		{"defaults", nil, nil, false, []string{
			"--addr", ":8080", "default", "slack: off: to turn it on, set SLACK_BOT_TOKEN",
			"teams: off", "knowledge: embedded", "data: mmdbot.db", "The configuration is valid.",
		}},
		{"everything on", []string{"--addr", ":9090"}, secrets, false, []string{
			":9090", "flag", "xoxb-********", "xapp-********", "slack: on (Socket Mode; Events API",
			"teams: on (Bot Framework at /api/messages)", "11111111-2222-3333-4444-555555555555", "env",
		}},
		{"half configured", nil, map[string]string{"SLACK_BOT_TOKEN": "xoxb-1-secretvalue", "MICROSOFT_APP_PASSWORD": "pw-secretvalue"}, true, []string{
			"problem: slack: SLACK_BOT_TOKEN is set but neither SLACK_APP_TOKEN",
			"problem: teams: MICROSOFT_APP_PASSWORD is set without MICROSOFT_APP_ID",
			"slack: on (not completely configured)", "The configuration is not valid.",
		}},
		{"wrong kind of token", nil, map[string]string{"SLACK_BOT_TOKEN": "xoxp-1-secretvalue", "SLACK_APP_TOKEN": "xapp-1-secretvalue"}, true, []string{
			"********", "does not start with xoxb-",
		}},
		{"bad knowledge file", []string{"--kb", kbBad}, nil, true, []string{
			"knowledge: " + kbBad + ": not valid", "problem: " + kbBad + ":5:",
		}},
		{"environment settings", nil, map[string]string{"MMD_LOG_FORMAT": "json", "MMD_JOURNAL_RETENTION": "720h", "MMD_DATA": "/tmp/x.db"}, false, []string{
			"MMD_LOG_FORMAT", "json", "MMD_JOURNAL_RETENTION", "720h", "data: /tmp/x.db",
		}},
		{"review page off", nil, nil, false, []string{
			"admin: off (set MMD_ADMIN_OIDC_ISSUER, MMD_ADMIN_CLIENT_ID, MMD_ADMIN_CLIENT_SECRET, MMD_ADMIN_REDIRECT_URL and MMD_ADMIN_ALLOW",
		}},
		{"review page with sign-in", nil, map[string]string{
			"MMD_ADMIN_OIDC_ISSUER": "https://login.microsoftonline.com/tenant/v2.0", "MMD_ADMIN_CLIENT_ID": "client",
			"MMD_ADMIN_CLIENT_SECRET": "client-secretvalue", "MMD_ADMIN_REDIRECT_URL": "https://mmdbot.example.com/admin/callback",
			"MMD_ADMIN_ALLOW": "role:Reviewer", "MMD_DATA_SALT": "salt-secretvalue",
		}, false, []string{"admin: on (the review page at /admin: sign-in with https://login.microsoftonline.com/tenant/v2.0)", "MMD_ADMIN_CLIENT_SECRET       ********"}},
		{"review page half configured", nil, map[string]string{"MMD_ADMIN_CLIENT_ID": "client", "MMD_ADMIN_TOKEN": "short-secretvalue"}, true, []string{
			"problem: MMD_ADMIN_CLIENT_ID is set, but MMD_ADMIN_OIDC_ISSUER, MMD_ADMIN_CLIENT_SECRET, MMD_ADMIN_REDIRECT_URL are not",
			"problem: MMD_ADMIN_TOKEN is too short",
		}},
		{"knowledge checks", []string{"--kb-upstream", "https://mirror.example/roles.md", "--kb-upstream-every", "12h"}, nil, false, []string{
			"--kb-upstream", "https://mirror.example/roles.md", "--kb-upstream-every", "12h",
		}},
		{"bad knowledge checks", []string{"--kb-upstream", "ftp://mirror.example/roles.md", "--kb-upstream-every", "0s"}, nil, true, []string{
			"problem: --kb-upstream is not an http or https address", "problem: --kb-upstream-every must be at least 1s",
		}},
		{"knowledge checks with a password", nil, map[string]string{"MMD_KB_UPSTREAM": "https://me:hunter2@mirror.example/roles.md"}, true, []string{
			"problem: MMD_KB_UPSTREAM must not hold a user name or password", "https://***@mirror.example/roles.md",
		}},
		{"data directory missing", []string{"--data", "/nonexistent/mmdbot/x.db"}, nil, true, []string{
			"problem: --data /nonexistent/mmdbot/x.db: the directory /nonexistent/mmdbot does not exist",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(t.Context(), append([]string{"serve", "--check"}, tt.args...), func(k string) string { return tt.env[k] }, nil, &stdout, &stderr)
			if (err != nil) != tt.wantErr {
				t.Fatalf("serve --check: error %v, want error %v\n%s%s", err, tt.wantErr, stdout.String(), stderr.String())
			}
			out := stdout.String()
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			if strings.Contains(out, "secretvalue") || strings.Contains(out, "8f742231b10e") {
				t.Errorf("output shows a secret:\n%s", out)
			}
		})
	}
}

// The --check of a configuration that starts listens on nothing and writes
// no data file.
func TestCheckOpensNothing(t *testing.T) {
	data := filepath.Join(t.TempDir(), "d.db")
	var stdout bytes.Buffer
	if err := run(t.Context(), []string{"serve", "--check", "--data", data, "--addr", "127.0.0.1:1"}, func(string) string { return "" }, nil, &stdout, &stdout); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(data); !os.IsNotExist(err) {
		t.Errorf("--check created %s", data)
	}
}

// docs/configuration.md holds the table of every setting; `go test -update`
// rewrites it from the settings table.
func TestConfigurationDoc(t *testing.T) {
	// The table stands in the configuration guide and in the README.
	for _, path := range []string{filepath.Join("docs", "configuration.md"), "README.md"} {
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(got), docBegin) || !strings.Contains(string(got), docEnd) {
			t.Fatalf("%s has no settings table marks", path)
		}
		want := configurationDoc(string(got))
		if updating() {
			if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if string(got) != want {
			t.Errorf("%s is not up to date with the settings table: run go test -run TestConfigurationDoc -update .", path)
		}
	}
}

// Marks around the generated table in docs/configuration.md; what is
// outside them is written by hand.
const (
	docBegin = "<!-- settings table: generated by `go test -run TestConfigurationDoc -update .`; edit settings.go, not this table -->\n"
	docEnd   = "<!-- end of settings table -->\n"
)

// configurationDoc returns doc with the table between the marks rewritten.
func configurationDoc(doc string) string {
	var b strings.Builder
	groups := []struct{ group, title string }{
		{"server", "Server"}, {"slack", "Slack (on when `SLACK_BOT_TOKEN` is set)"}, {"teams", "Microsoft Teams (on when `MICROSOFT_APP_ID` and `MICROSOFT_APP_PASSWORD` are set, or `--teams-dev`)"},
		{"admin", "Review page and digest (on when the four sign-in settings, or `MMD_ADMIN_TOKEN`, are set: docs/admin.md)"},
	}
	b.WriteString(docBegin)
	for _, g := range groups {
		fmt.Fprintf(&b, "\n**%s**\n\n| Variable | Flag | Default | What it sets or turns on |\n|---|---|---|---|\n", g.title)
		for _, s := range settings {
			if s.group != g.group {
				continue
			}
			env, fl, def := "—", "—", "—"
			if s.env != "" {
				env = "`" + s.env + "`"
			}
			if s.flag != "" {
				fl = "`--" + s.flag + "`"
			}
			if s.def != "" {
				def = "`" + s.def + "`"
			}
			doc := strings.ReplaceAll(s.doc, "|", `\|`)
			if s.secret {
				doc += ". **Secret**: environment only, never logged, masked by `--check`"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", env, fl, def, doc)
		}
	}
	b.WriteString("\n" + docEnd)
	before, rest, ok := strings.Cut(doc, docBegin)
	if !ok {
		return doc + "\n" + b.String()
	}
	_, after, _ := strings.Cut(rest, docEnd)
	return before + b.String() + after
}

// signSlack signs a request body as Slack does.
func signSlack(secret string, ts time.Time, body string) (timestamp, signature string) {
	timestamp = strconv.FormatInt(ts.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%s:%s", timestamp, body)
	return timestamp, "v0=" + hex.EncodeToString(mac.Sum(nil))
}

func TestServeSlackOverHTTP(t *testing.T) {
	const secret = "0123456789abcdef0123456789abcdef"
	env := map[string]string{"SLACK_BOT_TOKEN": "xoxb-1-2-botsecretvalue", "SLACK_SIGNING_SECRET": secret, "SLACK_API_URL": "http://127.0.0.1:1/api/"}
	s := runServer(t, nil, env)
	post := func(body, ts, sig string) int {
		req, _ := http.NewRequest("POST", s.URL+"/slack/events", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Slack-Request-Timestamp", ts)
		req.Header.Set("X-Slack-Signature", sig)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	body := `{"type":"url_verification","challenge":"chal-123","token":"x"}`
	ts, sig := signSlack(secret, time.Now(), body)
	if code := post(body, ts, sig); code != 200 {
		t.Errorf("signed url_verification: %d", code)
	}
	_, badSig := signSlack("not-the-secret", time.Now(), body)
	if code := post(body, ts, badSig); code != 401 && code != 403 {
		t.Errorf("badly signed request: %d, want 401 or 403", code)
	}
	for _, path := range []string{"/slack/commands", "/slack/interactions"} {
		if resp, _ := get(t, "POST", s.URL+path); resp.StatusCode == 404 || resp.StatusCode == 405 {
			t.Errorf("POST %s: %s, want it served", path, resp.Status)
		}
	}
	// The adapter becomes ready once its workers run, just after start-up.
	waitReady(t, s, "slack")
	resp, ready := get(t, "GET", s.URL+"/readyz")
	if resp.StatusCode != 200 || !strings.Contains(ready, `"slack":"ok"`) || !strings.Contains(ready, `"teams":"off"`) {
		t.Errorf("/readyz: %s %s", resp.Status, ready)
	}
	_, metrics := get(t, "GET", s.URL+"/metrics")
	if !strings.Contains(metrics, `mmdbot_refused_requests_total{adapter="slack"`) {
		t.Errorf("the refused request is not counted")
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	logs := s.Logs.String()
	for _, leak := range []string{secret, "botsecretvalue", sig, badSig} {
		if strings.Contains(logs, leak) {
			t.Errorf("the log holds %q", leak)
		}
	}
	if !strings.Contains(logs, `msg="adapter on" adapter=slack`) {
		t.Errorf("the log does not say Slack is on:\n%s", logs)
	}
}

func TestServeTeamsDev(t *testing.T) {
	s := runServer(t, []string{"--teams-dev"}, nil)
	resp, _ := get(t, "POST", s.URL+"/api/messages")
	if resp.StatusCode == 404 || resp.StatusCode == 405 {
		t.Errorf("POST /api/messages: %s, want it served", resp.Status)
	}
	resp, ready := get(t, "GET", s.URL+"/readyz")
	if resp.StatusCode != 200 || !strings.Contains(ready, `"teams":"ok"`) {
		t.Errorf("/readyz: %s %s", resp.Status, ready)
	}
}

// --check masks the user information and the query of URL settings: they
// can hold credentials.
func TestCheckMasksURLs(t *testing.T) {
	env := map[string]string{
		"SLACK_BOT_TOKEN":           "xoxb-1-2-botsecretvalue",
		"SLACK_APP_TOKEN":           "xapp-1-A1-3-appsecretvalue",
		"SLACK_API_URL":             "https://proxyuser:proxysecretvalue@slack.example/api/?key=querysecretvalue",
		"MICROSOFT_APP_ID":          "11111111-2222-3333-4444-555555555555",
		"MICROSOFT_APP_PASSWORD":    "pa55-secretvalue",
		"TEAMS_TOKEN_URL":           "https://login.example/token?client_secret=querysecretvalue#fragmentsecretvalue",
		"TEAMS_OPENID_METADATA_URL": "http://onlyuser-secretvalue@metadata.example/openid",
	}
	var stdout, stderr bytes.Buffer
	if err := run(t.Context(), []string{"serve", "--check"}, func(k string) string { return env[k] }, nil, &stdout, &stderr); err != nil {
		t.Fatalf("serve --check: %v\n%s%s", err, stdout.String(), stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{
		"https://***@slack.example/api/?***",
		"https://login.example/token?***#***",
		"http://***@metadata.example/openid",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "secretvalue") || strings.Contains(out, "proxyuser") {
		t.Errorf("output shows a secret:\n%s", out)
	}
}
func TestShowURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://slack.com/api/", "https://slack.com/api/"},
		{"https://u:p@slack.example/api/", "https://***@slack.example/api/"},
		{"https://slack.example/api/?token=x", "https://slack.example/api/?***"},
		{"http://127.0.0.1:8080/", "http://127.0.0.1:8080/"},
		{"https://slack.example/a b", "https://slack.example/a%20b"},
		{"://u:p@bad", "********"},
		{"user:password@slack.example/api/", "********"},
	}
	for _, tt := range tests {
		if got := showURL(tt.in); got != tt.want {
			t.Errorf("showURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
