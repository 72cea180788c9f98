package slack

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"regexp"

	"github.com/slack-go/slack"
)

// connectProblem says why Socket Mode could not connect, in a word for the
// log's reason key, and what fixes it.
type connectProblem struct {
	reason string // token, network, certificate, rate-limited or slack
	fix    string
}

// tokenErrors are the error codes with which Slack refuses the app-level
// token that opens Socket Mode.
var tokenErrors = map[string]bool{
	"invalid_auth": true, "not_authed": true, "account_inactive": true, "token_revoked": true,
	"token_expired": true, "not_allowed_token_type": true, "missing_scope": true, "no_permission": true,
}

// Fixes, as the log says them.
const (
	fixToken = "give SLACK_APP_TOKEN an app-level token (xapp-…) of this app with the connections:write scope " +
		"(Basic Information → App-Level Tokens), and check that Socket Mode is on (Settings → Socket Mode)"
	fixNetwork = "check that this machine reaches https://slack.com and wss://wss-primary.slack.com on port 443: " +
		"DNS, the firewall's outbound rules, and the proxy (HTTPS_PROXY) if there is one"
	fixCertificate = "a proxy that inspects TLS stands between mmdbot and Slack: add its CA certificate " +
		"to the system's certificates (or SSL_CERT_FILE)"
)

// diagnoseConnect tells a token Slack refuses from a network that does not
// reach Slack, from Slack being unwell.
func diagnoseConnect(err error) connectProblem {
	var (
		refused   slack.SlackErrorResponse
		status    slack.StatusCodeError
		limited   *slack.RateLimitedError
		dns       *net.DNSError
		op        *net.OpError
		netErr    net.Error
		unknownCA x509.UnknownAuthorityError
		verify    *tls.CertificateVerificationError
	)
	switch {
	case errors.As(err, &refused) && tokenErrors[refused.Err]:
		return connectProblem{"token", "Slack refused SLACK_APP_TOKEN (" + refused.Err + "): " + fixToken}
	case errors.As(err, &refused):
		return connectProblem{"slack", "Slack answered " + refused.Err + ": check the app's settings and https://slack-status.com"}
	case errors.As(err, &status) && status.Code == http.StatusNotFound:
		return connectProblem{"token", "Slack does not know the app-level token or the address (404): " + fixToken +
			"; leave SLACK_API_URL empty unless a proxy stands in for Slack's API"}
	case errors.As(err, &status) && (status.Code == http.StatusUnauthorized || status.Code == http.StatusForbidden):
		return connectProblem{"token", fmt.Sprintf("Slack refused the app-level token (%d): %s", status.Code, fixToken)}
	case errors.As(err, &status):
		return connectProblem{"slack", "Slack answered " + status.Status + ": a problem on Slack's side (https://slack-status.com); mmdbot keeps trying"}
	case errors.As(err, &limited):
		return connectProblem{"rate-limited", "Slack asks mmdbot to slow down; it waits as long as Slack says, then tries again"}
	case errors.As(err, &unknownCA), errors.As(err, &verify):
		return connectProblem{"certificate", fixCertificate}
	case errors.As(err, &dns):
		return connectProblem{"network", "the name " + dns.Name + " does not resolve: " + fixNetwork}
	case errors.As(err, &op), errors.As(err, &netErr):
		return connectProblem{"network", "Slack cannot be reached: " + fixNetwork}
	}
	return connectProblem{"slack", "see the error; " + fixNetwork}
}

// secretQuery matches the query of an address in an error: the WebSocket
// address Slack hands out carries a ticket there.
var secretQuery = regexp.MustCompile(`(?i)((?:wss?|https?)://[^\s"?]+)\?[^\s"]*`)

// safeError is an error's text fit for the log: queries of addresses are
// cut, so that no ticket or token reaches it.
func safeError(err error) string {
	return secretQuery.ReplaceAllString(err.Error(), "$1?…")
}
