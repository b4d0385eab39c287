package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// jwksServer serves one EC key as k1; mode 0 answers, 1 fails with 500,
// 2 hangs until the request is cancelled.
type jwksServer struct {
	*httptest.Server
	key   *ecdsa.PrivateKey
	mode  atomic.Int32
	calls atomic.Int32
}

func newJWKSServer(t *testing.T) *jwksServer {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s := &jwksServer{key: key}
	enc := func(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.calls.Add(1)
		switch s.mode.Load() {
		case 1:
			http.Error(w, "down", http.StatusInternalServerError)
			return
		case 2:
			<-r.Context().Done()
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{
			"kid": "k1", "kty": "EC", "crv": "P-256",
			"x": enc(key.PublicKey.X.FillBytes(make([]byte, 32))),
			"y": enc(key.PublicKey.Y.FillBytes(make([]byte, 32))),
		}}})
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) token(t *testing.T, kid string, claims jwt.MapClaims) string {
	t.Helper()
	if claims == nil {
		claims = jwt.MapClaims{}
	}
	claims["sub"] = "shop-user-7"
	claims["exp"] = time.Now().Add(time.Hour).Unix()
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, claims)
	tok.Header["kid"] = kid
	signed, err := tok.SignedString(s.key)
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

// fakeClock is a settable clock for the cache.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// TestJWKSHangingEndpoint is #11.7: logins against a hanging JWKS share one
// fetch (not one per login under a lock), end with the fetch's deadline as
// "unavailable", and then fail fast while the cache backs off.
func TestJWKSHangingEndpoint(t *testing.T) {
	s := newJWKSServer(t)
	s.mode.Store(2)
	v := NewVerifier(nil, s.URL)
	v.jwks.timeout = 500 * time.Millisecond
	tok := s.token(t, "k1", nil)
	start := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, errs[i] = v.Verify(context.Background(), tok)
		}(i)
	}
	wg.Wait()
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("8 logins took %v", d)
	}
	for _, err := range errs {
		if !errors.Is(err, ErrJWKSUnavailable) {
			t.Fatalf("login against a hanging JWKS: %v, want ErrJWKSUnavailable", err)
		}
	}
	if n := s.calls.Load(); n != 1 {
		t.Fatalf("8 concurrent logins made %d fetches, want 1", n)
	}
	// Backing off: the next login fails at once, without a fetch.
	if _, err := v.Verify(context.Background(), tok); !errors.Is(err, ErrJWKSUnavailable) {
		t.Fatalf("login during back-off: %v after %v", err, time.Since(start))
	}
	if n := s.calls.Load(); n != 1 {
		t.Fatalf("a login during back-off fetched (%d fetches)", n)
	}
}

// TestJWKSServesStaleKeys: when the endpoint is down after the keys went
// stale, logins still succeed with the held keys, and refetches back off.
func TestJWKSServesStaleKeys(t *testing.T) {
	s := newJWKSServer(t)
	v := NewVerifier(nil, s.URL)
	clk := &fakeClock{t: time.Now()}
	v.jwks.now = clk.now
	tok := s.token(t, "k1", nil)
	if _, err := v.Verify(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
	s.mode.Store(1)
	clk.add(time.Hour)
	for i := 0; i < 50; i++ {
		if _, err := v.Verify(context.Background(), tok); err != nil {
			t.Fatalf("login %d with a stale key while the JWKS is down: %v", i, err)
		}
	}
	// Background refreshes: one at a time, then backing off (no clock moves).
	deadline := time.Now().Add(10 * time.Second)
	for s.calls.Load() < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := s.calls.Load(); n < 2 || n > 3 {
		t.Fatalf("50 stale logins made %d fetches, want 1 refresh (plus the first)", n)
	}
}

// TestJWKSUnknownKidRefetchLimited: tokens naming unknown kids refetch at
// most once a minute.
func TestJWKSUnknownKidRefetchLimited(t *testing.T) {
	s := newJWKSServer(t)
	v := NewVerifier(nil, s.URL)
	clk := &fakeClock{t: time.Now()}
	v.jwks.now = clk.now
	if _, err := v.Verify(context.Background(), s.token(t, "k1", nil)); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 100; i++ {
		if _, err := v.Verify(context.Background(), s.token(t, "kid-"+string(rune('a'+i%26)), nil)); !errors.Is(err, ErrInvalidToken) {
			t.Fatalf("unknown kid: %v", err)
		}
	}
	if n := s.calls.Load(); n != 1 {
		t.Fatalf("100 unknown kids within a minute made %d fetches, want 1", n)
	}
	clk.add(61 * time.Second)
	v.Verify(context.Background(), s.token(t, "kid-new", nil))
	if n := s.calls.Load(); n != 2 {
		t.Fatalf("an unknown kid after a minute made %d fetches in all, want 2", n)
	}
}

// TestJWKSIssuerAudience: iss and aud are checked when configured.
func TestJWKSIssuerAudience(t *testing.T) {
	s := newJWKSServer(t)
	v := NewVerifier([]byte("0123456789abcdef0123456789abcdef"), s.URL, WithIssuer("https://shop.example", "livesell"))
	tests := []struct {
		name   string
		claims jwt.MapClaims
		ok     bool
	}{
		{"right iss and aud", jwt.MapClaims{"iss": "https://shop.example", "aud": "livesell"}, true},
		{"aud list", jwt.MapClaims{"iss": "https://shop.example", "aud": []string{"other", "livesell"}}, true},
		{"wrong iss", jwt.MapClaims{"iss": "https://evil.example", "aud": "livesell"}, false},
		{"no iss", jwt.MapClaims{"aud": "livesell"}, false},
		{"wrong aud", jwt.MapClaims{"iss": "https://shop.example", "aud": "other"}, false},
		{"no aud", jwt.MapClaims{"iss": "https://shop.example"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := v.Verify(context.Background(), s.token(t, "k1", tt.claims))
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
		})
	}
	// livesell's own HS256 tokens are not the shop's: unaffected.
	own, _, _ := v.Mint("u1", "", time.Hour)
	if _, err := v.Verify(context.Background(), own); err != nil {
		t.Fatalf("minted token: %v", err)
	}
}
