package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/mmdbot/mmdbot/upstream"
)

// kind is how a setting's text is read.
type kind int

const (
	kindString kind = iota
	kindBool
	kindDuration
	kindList  // comma-separated
	kindLevel // a log/slog level
	kindURL   // an address; --check masks its user information and query
	kindBytes // a size in bytes, more than zero
)

// setting is one line of the settings table. The table drives the flags of
// mmdbot serve and those of the other commands that read a setting (--kb,
// --data), the environment variables read, what --check prints (secrets
// masked) and docs/configuration.md.
type setting struct {
	flag   string // flag name without dashes; empty: environment only
	env    string // environment variable; empty: flag only
	def    string // default, as text
	kind   kind
	secret bool // never printed, never logged
	// prefix, for a secret, is the known prefix --check may show
	// ("xoxb-"), so that a token of the wrong kind is visible.
	prefix string
	group  string // "server", "slack" or "teams"
	doc    string // what it sets or turns on, for the flag usage and the docs
}

// settings lists every setting of mmdbot serve.
var settings = []setting{
	{flag: "addr", env: "MMD_ADDR", def: ":8080", group: "server",
		doc: "address the HTTP server listens on: the web page, its JSON API, /healthz, /readyz, /metrics and the Slack and Teams endpoints"},
	{flag: "kb", env: "MMD_KB", group: "server",
		doc: "knowledge file (Learn-format Markdown or mmdbot YAML) that replaces or extends the embedded one; mmdbot serve reloads it when it changes and on SIGHUP"},
	{flag: "kb-max-bytes", env: "MMD_KB_MAX_BYTES", def: "16777216", kind: kindBytes, group: "server",
		doc: "largest knowledge file loaded, at start and on reload (16777216 is 16 MiB); a larger one is refused"},
	{flag: "kb-upstream", env: "MMD_KB_UPSTREAM", kind: kindURL, group: "server",
		doc: "address of the published page's Markdown (such as " + upstream.DefaultURL + ") to compare the knowledge with, every --kb-upstream-every; a change is logged, shown in /readyz, the metrics and the answers, and never applied on its own; empty: nothing is fetched"},
	{flag: "kb-upstream-every", env: "MMD_KB_UPSTREAM_EVERY", def: "24h", kind: kindDuration, group: "server",
		doc: "how often --kb-upstream is checked (a failed check is tried again sooner, from a minute on)"},
	{flag: "data", env: "MMD_DATA", def: "mmdbot.db", group: "server",
		doc: "SQLite file recording unanswered questions and feedback (`mmdbot report`), the ids handled and the replies owed; `--data=` records nothing and keeps the replies owed in memory"},
	{env: "MMD_DATABASE_URL", kind: kindURL, secret: true, group: "server",
		doc: "PostgreSQL URL (postgres://user:password@host/db): the journal, the ids handled and the replies owed live there, shared by every replica, instead of in --data"},
	{flag: "journal-retention", env: "MMD_JOURNAL_RETENTION", def: "2160h", kind: kindDuration, group: "server",
		doc: "how long unanswered questions and feedback are kept (2160h is 90 days); older ones are deleted once a day. Admins' decisions are knowledge and stay"},
	{env: "MMD_DATA_SALT", secret: true, group: "server",
		doc: "salt of the pseudonyms the journal keeps instead of user ids (an HMAC-SHA256 of the platform and user id), so that how many people asked can be counted and who asked cannot; empty: one is generated and kept in the data store once, shared by every replica"},
	{flag: "log-format", env: "MMD_LOG_FORMAT", def: "text", group: "server",
		doc: "log format: text or json"},
	{flag: "log-level", env: "MMD_LOG_LEVEL", def: "info", kind: kindLevel, group: "server",
		doc: "least level logged: debug, info, warn or error (debug also logs /healthz, /readyz and /metrics requests)"},
	{flag: "shutdown-timeout", env: "MMD_SHUTDOWN_TIMEOUT", def: "10s", kind: kindDuration, group: "server",
		doc: "on SIGINT or SIGTERM, how long requests in flight, Socket Mode and the delivery of the replies owed get to finish; what is not delivered stays stored, for the next start or another replica"},
	{flag: "outbox-lease", env: "MMD_OUTBOX_LEASE", def: "1m", kind: kindDuration, group: "server",
		doc: "how long a replica holds a reply it is delivering: if the replica dies, another takes the reply over once this has passed (each attempt gets at most half of it)"},
	{flag: "shutdown-delay", env: "MMD_SHUTDOWN_DELAY", def: "0s", kind: kindDuration, group: "server",
		doc: "on SIGINT or SIGTERM, how long to keep serving while /readyz already answers 503, so that a load balancer stops sending requests first (such as 5s in Kubernetes)"},
	{env: "MMD_ADMIN_OIDC_ISSUER", kind: kindURL, group: "admin",
		doc: "OpenID Connect issuer admins sign in with: for Microsoft Entra ID https://login.microsoftonline.com/<tenant id>/v2.0; with the three settings after it, it turns the review page /admin on (docs/admin.md)"},
	{env: "MMD_ADMIN_CLIENT_ID", group: "admin",
		doc: "application (client) id of the app registration admins sign in through"},
	{env: "MMD_ADMIN_CLIENT_SECRET", secret: true, group: "admin",
		doc: "client secret of that app registration"},
	{env: "MMD_ADMIN_REDIRECT_URL", kind: kindURL, group: "admin",
		doc: "the review page's sign-in callback as registered in Entra ID: https://<your host>/admin/callback"},
	{env: "MMD_ADMIN_ALLOW", kind: kindList, group: "admin",
		doc: "comma-separated list of who may review: user principal names (ada@contoso.com), object ids, role:<app role> or group:<group object id>; needed with sign-in"},
	{env: "MMD_ADMIN_TOKEN", secret: true, group: "admin",
		doc: "static bearer token for /admin and its API (Authorization: Bearer …), for scripts and small installations; alone, it turns /admin on without sign-in (at least 32 characters)"},
	{env: "MMD_ADMIN_CHANNEL_SLACK", group: "admin",
		doc: "Slack channel id (C…) the weekly digest of unanswered questions goes to; the bot must be a member"},
	{env: "MMD_ADMIN_CONVERSATION_TEAMS", group: "admin",
		doc: "Teams conversation id (19:…@thread.tacv2) the weekly digest goes to; the bot must be installed in its team"},
	{env: "MMD_ADMIN_TEAMS_SERVICE_URL", kind: kindURL, def: "https://smba.trafficmanager.net/teams/", group: "admin",
		doc: "Bot Framework service URL of that conversation's region (its activities carry it as serviceUrl)"},
	{env: "MMD_ADMIN_DIGEST_AT", def: "Monday 09:00", group: "admin",
		doc: "when the weekly digest is sent: a day and a time of the server's time zone (TZ)"},
	{env: "MMD_ADMIN_URL", kind: kindURL, group: "admin",
		doc: "the review page's public address for the digest's link (https://<your host>/admin); default: from MMD_ADMIN_REDIRECT_URL"},
	{env: "SLACK_BOT_TOKEN", secret: true, prefix: "xoxb-", group: "slack",
		doc: "Slack bot token (xoxb-…); with SLACK_APP_TOKEN or SLACK_SIGNING_SECRET it turns the Slack adapter on"},
	{env: "SLACK_APP_TOKEN", secret: true, prefix: "xapp-", group: "slack",
		doc: "Slack app-level token (xapp-…, scope connections:write): turns on Socket Mode, no public URL needed"},
	{env: "SLACK_SIGNING_SECRET", secret: true, group: "slack",
		doc: "Slack signing secret: turns on the Events API, slash commands and interactions over HTTP (/slack/events, /slack/commands, /slack/interactions)"},
	{env: "SLACK_API_URL", kind: kindURL, group: "slack",
		doc: "Slack Web API base URL (tests point it at a fake Slack); default Slack's own"},
	{env: "SLACK_ALLOWED_CHANNELS", kind: kindList, group: "slack",
		doc: "comma-separated channel ids the bot answers in; empty: every channel it is invited to"},
	{env: "MICROSOFT_APP_ID", group: "teams",
		doc: "Microsoft app id of the Azure Bot; with MICROSOFT_APP_PASSWORD it turns the Teams adapter on (POST /api/messages)"},
	{env: "MICROSOFT_APP_PASSWORD", secret: true, group: "teams",
		doc: "client secret of the Microsoft app"},
	{env: "MICROSOFT_APP_TENANT_ID", group: "teams",
		doc: "tenant of a single-tenant Azure Bot; empty: multi-tenant"},
	{env: "TEAMS_OPENID_METADATA_URL", kind: kindURL, group: "teams",
		doc: "Bot Framework OpenID metadata URL (tests point it at a fake); default the Bot Framework's"},
	{env: "TEAMS_TOKEN_URL", kind: kindURL, group: "teams",
		doc: "token endpoint for the bot's replies (tests point it at a fake); default Microsoft's"},
	{env: "TEAMS_SERVICE_URL_ALLOW", kind: kindList, group: "teams",
		doc: "comma-separated extra hosts the bot may send replies (and its token) to, besides the Bot Framework's own"},
	{flag: "teams-dev", env: "MMD_TEAMS_DEV", def: "false", kind: kindBool, group: "teams",
		doc: "turn the Teams adapter on without authentication, for the Microsoft 365 Agents Playground or the Bot Framework Emulator: requests from this machine only; never in production"},
}

// textValue is a flag.Value holding a setting's text; bool settings take
// no argument (--teams-dev), like flag.Bool.
type textValue struct {
	s    *string
	bool bool
}

func (v textValue) String() string {
	if v.s == nil {
		return ""
	}
	return *v.s
}

func (v textValue) Set(s string) error {
	if v.bool {
		if _, err := strconv.ParseBool(s); err != nil {
			return errors.New("want true or false")
		}
	}
	*v.s = s
	return nil
}

func (v textValue) IsBoolFlag() bool { return v.bool }

// defineSettings adds a flag for every setting that has one, and returns
// the texts the flags fill: mmdbot serve reads them all.
func defineSettings(e env, fs *flag.FlagSet) map[string]*string {
	texts := map[string]*string{}
	for _, s := range settings {
		texts[s.key()] = s.define(e, fs)
	}
	return texts
}

// settingFlag adds the flag of the setting of that flag name, for a
// command that reads that setting alone (--kb, --data), and returns the
// text it fills.
func settingFlag(e env, fs *flag.FlagSet, name string) *string {
	for _, s := range settings {
		if s.flag == name {
			return s.define(e, fs)
		}
	}
	panic("no setting --" + name)
}

// define adds the setting's flag, if it has one, its default taken from the
// environment when set there, and returns the text the flag fills.
func (s setting) define(e env, fs *flag.FlagSet) *string {
	v := s.def
	if s.env != "" {
		v = envOr(e, s.env, s.def)
	}
	if s.flag == "" {
		return &v
	}
	// Backquotes would name the flag's argument in its usage.
	usage := strings.ReplaceAll(s.doc, "`", "")
	if s.env != "" {
		usage += " (env " + s.env + ")"
	}
	fs.Var(textValue{s: &v, bool: s.kind == kindBool}, s.flag, usage)
	// The usage shows the built-in default, never an environment value
	// (and no default for a switch that is off).
	f := fs.Lookup(s.flag)
	f.DefValue = s.def
	if s.kind == kindBool && s.def == "false" {
		f.DefValue = ""
	}
	return &v
}

// key names a setting: its flag with dashes, or its variable.
func (s setting) key() string {
	if s.flag != "" {
		return "--" + s.flag
	}
	return s.env
}

// check reports whether text is a valid value of the setting.
func (s setting) check(v string) error {
	switch s.kind {
	case kindBool:
		if _, err := strconv.ParseBool(v); err != nil {
			return fmt.Errorf("%q is not true or false", v)
		}
	case kindDuration:
		if _, err := time.ParseDuration(v); err != nil {
			return fmt.Errorf("%q is not a duration such as 30s, 10m or 720h", v)
		}
	case kindBytes:
		if n, err := strconv.ParseInt(v, 10, 64); err != nil || n <= 0 {
			return fmt.Errorf("%q is not a size in bytes, such as 16777216", v)
		}
	case kindLevel:
		var l slog.Level
		if err := l.UnmarshalText([]byte(v)); err != nil {
			return fmt.Errorf("%q is not a log level: want debug, info, warn or error", v)
		}
	}
	return nil
}

// show returns the value as --check prints it: a secret is masked, showing
// at most its well-known prefix.
func (s setting) show(v string) string {
	switch {
	case v == "":
		return "(not set)"
	case s.kind == kindURL:
		return showURL(v)
	case !s.secret:
		return v
	case s.prefix != "" && strings.HasPrefix(v, s.prefix):
		return s.prefix + "********"
	}
	return "********"
}

// showURL returns an address as --check prints it: user information
// (user:password@), query and fragment, which can hold credentials, are
// masked, as in https://***@host/path?***.
func showURL(v string) string {
	u, err := url.Parse(v)
	// Without "scheme://", "user:password@host" parses as scheme and
	// opaque text: masked whole, as are addresses url cannot read.
	if err != nil || u.Opaque != "" || (u.User != nil && u.Host == "") {
		return "********"
	}
	user := u.User != nil
	u.User = nil
	if u.RawQuery != "" || u.ForceQuery {
		u.RawQuery, u.ForceQuery = "***", false
	}
	if u.Fragment != "" {
		u.Fragment, u.RawFragment = "***", ""
	}
	out := u.String()
	if user {
		// url.Userinfo would escape the asterisks.
		before, after, _ := strings.Cut(out, "//")
		out = before + "//***@" + after
	}
	return out
}

// list splits a comma-separated list, dropping empty items.
func list(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
