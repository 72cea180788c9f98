package teams

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// hostPolicy says which serviceUrls may receive the bot's replies, and so
// its bearer token.
type hostPolicy struct {
	extra []string // lower-case; a leading "." allows subdomains
	dev   bool     // loopback hosts are allowed too
}

// defaultServiceHosts are the Bot Framework's and Teams' service hosts; a
// leading "." allows every subdomain.
var defaultServiceHosts = []string{
	".botframework.com",
	"smba.trafficmanager.net",
	"smba.infra.gcc.teams.microsoft.com",
	"smba.infra.gov.teams.microsoft.us",
	"smba.infra.dod.teams.microsoft.us",
}

// hostMatches reports whether host is one of patterns: a name, or ".name"
// or "*.name" for every subdomain of name.
func hostMatches(host string, patterns []string) bool {
	for _, p := range patterns {
		p = strings.TrimPrefix(p, "*")
		if host == p || strings.HasPrefix(p, ".") && strings.HasSuffix(host, p) {
			return true
		}
	}
	return false
}

// allow returns the parsed serviceUrl if replies may go there: https to a
// default host or a host of TEAMS_SERVICE_URL_ALLOW, or (in development)
// to loopback. Plain http is allowed to loopback hosts only, so that the
// bot's bearer token never crosses a network unencrypted.
func (p hostPolicy) allow(serviceURL string) (*url.URL, error) {
	u, err := url.Parse(serviceURL)
	if err != nil || u.Host == "" || u.User != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("serviceUrl %q is not an http(s) address", serviceURL)
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	switch {
	case u.Scheme == "https" && hostMatches(host, defaultServiceHosts):
	case hostMatches(host, p.extra):
	case p.dev && isLoopbackHost(host):
	default:
		return nil, fmt.Errorf("serviceUrl host %q is not allowed (see TEAMS_SERVICE_URL_ALLOW)", host)
	}
	if u.Scheme == "http" && !isLoopbackHost(host) {
		return nil, fmt.Errorf("serviceUrl %q is plain http: only loopback hosts may be reached without https", serviceURL)
	}
	return u, nil
}

// isLoopbackHost reports whether h is localhost, 127.0.0.0/8 or ::1.
func isLoopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
