package auth

import (
	"crypto/rand"
	"encoding/hex"
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/livesell/livesell/internal/apierr"
)

const identityKey = "livesell.identity"

// RequireAdmin is Fiber middleware that admits only the admin bearer token.
func RequireAdmin(adminToken string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		tok := BearerToken(c.Get(fiber.HeaderAuthorization))
		if tok == "" {
			return apierr.Unauthorized("missing_token", "an admin bearer token is required")
		}
		if !SecretEqual(tok, adminToken) {
			return apierr.Forbidden("bad_token", "the admin token is not valid")
		}
		c.Locals(identityKey, Identity{UserID: "admin", Admin: true})
		return c.Next()
	}
}

// RequireUser is Fiber middleware that admits a valid user JWT (or the admin
// token, acting as the operator) and stores its Identity for IdentityOf.
func RequireUser(v *Verifier, adminToken string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := Authenticate(c, v, adminToken)
		if err != nil {
			return err
		}
		c.Locals(identityKey, id)
		return c.Next()
	}
}

// Authenticate reads the bearer token of c: the admin token, or a user JWT.
// It returns an *apierr.Error (401) when there is none or it is invalid.
func Authenticate(c *fiber.Ctx, v *Verifier, adminToken string) (Identity, error) {
	tok := BearerToken(c.Get(fiber.HeaderAuthorization))
	if tok == "" {
		return Identity{}, apierr.Unauthorized("missing_token", "a bearer token is required")
	}
	if SecretEqual(tok, adminToken) {
		return Identity{UserID: "admin", Admin: true}, nil
	}
	id, err := v.Verify(c.UserContext(), tok)
	if err != nil {
		if errors.Is(err, ErrNoToken) {
			return Identity{}, apierr.Unauthorized("missing_token", "a bearer token is required")
		}
		return Identity{}, apierr.Unauthorized("bad_token", "the token is not valid").WithCause(err)
	}
	return id, nil
}

// IdentityOf returns the identity stored by RequireUser or RequireAdmin.
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
