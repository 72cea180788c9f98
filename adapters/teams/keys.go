package teams

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// How the signing keys are kept.
const (
	// keyRefresh is how long fetched keys are trusted before refetching.
	keyRefresh = 24 * time.Hour
	// keyMinGap is the shortest time between two fetches caused by a token
	// signed with a key the cache does not know, so that tokens with made-up
	// key ids cannot make the adapter hammer the key endpoint.
	keyMinGap = time.Minute
	// maxDocument bounds the OpenID metadata and key documents.
	maxDocument = 1 << 20
	// keyRetryGap is the shortest time between two failed fetches when no
	// keys are at hand yet.
	keyRetryGap = 5 * time.Second
	// minKeyBits is the smallest RSA key accepted.
	minKeyBits = 2048
)

// errUnknownKey is returned for a key id that the key set does not hold, even
// after refetching.
var errUnknownKey = errors.New("unknown signing key")

// signingKey is one public key of the channel, with the channels it is
// endorsed for.
type signingKey struct {
	pub          *rsa.PublicKey
	endorsements []string
}

// endorses reports whether the key may sign tokens for channel.
func (k signingKey) endorses(channel string) bool {
	return channel != "" && slices.Contains(k.endorsements, channel)
}

// keyState is one fetched key set.
type keyState struct {
	keys    map[string]signingKey
	fetched time.Time
}

// keySet fetches the channel's signing keys from the OpenID metadata
// document and keeps them: they are refetched every keyRefresh, and on an
// unknown key id at most once per keyMinGap. Fetches are serialised.
type keySet struct {
	metadataURL string
	client      *http.Client
	now         func() time.Time
	minGap      time.Duration

	mu      sync.Mutex // held while fetching
	lastTry time.Time  // the last fetch attempt, under mu
	lastErr error      // its error, under mu
	state   atomic.Pointer[keyState]
	failed  atomic.Bool // the last fetch failed
}

func newKeySet(metadataURL string, client *http.Client, now func() time.Time) *keySet {
	return &keySet{metadataURL: metadataURL, client: client, now: now, minGap: keyMinGap}
}

// loaded reports whether keys have been fetched once.
func (s *keySet) loaded() bool { return s.state.Load() != nil }

// key returns the key with id kid, fetching the keys when they are stale or
// when kid is unknown (and the last fetch is older than minGap).
func (s *keySet) key(ctx context.Context, kid string) (signingKey, error) {
	if st := s.state.Load(); st != nil && s.now().Sub(st.fetched) < keyRefresh {
		if k, ok := st.keys[kid]; ok {
			return k, nil
		}
		if s.now().Sub(st.fetched) < s.minGap {
			return signingKey{}, errUnknownKey
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// Another request may have fetched while this one waited.
	st := s.state.Load()
	if st != nil && s.now().Sub(st.fetched) < keyRefresh {
		if k, ok := st.keys[kid]; ok {
			return k, nil
		}
		if s.now().Sub(st.fetched) < s.minGap {
			return signingKey{}, errUnknownKey
		}
	}
	// Failed fetches are not retried at every request: with keys at hand
	// at most once per minGap, without at most once per keyRetryGap.
	gap := keyRetryGap
	if st != nil {
		gap = s.minGap
	}
	if s.lastErr != nil && s.now().Sub(s.lastTry) < gap {
		if st != nil {
			if k, ok := st.keys[kid]; ok {
				return k, nil
			}
			return signingKey{}, errUnknownKey
		}
		return signingKey{}, s.lastErr
	}
	s.lastTry = s.now()
	keys, err := s.fetch(ctx)
	s.lastErr = err
	if err != nil {
		s.failed.Store(true)
		// Keys past their refresh time still serve while the endpoint is
		// down: they were the channel's keys a day ago.
		if st != nil {
			if k, ok := st.keys[kid]; ok {
				return k, nil
			}
		}
		return signingKey{}, err
	}
	s.failed.Store(false)
	s.state.Store(&keyState{keys: keys, fetched: s.now()})
	if k, ok := keys[kid]; ok {
		return k, nil
	}
	return signingKey{}, errUnknownKey
}

// fetch reads the metadata document, then the key set it names.
func (s *keySet) fetch(ctx context.Context) (map[string]signingKey, error) {
	var meta struct {
		JWKSURI string `json:"jwks_uri"`
	}
	if err := s.getJSON(ctx, s.metadataURL, &meta); err != nil {
		return nil, fmt.Errorf("fetch OpenID metadata: %w", err)
	}
	u, err := url.Parse(meta.JWKSURI)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("fetch OpenID metadata: jwks_uri is not an http(s) address: %q", meta.JWKSURI)
	}
	body, err := s.get(ctx, meta.JWKSURI)
	if err != nil {
		return nil, fmt.Errorf("fetch signing keys: %w", err)
	}
	keys, err := parseJWKS(body)
	if err != nil {
		return nil, fmt.Errorf("fetch signing keys: %w", err)
	}
	return keys, nil
}

func (s *keySet) getJSON(ctx context.Context, u string, v any) error {
	body, err := s.get(ctx, u)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("decode %s: %w", u, err)
	}
	return nil
}

func (s *keySet) get(ctx context.Context, u string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", u, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("get %s: status %d", u, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDocument+1))
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", u, err)
	}
	if len(body) > maxDocument {
		return nil, fmt.Errorf("get %s: more than %d bytes", u, maxDocument)
	}
	return body, nil
}

// jwk is one key of a JSON Web Key Set, with the Bot Framework's
// endorsements.
type jwk struct {
	Kty          string   `json:"kty"`
	Use          string   `json:"use"`
	Kid          string   `json:"kid"`
	N            string   `json:"n"`
	E            string   `json:"e"`
	Endorsements []string `json:"endorsements"`
}

// parseJWKS reads the RSA signing keys of a JSON Web Key Set. Keys of other
// types or uses are skipped; a set without any usable key is an error.
func parseJWKS(data []byte) (map[string]signingKey, error) {
	var set struct {
		Keys []jwk `json:"keys"`
	}
	if err := json.Unmarshal(data, &set); err != nil {
		return nil, fmt.Errorf("parse key set: %w", err)
	}
	keys := map[string]signingKey{}
	for _, k := range set.Keys {
		if k.Kty != "RSA" || (k.Use != "" && k.Use != "sig") || k.Kid == "" {
			continue
		}
		pub, err := rsaKey(k.N, k.E)
		if err != nil {
			continue
		}
		keys[k.Kid] = signingKey{pub: pub, endorsements: k.Endorsements}
	}
	if len(keys) == 0 {
		return nil, errors.New("parse key set: no usable RSA signing key")
	}
	return keys, nil
}

func rsaKey(n64, e64 string) (*rsa.PublicKey, error) {
	nb, err := base64.RawURLEncoding.DecodeString(n64)
	if err != nil {
		return nil, fmt.Errorf("modulus: %w", err)
	}
	eb, err := base64.RawURLEncoding.DecodeString(e64)
	if err != nil {
		return nil, fmt.Errorf("exponent: %w", err)
	}
	n := new(big.Int).SetBytes(nb)
	if n.BitLen() < minKeyBits {
		return nil, fmt.Errorf("modulus of %d bits", n.BitLen())
	}
	if len(eb) == 0 || len(eb) > 4 {
		return nil, errors.New("exponent out of range")
	}
	e := int(new(big.Int).SetBytes(eb).Int64())
	if e < 3 || e%2 == 0 {
		return nil, errors.New("exponent out of range")
	}
	return &rsa.PublicKey{N: n, E: e}, nil
}
