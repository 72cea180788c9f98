package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mmdbot/mmdbot/admin"
	"github.com/mmdbot/mmdbot/bot"
	"github.com/mmdbot/mmdbot/metrics"
	"github.com/mmdbot/mmdbot/store"
	"github.com/mmdbot/mmdbot/upstream"
)

// adminConfig is the configuration of the review page (/admin) and of the
// weekly digest to the admins' channels.
type adminConfig struct {
	// Sign-in with OpenID Connect (Microsoft Entra ID): all four, or none.
	Issuer, ClientID, ClientSecret, RedirectURL string
	// Allow lists who may review: user principal names, object ids,
	// role:NAME, group:ID.
	Allow []string
	// Token is the static bearer token of scripts.
	Token string
	// The digest's channels; off when both are empty.
	SlackChannel, TeamsConversation, TeamsServiceURL string
	// DigestAt is when the digest goes, as set ("Monday 09:00").
	DigestAt string
	// URL is the review page's public address, for the digest's link.
	URL string
}

// minAdminToken is the shortest MMD_ADMIN_TOKEN accepted: a token short
// enough to guess would open the review page to anyone.
const minAdminToken = 32

func adminConfigFrom(get func(string) string) adminConfig {
	a := adminConfig{
		Issuer:            get("MMD_ADMIN_OIDC_ISSUER"),
		ClientID:          get("MMD_ADMIN_CLIENT_ID"),
		ClientSecret:      get("MMD_ADMIN_CLIENT_SECRET"),
		RedirectURL:       get("MMD_ADMIN_REDIRECT_URL"),
		Allow:             list(get("MMD_ADMIN_ALLOW")),
		Token:             get("MMD_ADMIN_TOKEN"),
		SlackChannel:      get("MMD_ADMIN_CHANNEL_SLACK"),
		TeamsConversation: get("MMD_ADMIN_CONVERSATION_TEAMS"),
		TeamsServiceURL:   get("MMD_ADMIN_TEAMS_SERVICE_URL"),
		DigestAt:          get("MMD_ADMIN_DIGEST_AT"),
		URL:               get("MMD_ADMIN_URL"),
	}
	if a.URL == "" && a.RedirectURL != "" {
		if u, err := url.Parse(a.RedirectURL); err == nil {
			u.Path, u.RawQuery, u.Fragment = "/admin", "", ""
			a.URL = u.String()
		}
	}
	return a
}

// signIn reports whether admins sign in with OpenID Connect.
func (a adminConfig) signIn() bool { return a.Issuer != "" }

// on reports whether the review page is served.
func (a adminConfig) on() bool { return a.signIn() || a.Token != "" }

// digest reports whether the weekly digest is sent anywhere.
func (a adminConfig) digest() bool { return a.SlackChannel != "" || a.TeamsConversation != "" }

// state says whether the review page is on, how, or how to turn it on,
// as --check prints it.
func (a adminConfig) state() string {
	switch {
	case a.signIn() && a.Token != "":
		return "admin: on (the review page at /admin: sign-in with " + a.Issuer + ", and the bearer token MMD_ADMIN_TOKEN)"
	case a.signIn():
		return "admin: on (the review page at /admin: sign-in with " + a.Issuer + ")"
	case a.Token != "":
		return "admin: on (the review page's API at /admin/api/ with the bearer token MMD_ADMIN_TOKEN; set MMD_ADMIN_OIDC_ISSUER and the rest to sign in from a browser)"
	}
	return "admin: off (set MMD_ADMIN_OIDC_ISSUER, MMD_ADMIN_CLIENT_ID, MMD_ADMIN_CLIENT_SECRET, MMD_ADMIN_REDIRECT_URL and MMD_ADMIN_ALLOW to sign admins in with Microsoft Entra ID, or MMD_ADMIN_TOKEN for scripts: docs/admin.md)"
}

// check lists the problems of the configuration, one sentence each.
func (a adminConfig) check() []error {
	var errs []error
	oidc := []struct{ name, value string }{
		{"MMD_ADMIN_OIDC_ISSUER", a.Issuer}, {"MMD_ADMIN_CLIENT_ID", a.ClientID},
		{"MMD_ADMIN_CLIENT_SECRET", a.ClientSecret}, {"MMD_ADMIN_REDIRECT_URL", a.RedirectURL},
	}
	var set, missing []string
	for _, s := range oidc {
		if s.value != "" {
			set = append(set, s.name)
		} else {
			missing = append(missing, s.name)
		}
	}
	if len(set) > 0 && len(missing) > 0 {
		errs = append(errs, fmt.Errorf("%s %s set, but %s %s not: admins sign in with all four (docs/admin.md)",
			strings.Join(set, ", "), isAre(set), strings.Join(missing, ", "), isAre(missing)))
	}
	if len(set) == len(oidc) {
		if len(a.Allow) == 0 {
			errs = append(errs, errors.New("MMD_ADMIN_ALLOW is empty: nobody could sign in to the review page; list user principal names, object ids, role:<app role> or group:<group id>"))
		}
		if err := admin.CheckIssuer(a.Issuer); err != nil {
			errs = append(errs, fmt.Errorf("MMD_ADMIN_OIDC_ISSUER: %w", err))
		}
		if err := admin.CheckRedirectURL(a.RedirectURL); err != nil {
			errs = append(errs, fmt.Errorf("MMD_ADMIN_REDIRECT_URL: %w", err))
		}
	}
	if a.Token != "" && len(a.Token) < minAdminToken {
		errs = append(errs, fmt.Errorf("MMD_ADMIN_TOKEN is too short: use at least %d random characters, such as the output of \"openssl rand -hex 32\"", minAdminToken))
	}
	if a.digest() {
		if _, _, err := parseDigestAt(a.DigestAt); err != nil {
			errs = append(errs, fmt.Errorf("MMD_ADMIN_DIGEST_AT %w", err))
		}
	}
	return errs
}

func isAre(s []string) string {
	if len(s) == 1 {
		return "is"
	}
	return "are"
}

// parseDigestAt reads when the weekly digest goes: "Monday 09:00".
func parseDigestAt(s string) (time.Weekday, time.Duration, error) {
	day, clock, ok := strings.Cut(strings.TrimSpace(s), " ")
	if ok {
		for d := time.Sunday; d <= time.Saturday; d++ {
			if !strings.EqualFold(day, d.String()) && !strings.EqualFold(day, d.String()[:3]) {
				continue
			}
			t, err := time.Parse("15:04", strings.TrimSpace(clock))
			if err != nil {
				break
			}
			return d, time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, nil
		}
	}
	return 0, 0, fmt.Errorf("%q is not a day and a time such as \"Monday 09:00\"", s)
}

// idpTimeout bounds each request to the identity provider.
const idpTimeout = 15 * time.Second

// newAdmin returns the review page of the configuration, nil when it is
// off. Its decisions are applied by the teacher at once. The key signing
// sessions is kept in the data store, so that a session is good on every
// replica sharing it.
func newAdmin(ctx context.Context, cfg config, st *store.Store, b *bot.Bot, t *teacher, m *metrics.Metrics, check *upstream.Checker, log *slog.Logger) (*admin.Admin, error) {
	a := cfg.Admin
	if !a.on() {
		return nil, nil
	}
	key, err := st.Secret(ctx, "admin-session-key", randomHex)
	if err != nil {
		return nil, fmt.Errorf("the key of admin sessions: %w", err)
	}
	adm, err := admin.New(admin.Options{
		Store: st, Knowledge: b.Knowledge, Changed: func() { t.apply(context.WithoutCancel(ctx)) },
		Issuer: a.Issuer, ClientID: a.ClientID, ClientSecret: a.ClientSecret, RedirectURL: a.RedirectURL,
		Allow: a.Allow, Token: a.Token, SessionKey: []byte(key),
		HTTPClient: &http.Client{Timeout: idpTimeout}, Logger: log, Telemetry: m,
		Alerts: upstreamAlerts(check),
	})
	if err != nil {
		return nil, err
	}
	log.Info("review page on", "path", "/admin", "sign_in", a.signIn(), "token", a.Token != "")
	if !recording(cfg) {
		log.Warn("review page on, but the data store is in memory: there is nothing to review, and decisions are lost at exit",
			"hint", "set --data or MMD_DATA to a file, or MMD_DATABASE_URL")
	}
	return adm, nil
}
