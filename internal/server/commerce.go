package server

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"github.com/livesell/livesell/commerce"
	"github.com/livesell/livesell/internal/config"
)

// mountCommerce mounts live goods, orders, payments and tags. Anchors'
// room endpoints accept the admin token or the room's push key, checked
// against the signaling room store.
func (s *Server) mountCommerce(ctx context.Context, r fiber.Router) error {
	rooms, err := s.roomStore(ctx)
	if err != nil {
		return err
	}
	cfg := s.cfg.Commerce
	c, err := commerce.New(ctx, commerce.Options{
		Backends:      s.back,
		Namespace:     s.cfg.Store.Namespace,
		Config:        cfg,
		AdminToken:    s.secrets.AdminToken,
		Users:         s.users,
		TokenTTL:      s.cfg.Auth.TokenTTL,
		SandboxSecret: s.secrets.SandboxSecret,
		Sandbox:       sandboxOn(cfg),
		Rooms:         rooms,
		PublicURL:     s.cfg.PublicURL,
		Log:           s.log,
	})
	if err != nil {
		return err
	}
	s.addCloser(c.Close)
	c.Mount(r)
	return nil
}

// sandboxOn decides whether the sandbox provider runs. It lets anyone "pay"
// without money, so "auto" turns it on only while no real provider is
// configured.
func sandboxOn(cfg config.CommerceConfig) bool {
	switch cfg.Sandbox {
	case "on":
		return true
	case "off":
		return false
	default:
		return cfg.StripeSecretKey == "" && cfg.WeChatMchID == ""
	}
}
