package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/mmdbot/mmdbot/adapters/slack"
	"github.com/mmdbot/mmdbot/adapters/teams"
	"github.com/mmdbot/mmdbot/upstream"
)

// config is the configuration of mmdbot serve.
type config struct {
	Addr       string
	KB         string
	KBMaxBytes int64
	// KBUpstream is the published page to compare the knowledge with,
	// every KBUpstreamEvery; "" when nothing is checked.
	KBUpstream      string
	KBUpstreamEvery time.Duration
	Data            string
	DatabaseURL     string
	Retention       time.Duration
	DataSalt        string
	LogFormat       string
	LogLevel        slog.Level
	ShutdownTimeout time.Duration
	ShutdownDelay   time.Duration
	OutboxLease     time.Duration
	// Slack and Teams are the adapters' configurations, without their
	// loggers; an adapter is off when none of its credentials is set.
	Slack slack.Config
	Teams teams.Config
	// Admin is the review page and the digest.
	Admin adminConfig

	// shown is every setting as --check prints it: value masked, source.
	shown []shownSetting
}

// shownSetting is one setting as --check prints it.
type shownSetting struct {
	setting
	value  string // masked when secret
	source string // flag, env or default
}

// configFrom reads the configuration from the parsed flags and the
// environment. Its error lists every problem, one sentence each.
func configFrom(e env, fs *flag.FlagSet, texts map[string]*string) (config, error) {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var (
		c    config
		errs []error
	)
	get := func(key string) string { return strings.TrimSpace(*texts[key]) }
	// name says a setting as the person set it: by its flag or variable.
	name := map[string]string{}
	bad := map[string]bool{}
	for _, s := range settings {
		v := get(s.key())
		src, n := "default", s.key()
		switch {
		case s.flag != "" && set[s.flag]:
			src = "flag"
		case s.env != "" && e.getenv(s.env) != "":
			src, n = "env", s.env
		}
		name[s.key()] = n
		c.shown = append(c.shown, shownSetting{setting: s, value: s.show(v), source: src})
		if err := s.check(v); err != nil {
			errs = append(errs, fmt.Errorf("%s %s", n, err))
			bad[s.key()] = true
		}
	}
	dur := func(key string) time.Duration { d, _ := time.ParseDuration(get(key)); return d }
	boolean := func(key string) bool { b, _ := strconv.ParseBool(get(key)); return b }
	c.Addr = get("--addr")
	c.KB = get("--kb")
	c.KBMaxBytes, _ = strconv.ParseInt(get("--kb-max-bytes"), 10, 64)
	c.KBUpstream = get("--kb-upstream")
	c.KBUpstreamEvery = dur("--kb-upstream-every")
	c.Data = get("--data")
	c.DatabaseURL = get("MMD_DATABASE_URL")
	c.Retention = dur("--journal-retention")
	c.DataSalt = get("MMD_DATA_SALT")
	c.Admin = adminConfigFrom(get)
	c.LogFormat = get("--log-format")
	_ = c.LogLevel.UnmarshalText([]byte(get("--log-level")))
	c.ShutdownTimeout = dur("--shutdown-timeout")
	c.ShutdownDelay = dur("--shutdown-delay")
	c.OutboxLease = dur("--outbox-lease")
	c.Slack = slack.Config{
		BotToken:        get("SLACK_BOT_TOKEN"),
		AppToken:        get("SLACK_APP_TOKEN"),
		SigningSecret:   get("SLACK_SIGNING_SECRET"),
		APIURL:          get("SLACK_API_URL"),
		AllowedChannels: list(get("SLACK_ALLOWED_CHANNELS")),
	}
	c.Teams = teams.Config{
		AppID:             get("MICROSOFT_APP_ID"),
		AppPassword:       get("MICROSOFT_APP_PASSWORD"),
		TenantID:          get("MICROSOFT_APP_TENANT_ID"),
		OpenIDMetadataURL: get("TEAMS_OPENID_METADATA_URL"),
		TokenURL:          get("TEAMS_TOKEN_URL"),
		ServiceURLAllow:   list(get("TEAMS_SERVICE_URL_ALLOW")),
		Dev:               boolean("--teams-dev"),
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		errs = append(errs, fmt.Errorf("%s %q is not a log format: want text or json", name["--log-format"], c.LogFormat))
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("%s %q is not an address to listen on: want host:port or :port, such as :8080", name["--addr"], c.Addr))
	}
	if c.ShutdownTimeout <= 0 && !bad["--shutdown-timeout"] {
		errs = append(errs, fmt.Errorf("%s must be more than zero, such as 10s", name["--shutdown-timeout"]))
	}
	if c.OutboxLease < time.Second && !bad["--outbox-lease"] {
		errs = append(errs, fmt.Errorf("%s must be a second or more, such as 1m", name["--outbox-lease"]))
	}
	if c.ShutdownDelay < 0 {
		errs = append(errs, fmt.Errorf("%s must not be negative", name["--shutdown-delay"]))
	}
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		errs = append(errs, errors.New("MMD_DATABASE_URL is not a PostgreSQL URL: want postgres://user:password@host:5432/database"))
	}
	if c.Retention <= 0 && !bad["--journal-retention"] {
		errs = append(errs, fmt.Errorf("%s must be more than zero, such as 720h", name["--journal-retention"]))
	}
	errs = append(errs, c.Admin.check()...)
	errs = append(errs, checkUpstream(c, name, bad)...)
	errs = append(errs, checkAdapters(c)...)
	return c, errors.Join(errs...)
}

// checkUpstream checks the settings of the checks against the published page.
func checkUpstream(c config, name map[string]string, bad map[string]bool) []error {
	var errs []error
	if u := c.KBUpstream; u != "" {
		pu, err := url.Parse(u)
		if err != nil || (pu.Scheme != "https" && pu.Scheme != "http") || pu.Host == "" {
			errs = append(errs, fmt.Errorf("%s is not an http or https address, such as %s", name["--kb-upstream"], upstream.DefaultURL))
		} else if pu.User != nil {
			// The address is logged and shown on /readyz.
			errs = append(errs, fmt.Errorf("%s must not hold a user name or password: the address is logged; serve the page without them, or through HTTPS_PROXY", name["--kb-upstream"]))
		}
	}
	if c.KBUpstreamEvery < time.Second && !bad["--kb-upstream-every"] {
		errs = append(errs, fmt.Errorf("%s must be at least 1s, such as 24h", name["--kb-upstream-every"]))
	}
	return errs
}

// checkAdapters returns, per half-configured adapter, the sentence of its
// Validate saying what is missing: an adapter is either off (nothing set) or
// completely configured.
func checkAdapters(c config) []error {
	var errs []error
	if c.Slack.Enabled() {
		if err := c.Slack.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("slack: %w", err))
		}
	}
	if c.Teams.Enabled() {
		// The Teams adapter's sentences begin with "teams:" already.
		if err := c.Teams.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// adapterState says whether an adapter is on, and how; or how to turn it on.
type adapterState struct {
	name string
	on   bool
	how  string // the mode when on, how to turn it on when off
}

func (s adapterState) String() string {
	if s.on {
		return s.name + ": on (" + s.how + ")"
	}
	return s.name + ": off: to turn it on, " + s.how
}

// adapterStates returns the state of each chat adapter.
func adapterStates(c config) []adapterState {
	slack := adapterState{name: "slack", how: "set SLACK_BOT_TOKEN (xoxb-…) and SLACK_APP_TOKEN (xapp-…, Socket Mode) or SLACK_SIGNING_SECRET (Events API)"}
	if s := c.Slack; s.Enabled() {
		var modes []string
		if s.AppToken != "" {
			modes = append(modes, "Socket Mode")
		}
		if s.SigningSecret != "" {
			modes = append(modes, "Events API at /slack/events, /slack/commands, /slack/interactions")
		}
		if s.Validate() != nil {
			modes = []string{"not completely configured"}
		}
		slack.on, slack.how = true, strings.Join(modes, "; ")
	}
	teams := adapterState{name: "teams", how: "set MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD (or --teams-dev to try it locally with the Microsoft 365 Agents Playground)"}
	if t := c.Teams; t.Enabled() {
		teams.on, teams.how = true, "Bot Framework at /api/messages"
		switch {
		case t.Validate() != nil:
			teams.how = "not completely configured"
		case t.Dev:
			teams.how += ", development mode: no authentication"
		}
	}
	return []adapterState{slack, teams}
}
