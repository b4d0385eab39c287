package server

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"github.com/livesell/livesell/web"
)

// mountWeb serves the browser pages: studio, viewer room, dashboard, the
// embeddable player and the landing page.
func (s *Server) mountWeb(ctx context.Context, r fiber.Router) error {
	return web.Mount(r, web.Options{ICEServers: browserICEServers(s.cfg.Media), Room: s.shareInfo, SignInURL: s.cfg.SignInURL})
}

// shareInfo is what a shared /live link shows of a room: title and state
// of public rooms only.
func (s *Server) shareInfo(ctx context.Context, id string) (web.RoomInfo, bool) {
	r, err := s.rooms.Get(ctx, id)
	if err != nil || r.Private {
		return web.RoomInfo{}, false
	}
	return web.RoomInfo{Title: r.Title, State: string(r.State)}, true
}
