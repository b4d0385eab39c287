package auth

import (
	"crypto/rand"
	"encoding/hex"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/livesell/livesell/internal/apierr"
)

const (
	identityKey  = "livesell.identity"
	principalKey = "livesell.principal"
)

// Query parameters that have carried credentials; a push key or the admin
// token in any query parameter is refused (query strings end up in proxy
// and access logs).
var credentialParams = []string{"token", "key", "push_key", "access_token", "admin_token"}

// Request checks the credential of c against accept: the bearer token of
// the Authorization header (or, with PlaybackGrant, a grant in ?grant= for
// players that cannot send one), for room (the room a push key must
// belong to; "" for none), from ClientAddr(c). A push key or the admin token
// found in the query string is refused with credential_in_query.
func (a *Authenticator) Request(c *fiber.Ctx, accept Accept, room string) (Principal, error) {
	if err := a.refuseQueryCredentials(c); err != nil {
		return Principal{}, err
	}
	tok := BearerToken(c.Get(fiber.HeaderAuthorization))
	cred := Credential{Token: tok, Room: room, Addr: ClientAddr(c)}
	if tok == "" && accept&PlaybackGrant != 0 {
		cred.Grant, cred.Path = c.Query("grant"), c.Path()
	}
	p, err := a.Check(c.UserContext(), cred, accept)
	if err != nil {
		return Principal{}, err
	}
	c.Locals(principalKey, p)
	c.Locals(identityKey, p.Identity)
	return p, nil
}

// Require is Fiber middleware admitting the credential kinds in accept for
// the room in the path (parameter "room", when the route has one); the
// handler reads the result with PrincipalOf or IdentityOf.
func (a *Authenticator) Require(accept Accept) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if _, err := a.Request(c, accept, c.Params("room")); err != nil {
			return err
		}
		return c.Next()
	}
}

func (a *Authenticator) refuseQueryCredentials(c *fiber.Ctx) error {
	for _, name := range credentialParams {
		v := c.Query(name)
		if v == "" {
			continue
		}
		if strings.HasPrefix(v, PushKeyPrefix) || a.IsAdminToken(v) {
			return apierr.E(apierr.CodeCredentialInQuery, "a push key or the admin token was sent in the URL (?%s=); send it as Authorization: Bearer …, and treat this key as leaked", name)
		}
		if looksLikeJWT(v) {
			return apierr.E(apierr.CodeCredentialInQuery, "a user token was sent in the URL (?%s=); send it as Authorization: Bearer … (a redirect to another node carries a grant of its own)", name)
		}
	}
	return nil
}

// looksLikeJWT reports whether v has a JWT's shape (three base64url parts),
// without verifying it: a user token in a URL is refused, valid or not.
func looksLikeJWT(v string) bool {
	if strings.Count(v, ".") != 2 || len(v) < 20 {
		return false
	}
	for _, r := range v {
		if !(r == '.' || r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// PrincipalOf returns the principal stored by Request or Require.
func PrincipalOf(c *fiber.Ctx) (Principal, bool) {
	p, ok := c.Locals(principalKey).(Principal)
	return p, ok
}

// IdentityOf returns the identity stored by Request or Require.
func IdentityOf(c *fiber.Ctx) (Identity, bool) {
	id, ok := c.Locals(identityKey).(Identity)
	return id, ok
}

// Anonymous returns a fresh anonymous identity.
func Anonymous() Identity {
	var b [8]byte
	rand.Read(b[:])
	return Identity{UserID: "anon-" + hex.EncodeToString(b[:]), Anonymous: true}
}

// RandomSecret returns n random bytes, hex-encoded (for push keys, admin
// tokens and generated secrets).
func RandomSecret(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
