package teams

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"regexp"
	"strings"
)

// The Bot Framework's well-known addresses.
const (
	// DefaultOpenIDMetadataURL is the Bot Framework's OpenID metadata
	// document, which names the keys that sign the channel's tokens.
	DefaultOpenIDMetadataURL = "https://login.botframework.com/v1/.well-known/openidconfiguration"
	// DefaultTokenTenant is the tenant of multi-tenant bots' tokens.
	DefaultTokenTenant = "botframework.com"
	// TokenScope is the scope of the bot's tokens for the connector.
	TokenScope = "https://api.botframework.com/.default"
	// Issuer is the issuer of the tokens the channel sends to the bot.
	Issuer = "https://api.botframework.com"
)

// Config configures the Teams adapter. The zero value is a disabled adapter.
type Config struct {
	// AppID, AppPassword and TenantID are the bot's Microsoft Entra
	// credentials: MICROSOFT_APP_ID, MICROSOFT_APP_PASSWORD and
	// MICROSOFT_APP_TENANT_ID (single-tenant bots, the default for new bots).
	// AppID is a GUID; TenantID a GUID or one of the tenant's domain names.
	AppID, AppPassword, TenantID string
	// OpenIDMetadataURL is TEAMS_OPENID_METADATA_URL; "" means
	// DefaultOpenIDMetadataURL.
	OpenIDMetadataURL string
	// TokenURL is TEAMS_TOKEN_URL; "" means
	// https://login.microsoftonline.com/<TenantID or botframework.com>/oauth2/v2.0/token.
	TokenURL string
	// ServiceURLAllow lists hosts, beyond the Bot Framework's and Teams',
	// that may receive replies (TEAMS_SERVICE_URL_ALLOW, comma-separated).
	// An entry starting with "." allows every subdomain of it. Replies go
	// to them over https; plain http only to loopback hosts.
	ServiceURLAllow []string
	// Dev is the local-development switch (--teams-dev): requests without a
	// token are accepted from loopback only, and replies go without a token.
	Dev bool
	// Logger receives what the adapter refuses and what fails; nil discards.
	Logger *slog.Logger
	// Outbox and Seen are the server's: its replies owed and the ids
	// handled, shared by replicas, with Deliver registered for "teams".
	// When both are nil, the adapter keeps them in memory and delivers
	// from Run.
	Outbox Outbox
	Seen   Seen
}

// Enabled reports whether any setting that turns the adapter on is set
// (credentials, the tenant, the local-development switch): the adapter is
// meant to be on, and Validate then says what else it needs.
func (c Config) Enabled() bool {
	return c.AppID != "" || c.AppPassword != "" || c.TenantID != "" || c.Dev
}

// Validate says, in one sentence, what is missing or wrong. It does no I/O.
func (c Config) Validate() error {
	switch {
	case c.Dev:
	case c.AppID != "" && c.AppPassword == "":
		return errors.New("teams: MICROSOFT_APP_ID is set without MICROSOFT_APP_PASSWORD")
	case c.AppID == "" && c.AppPassword != "":
		return errors.New("teams: MICROSOFT_APP_PASSWORD is set without MICROSOFT_APP_ID")
	case c.AppID == "" && c.TenantID != "":
		return errors.New("teams: MICROSOFT_APP_TENANT_ID is set without MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD")
	case c.AppID == "":
		return errors.New("teams: MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD are not set (or use --teams-dev for local development)")
	}
	if c.AppID != "" && !guid.MatchString(c.AppID) {
		return errors.New("teams: MICROSOFT_APP_ID is not a GUID such as 00000000-0000-0000-0000-000000000000: use the Azure Bot's Microsoft App ID")
	}
	if c.TenantID != "" && !guid.MatchString(c.TenantID) && !domainName.MatchString(c.TenantID) {
		return errors.New("teams: MICROSOFT_APP_TENANT_ID is neither a GUID nor a domain name such as contoso.onmicrosoft.com: use the Azure Bot's App Tenant ID")
	}
	for name, u := range map[string]string{"TEAMS_OPENID_METADATA_URL": c.OpenIDMetadataURL, "TEAMS_TOKEN_URL": c.TokenURL} {
		if u != "" && !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
			return fmt.Errorf("teams: %s is not an http(s) address: %q", name, u)
		}
	}
	for _, h := range c.ServiceURLAllow {
		if strings.ContainsAny(h, "/:@ ") && net.ParseIP(strings.Trim(h, "[]")) == nil {
			return fmt.Errorf("teams: TEAMS_SERVICE_URL_ALLOW takes host names, not %q", h)
		}
	}
	return nil
}

// hostPolicy is where the adapter's replies may go: the Bot Framework's and
// Teams' hosts, those of ServiceURLAllow, and loopback in development.
func (c Config) hostPolicy() hostPolicy {
	var hosts []string
	for _, h := range c.ServiceURLAllow {
		hosts = append(hosts, strings.ToLower(strings.Trim(strings.TrimSpace(h), "[]")))
	}
	return hostPolicy{extra: hosts, dev: c.Dev}
}

// AllowsServiceURL says why replies, and the bot's token with them, may
// not go to serviceURL, or nil when they may: the check every reply
// passes, for a serviceUrl configured rather than received (the weekly
// digest's). It does no I/O.
func (c Config) AllowsServiceURL(serviceURL string) error {
	_, err := c.hostPolicy().allow(serviceURL)
	return err
}

// domainName matches a DNS name of two labels or more, the last starting
// with a letter: a Microsoft Entra tenant may be named by one of its
// domains (contoso.onmicrosoft.com, or botframework.com for multi-tenant
// bots) as well as by its GUID.
var domainName = regexp.MustCompile(`^(?i)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$`)

func (c Config) metadataURL() string {
	if c.OpenIDMetadataURL != "" {
		return c.OpenIDMetadataURL
	}
	return DefaultOpenIDMetadataURL
}

func (c Config) tokenURL() string {
	if c.TokenURL != "" {
		return c.TokenURL
	}
	tenant := c.TenantID
	if tenant == "" {
		tenant = DefaultTokenTenant
	}
	return "https://login.microsoftonline.com/" + tenant + "/oauth2/v2.0/token"
}
