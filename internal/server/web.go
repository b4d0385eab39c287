package server

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"github.com/livesell/livesell/web"
)

// mountWeb serves the browser pages: studio, viewer room, dashboard, the
// embeddable player and the landing page.
func (s *Server) mountWeb(ctx context.Context, r fiber.Router) error {
	return web.Mount(r, web.Options{ICEServers: browserICEServers(s.cfg.Media)})
}
