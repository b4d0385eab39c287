// Package auth answers "who is this?" for every request: the operator's
// admin bearer token, and the host shop's users, who arrive with a JWT whose
// `sub` is their user id (HS256 with a shared secret, or RS256/ES256 checked
// against the shop's JWKS). livesell can also mint HS256 user tokens for a
// shop backend that has no issuer of its own.
package auth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Sentinel errors, checked with errors.Is.
var (
	// ErrNoToken means no bearer token was presented.
	ErrNoToken = errors.New("auth: no bearer token")
	// ErrInvalidToken means the token is malformed, expired or badly signed.
	ErrInvalidToken = errors.New("auth: invalid token")
)

// Identity is the person behind a request or a media session.
type Identity struct {
	// UserID is the shop's user id (JWT sub), or a random "anon-…" id.
	UserID string `json:"user_id"`
	// Name is a display name, when the token carries one.
	Name string `json:"name,omitempty"`
	// Anonymous viewers may watch and like but, by default, not comment.
	Anonymous bool `json:"anonymous,omitempty"`
	// Admin is true for the operator's token.
	Admin bool `json:"admin,omitempty"`
	// Rooms, when non-empty, limits a viewer token to these rooms (private rooms).
	Rooms []string `json:"rooms,omitempty"`
}

// CanEnter reports whether a token scoped to rooms admits the public room;
// an unscoped user token admits every public room.
func (id Identity) CanEnter(room string) bool {
	if id.Admin || len(id.Rooms) == 0 {
		return true
	}
	return id.names(room)
}

// Admits reports whether the identity may watch room: any public room its
// scope allows (CanEnter), but a private room only when the token names it
// (a viewer token minted for that room) or it is the operator's.
func (id Identity) Admits(room string, private bool) bool {
	if !private {
		return id.CanEnter(room)
	}
	return id.Admin || id.names(room)
}

func (id Identity) names(room string) bool {
	for _, r := range id.Rooms {
		if r == room {
			return true
		}
	}
	return false
}

// claims is the JWT body livesell reads and writes.
type claims struct {
	Name  string   `json:"name,omitempty"`
	Rooms []string `json:"rooms,omitempty"`
	jwt.RegisteredClaims
}

// Verifier checks user tokens and mints HS256 ones.
type Verifier struct {
	secret   []byte
	jwks     *jwksCache
	issuer   string
	audience string
	parser   *jwt.Parser
}

// VerifierOption configures a Verifier.
type VerifierOption func(*Verifier)

// WithIssuer requires tokens checked against the JWKS to carry iss (when
// not empty) and to name aud in their aud claim (when not empty). Tokens
// livesell mints itself (HS256, iss "livesell") are not affected.
func WithIssuer(iss, aud string) VerifierOption {
	return func(v *Verifier) { v.issuer, v.audience = iss, aud }
}

// NewVerifier verifies HS256 tokens with secret and, when jwksURL is set,
// RS256/ES256 tokens against that key set.
func NewVerifier(secret []byte, jwksURL string, opts ...VerifierOption) *Verifier {
	v := &Verifier{
		secret: secret,
		parser: jwt.NewParser(jwt.WithValidMethods([]string{"HS256", "RS256", "ES256"}), jwt.WithExpirationRequired(), jwt.WithLeeway(30*time.Second)),
	}
	if jwksURL != "" {
		v.jwks = newJWKSCache(jwksURL)
	}
	for _, o := range opts {
		o(v)
	}
	return v
}

// Verify parses and checks token and returns the identity it names. It
// fails with ErrNoToken, ErrInvalidToken, or ErrJWKSUnavailable when the
// token needs a JWKS key that cannot be fetched now (an outage).
func (v *Verifier) Verify(ctx context.Context, token string) (Identity, error) {
	if token == "" {
		return Identity{}, ErrNoToken
	}
	if len(token) > 8<<10 {
		return Identity{}, fmt.Errorf("%w: too long", ErrInvalidToken)
	}
	var c claims
	tk, err := v.parser.ParseWithClaims(token, &c, func(t *jwt.Token) (any, error) {
		switch t.Method.Alg() {
		case "HS256":
			if len(v.secret) == 0 {
				return nil, errors.New("no HS256 secret configured")
			}
			return v.secret, nil
		default:
			if v.jwks == nil {
				return nil, errors.New("no JWKS configured")
			}
			kid, _ := t.Header["kid"].(string)
			return v.jwks.key(ctx, kid)
		}
	})
	if err != nil {
		if errors.Is(err, ErrJWKSUnavailable) {
			return Identity{}, err
		}
		return Identity{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	if tk.Method.Alg() != "HS256" {
		if v.issuer != "" && c.Issuer != v.issuer {
			return Identity{}, fmt.Errorf("%w: iss is not %q", ErrInvalidToken, v.issuer)
		}
		if v.audience != "" && !slices.Contains(c.Audience, v.audience) {
			return Identity{}, fmt.Errorf("%w: aud does not name %q", ErrInvalidToken, v.audience)
		}
	}
	if c.Subject == "" || len(c.Subject) > 128 {
		return Identity{}, fmt.Errorf("%w: sub must be a user id of 1 to 128 characters", ErrInvalidToken)
	}
	return Identity{UserID: c.Subject, Name: c.Name, Rooms: c.Rooms}, nil
}

// Mint returns an HS256 user token for userID valid for ttl, optionally
// limited to rooms.
func (v *Verifier) Mint(userID, name string, ttl time.Duration, rooms ...string) (string, time.Time, error) {
	if len(v.secret) == 0 {
		return "", time.Time{}, errors.New("auth: no HS256 secret configured")
	}
	exp := time.Now().Add(ttl).Truncate(time.Second)
	c := claims{Name: name, Rooms: rooms, RegisteredClaims: jwt.RegisteredClaims{
		Subject:   userID,
		IssuedAt:  jwt.NewNumericDate(time.Now()),
		ExpiresAt: jwt.NewNumericDate(exp),
		Issuer:    "livesell",
	}}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(v.secret)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("auth: sign: %w", err)
	}
	return s, exp, nil
}

// BearerToken extracts the token of an "Authorization: Bearer …" header.
func BearerToken(header string) string {
	const prefix = "bearer "
	if len(header) > len(prefix) && strings.EqualFold(header[:len(prefix)], prefix) {
		return strings.TrimSpace(header[len(prefix):])
	}
	return ""
}

// SecretEqual compares a presented secret with the expected one in constant
// time; an empty expected secret matches nothing.
func SecretEqual(presented, expected string) bool {
	if expected == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(presented), []byte(expected)) == 1
}
