package server

import (
	"context"
	"path/filepath"

	"github.com/gofiber/fiber/v2"

	"github.com/livesell/livesell/commerce"
	"github.com/livesell/livesell/commerce/images"
	"github.com/livesell/livesell/internal/config"
)

// mountCommerce mounts live goods, orders, payments and tags. Anchors'
// room endpoints accept the admin token or the room's push key, checked by
// the node's one Authenticator.
func (s *Server) mountCommerce(ctx context.Context, r fiber.Router) error {
	rooms := s.rooms
	cfg := s.cfg.Commerce
	imgs, err := images.Open(ctx, cfg.ImageStore, filepath.Join(s.cfg.DataDir, "images"), cfg.ImageStoreAccessKey, cfg.ImageStoreSecretKey)
	if err != nil {
		return err
	}
	c, err := commerce.New(ctx, commerce.Options{
		Images:        imgs,
		Backends:      s.back,
		Namespace:     s.cfg.Store.Namespace,
		Config:        cfg,
		AdminToken:    s.secrets.AdminToken,
		Users:         s.users,
		TokenTTL:      s.cfg.Auth.TokenTTL,
		SandboxSecret: s.secrets.SandboxSecret,
		Sandbox:       sandboxOn(cfg),
		Auth:          s.auth,
		Rooms:         commerceRooms{rooms},
		Tickets:       s.admission,
		PublicURL:     s.cfg.PublicURL,
		Risk:          riskHook(cfg), // games.go
		Log:           s.log,
	})
	if err != nil {
		return err
	}
	s.addCloser(c.Close)
	s.commerce = c
	s.paymentSandbox = sandboxOn(cfg) // said in the start-up log and /readyz
	c.Mount(r)
	return s.mountGames(ctx, r, c)
}

// sandboxOn decides whether the sandbox provider runs. It lets anyone "pay"
// without money, so it runs only when the operator asks (payment-sandbox=on).
func sandboxOn(cfg config.CommerceConfig) bool {
	return cfg.Sandbox == "on"
}
