package server

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"github.com/livesell/livesell/commerce"
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
		// The sandbox lets anyone "pay" without money: it is on only
		// while no real provider is configured.
		Sandbox:   cfg.StripeSecretKey == "" && cfg.WeChatMchID == "",
		Rooms:     rooms,
		PublicURL: s.cfg.PublicURL,
		Log:       s.log,
	})
	if err != nil {
		return err
	}
	s.addCloser(c.Close)
	c.Mount(r)
	return nil
}
