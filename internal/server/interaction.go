package server

import (
	"context"

	"github.com/gofiber/fiber/v2"
)

// mountInteraction mounts the interaction capability. Not wired yet.
func (s *Server) mountInteraction(ctx context.Context, r fiber.Router) error {
	return nil
}
