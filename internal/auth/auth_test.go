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
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestMintAndVerify(t *testing.T) {
	v := NewVerifier([]byte("secret-1"), "")
	tok, exp, err := v.Mint("u42", "Ann", time.Hour, "room-a")
	if err != nil {
		t.Fatal(err)
	}
	if time.Until(exp) < 59*time.Minute {
		t.Fatalf("expiry %v too soon", exp)
	}
	id, err := v.Verify(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	if id.UserID != "u42" || id.Name != "Ann" || !id.CanEnter("room-a") || id.CanEnter("room-b") {
		t.Fatalf("identity = %+v", id)
	}
}

func TestAdmits(t *testing.T) {
	tests := []struct {
		name    string
		id      Identity
		room    string
		private bool
		want    bool
	}{
		{"unscoped user, public room", Identity{UserID: "u"}, "r1", false, true},
		{"unscoped user, private room", Identity{UserID: "u"}, "r1", true, false},
		{"scoped user, its private room", Identity{UserID: "u", Rooms: []string{"r1"}}, "r1", true, true},
		{"scoped user, other public room", Identity{UserID: "u", Rooms: []string{"r1"}}, "r2", false, false},
		{"admin, private room", Identity{UserID: "admin", Admin: true}, "r9", true, true},
		{"anonymous, private room", Identity{UserID: "anon-1", Anonymous: true}, "r1", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.id.Admits(tt.room, tt.private); got != tt.want {
				t.Fatalf("Admits(%q, %v) = %v, want %v", tt.room, tt.private, got, tt.want)
			}
		})
	}
}

func TestVerifyRejects(t *testing.T) {
	v := NewVerifier([]byte("secret-1"), "")
	other := NewVerifier([]byte("secret-2"), "")
	forged, _, _ := other.Mint("u1", "", time.Hour)
	expired, _, _ := v.Mint("u1", "", -time.Hour)
	noSub, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"exp": time.Now().Add(time.Hour).Unix()}).SignedString([]byte("secret-1"))
	noExp, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "u1"}).SignedString([]byte("secret-1"))
	none := "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1MSJ9."
	tests := []struct {
		name, token string
		want        error
	}{
		{"empty", "", ErrNoToken},
		{"garbage", "not.a.jwt", ErrInvalidToken},
		{"other secret", forged, ErrInvalidToken},
		{"expired", expired, ErrInvalidToken},
		{"no subject", noSub, ErrInvalidToken},
		{"no expiry", noExp, ErrInvalidToken},
		{"alg none", none, ErrInvalidToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := v.Verify(context.Background(), tt.token); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestVerifyJWKS(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	enc := func(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
	jwks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{
			"kid": "k1", "kty": "EC", "crv": "P-256",
			"x": enc(key.PublicKey.X.FillBytes(make([]byte, 32))),
			"y": enc(key.PublicKey.Y.FillBytes(make([]byte, 32))),
		}}})
	}))
	defer jwks.Close()
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{"sub": "shop-user-7", "exp": time.Now().Add(time.Hour).Unix()})
	tok.Header["kid"] = "k1"
	signed, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	v := NewVerifier(nil, jwks.URL)
	id, err := v.Verify(context.Background(), signed)
	if err != nil || id.UserID != "shop-user-7" {
		t.Fatalf("verify = %+v, %v", id, err)
	}
	tok.Header["kid"] = "unknown"
	unknown, _ := tok.SignedString(key)
	if _, err := v.Verify(context.Background(), unknown); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("unknown kid: err = %v", err)
	}
}

func TestBearerAndSecrets(t *testing.T) {
	for header, want := range map[string]string{"Bearer abc": "abc", "bearer  abc ": "abc", "Basic abc": "", "Bearer": "", "": ""} {
		if got := BearerToken(header); got != want {
			t.Errorf("BearerToken(%q) = %q, want %q", header, got, want)
		}
	}
	if SecretEqual("x", "") || !SecretEqual("s3", "s3") || SecretEqual("s3", "s4") {
		t.Fatal("SecretEqual wrong")
	}
}

func FuzzVerify(f *testing.F) {
	v := NewVerifier([]byte("secret"), "")
	good, _, _ := v.Mint("u", "", time.Hour)
	f.Add(good)
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, token string) {
		id, err := v.Verify(context.Background(), token)
		if err == nil && id.UserID == "" {
			t.Fatal("accepted a token without a user id")
		}
	})
}
