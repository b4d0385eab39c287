package server

import (
	"context"

	"github.com/gofiber/fiber/v2"
)

// mountWeb mounts the web capability. Not wired yet.
func (s *Server) mountWeb(ctx context.Context, r fiber.Router) error {
	return nil
}
