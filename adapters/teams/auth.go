package teams

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// clockSkew is the leeway allowed on exp and nbf.
const clockSkew = 5 * time.Minute

// Why a request is refused: errNoToken and errMalformed mean 401, any other
// authentication error 403.
var (
	errNoToken   = errors.New("no bearer token")
	errMalformed = errors.New("malformed bearer token")
)

// audience is a JWT aud claim that must be a single string: an array is
// refused, whatever it holds.
type audience string

func (a *audience) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return errors.New("aud is not a single string")
	}
	*a = audience(s)
	return nil
}

// botClaims are the claims of a token from the Bot Framework channel. Every
// field is decoded with its type checked: a claim of the wrong type fails
// the whole token.
type botClaims struct {
	Issuer     string           `json:"iss"`
	Audience   audience         `json:"aud"`
	ExpiresAt  *jwt.NumericDate `json:"exp,omitempty"`
	NotBefore  *jwt.NumericDate `json:"nbf,omitempty"`
	IssuedAt   *jwt.NumericDate `json:"iat,omitempty"`
	ServiceURL string           `json:"serviceurl"`
}

func (c *botClaims) GetExpirationTime() (*jwt.NumericDate, error) { return c.ExpiresAt, nil }
func (c *botClaims) GetIssuedAt() (*jwt.NumericDate, error)       { return c.IssuedAt, nil }
func (c *botClaims) GetNotBefore() (*jwt.NumericDate, error)      { return c.NotBefore, nil }
func (c *botClaims) GetIssuer() (string, error)                   { return c.Issuer, nil }
func (c *botClaims) GetSubject() (string, error)                  { return "", nil }
func (c *botClaims) GetAudience() (jwt.ClaimStrings, error) {
	return jwt.ClaimStrings{string(c.Audience)}, nil
}

// identity is what a valid token says: its claims and the channels its
// signing key is endorsed for.
type identity struct {
	claims botClaims
	key    signingKey
}

// check verifies what a token says against the activity it came with: the
// serviceurl claim names the activity's serviceUrl, and the signing key is
// endorsed for the activity's channel.
func (id *identity) check(channelID, serviceURL string) error {
	if id.claims.ServiceURL == "" || id.claims.ServiceURL != serviceURL {
		return errors.New("serviceurl claim does not match the activity's serviceUrl")
	}
	if !id.key.endorses(channelID) {
		return fmt.Errorf("signing key is not endorsed for channel %q", channelID)
	}
	return nil
}

// validator checks the bearer tokens of incoming requests against the
// channel's keys: RS256 only, the Bot Framework as issuer, the bot as
// audience, exp required, exp and nbf with five minutes of skew.
type validator struct {
	keys  *keySet
	appID string
	now   func() time.Time
}

// bearer returns the token of an Authorization header.
func bearer(header string) (string, error) {
	if header == "" {
		return "", errNoToken
	}
	scheme, tok, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", errMalformed
	}
	tok = strings.TrimSpace(tok)
	if strings.Count(tok, ".") != 2 || len(tok) > 16<<10 || strings.ContainsAny(tok, " \t") {
		return "", errMalformed
	}
	return tok, nil
}

// verify checks a token's signature and claims. The errors never hold the
// token.
func (v *validator) verify(ctx context.Context, tok string) (*identity, error) {
	id := &identity{}
	p := jwt.NewParser(
		jwt.WithValidMethods([]string{"RS256"}),
		jwt.WithIssuer(Issuer),
		jwt.WithAudience(v.appID),
		jwt.WithExpirationRequired(),
		jwt.WithLeeway(clockSkew),
		jwt.WithTimeFunc(v.now),
	)
	_, err := p.ParseWithClaims(tok, &id.claims, func(t *jwt.Token) (any, error) {
		kid, ok := t.Header["kid"].(string)
		if !ok || kid == "" {
			return nil, errors.New("token has no key id")
		}
		k, err := v.keys.key(ctx, kid)
		if err != nil {
			return nil, err
		}
		id.key = k
		return k.pub, nil
	})
	if err != nil {
		return nil, fmt.Errorf("verify token: %w", err)
	}
	if v.appID == "" {
		return nil, errors.New("verify token: no app id configured")
	}
	return id, nil
}
