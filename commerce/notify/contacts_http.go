package notify

import (
	"net/mail"

	"github.com/gofiber/fiber/v2"

	"github.com/livesell/livesell/internal/apierr"
)

// contactBody is the JSON of a user's contact.
type contactBody struct {
	UserID       string `json:"user_id,omitempty"`
	Email        string `json:"email"`
	WeChatOpenID string `json:"wechat_openid"`
}

// ParseContact reads the body of PUT /api/users/{id}/contact: a bare
// e-mail address (no display name, at most 254 bytes) and a WeChat openid
// (letters, digits, '-' and '_', at most 128), either may be empty.
func ParseContact(body []byte) (Recipient, error) {
	var b contactBody
	if err := apierr.DecodeJSON(body, &b); err != nil {
		return Recipient{}, err
	}
	if b.UserID != "" {
		return Recipient{}, apierr.E(apierr.CodeInvalidContact, "the user id is in the path, not the body")
	}
	if b.Email != "" {
		a, err := mail.ParseAddress(b.Email)
		if err != nil || a.Address != b.Email || len(b.Email) > 254 {
			return Recipient{}, apierr.E(apierr.CodeInvalidContact, "email must be a bare e-mail address")
		}
	}
	if len(b.WeChatOpenID) > 128 {
		return Recipient{}, apierr.E(apierr.CodeInvalidContact, "wechat_openid is too long")
	}
	for _, r := range b.WeChatOpenID {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return Recipient{}, apierr.E(apierr.CodeInvalidContact, "wechat_openid must be letters, digits, - and _")
		}
	}
	return Recipient{Email: b.Email, WeChatOpenID: b.WeChatOpenID}, nil
}

// Mount serves the shop's backend the contacts API behind admin:
// PUT /api/users/{id}/contact sets how a user is reached (both empty
// deletes it), GET reads it.
func (c *Contacts) Mount(r fiber.Router, admin fiber.Handler) {
	r.Put("/api/users/:id/contact", admin, c.put)
	r.Get("/api/users/:id/contact", admin, c.get)
}

func contactUser(ctx *fiber.Ctx) (string, error) {
	u := ctx.Params("id")
	if u == "" || len(u) > 128 {
		return "", apierr.New(apierr.CodeInvalidUserID)
	}
	return u, nil
}

func (c *Contacts) put(ctx *fiber.Ctx) error {
	user, err := contactUser(ctx)
	if err != nil {
		return err
	}
	r, err := ParseContact(ctx.Body())
	if err != nil {
		return err
	}
	if err := c.Set(ctx.UserContext(), user, r); err != nil {
		return apierr.Internal(err)
	}
	return ctx.JSON(contactBody{UserID: user, Email: r.Email, WeChatOpenID: r.WeChatOpenID})
}

func (c *Contacts) get(ctx *fiber.Ctx) error {
	user, err := contactUser(ctx)
	if err != nil {
		return err
	}
	r, err := c.Lookup(ctx.UserContext(), user)
	if err != nil {
		return apierr.Internal(err)
	}
	return ctx.JSON(contactBody{UserID: user, Email: r.Email, WeChatOpenID: r.WeChatOpenID})
}
