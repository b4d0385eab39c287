package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// ErrJWKSUnavailable means a token needs a key from the JWKS and the key
// set cannot be fetched (and no copy of the key is held): an outage, not
// a bad token.
var ErrJWKSUnavailable = errors.New("auth: JWKS unavailable")

// JWKS cache timings.
const (
	jwksFresh          = 10 * time.Minute // keys are refreshed after this
	jwksUnknownKidWait = time.Minute      // an unknown kid refetches at most this often
	jwksBackoffMin     = time.Second      // after a failed fetch, wait this long, doubling …
	jwksBackoffMax     = time.Minute      // … up to this
	jwksFetchTimeout   = 5 * time.Second
)

// jwksCache holds a JSON Web Key Set. The fetch runs outside the lock, one
// at a time (singleflight); a key already held is served — stale if the
// endpoint is down — while a refresh runs; failures back off; an unknown
// kid refetches at most once a minute.
type jwksCache struct {
	url     string
	client  *http.Client
	now     func() time.Time
	timeout time.Duration // of one fetch
	group   singleflight.Group

	mu       sync.Mutex
	keys     map[string]any
	fetched  time.Time // last successful fetch
	nextTry  time.Time // no fetch before this
	failures int       // consecutive failed fetches
}

func newJWKSCache(url string) *jwksCache {
	return &jwksCache{url: url, client: &http.Client{}, now: time.Now, timeout: jwksFetchTimeout}
}

// key returns the public key kid names.
func (c *jwksCache) key(ctx context.Context, kid string) (any, error) {
	now := c.now()
	c.mu.Lock()
	k, have := c.keys[kid]
	fresh := now.Sub(c.fetched) < jwksFresh
	mayFetch := !now.Before(c.nextTry)
	everFetched := c.keys != nil
	c.mu.Unlock()
	switch {
	case have && fresh:
		return k, nil
	case have:
		if mayFetch {
			c.group.DoChan("jwks", c.refresh) // in the background: serve the held key now
		}
		return k, nil
	case !mayFetch && everFetched:
		return nil, fmt.Errorf("jwks: no key %q", kid)
	case !mayFetch:
		return nil, fmt.Errorf("%w: backing off after a failed fetch", ErrJWKSUnavailable)
	}
	select {
	case r := <-c.group.DoChan("jwks", c.refresh):
		if r.Err != nil {
			return nil, r.Err
		}
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: %w", ErrJWKSUnavailable, ctx.Err())
	}
	c.mu.Lock()
	k, have = c.keys[kid]
	c.mu.Unlock()
	if !have {
		return nil, fmt.Errorf("jwks: no key %q", kid)
	}
	return k, nil
}

// refresh fetches the key set and records the outcome; it runs under the
// singleflight, with its own deadline so that no caller's cancellation
// fails the others.
func (c *jwksCache) refresh() (any, error) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	keys, err := c.fetch(ctx)
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		c.failures++
		backoff := jwksBackoffMin << min(c.failures-1, 6)
		c.nextTry = now.Add(min(backoff, jwksBackoffMax))
		return nil, fmt.Errorf("%w: %w", ErrJWKSUnavailable, err)
	}
	c.keys, c.fetched, c.failures = keys, now, 0
	c.nextTry = now.Add(jwksUnknownKidWait)
	return nil, nil
}

type jwk struct {
	Kid string `json:"kid"`
	Kty string `json:"kty"`
	N   string `json:"n"`
	E   string `json:"e"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
}

func (c *jwksCache) fetch(ctx context.Context) (map[string]any, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url, nil)
	if err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("jwks: %s answered %d", c.url, resp.StatusCode)
	}
	var set struct {
		Keys []jwk `json:"keys"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&set); err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	keys := make(map[string]any, len(set.Keys))
	for _, k := range set.Keys {
		pub, err := k.publicKey()
		if err != nil {
			continue // a key of a kind we do not use
		}
		keys[k.Kid] = pub
	}
	return keys, nil
}

func (k jwk) publicKey() (any, error) {
	switch k.Kty {
	case "RSA":
		n, err1 := b64int(k.N)
		e, err2 := b64int(k.E)
		if err := errors.Join(err1, err2); err != nil {
			return nil, err
		}
		return &rsa.PublicKey{N: n, E: int(e.Int64())}, nil
	case "EC":
		if k.Crv != "P-256" {
			return nil, fmt.Errorf("jwks: curve %q", k.Crv)
		}
		x, err1 := b64int(k.X)
		y, err2 := b64int(k.Y)
		if err := errors.Join(err1, err2); err != nil {
			return nil, err
		}
		return &ecdsa.PublicKey{Curve: elliptic.P256(), X: x, Y: y}, nil
	default:
		return nil, fmt.Errorf("jwks: key type %q", k.Kty)
	}
}

func b64int(s string) (*big.Int, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	return new(big.Int).SetBytes(b), nil
}
