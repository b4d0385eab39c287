package server

import (
	"context"

	"github.com/gofiber/fiber/v2"
)

// mountMedia mounts the media capability. Not wired yet.
func (s *Server) mountMedia(ctx context.Context, r fiber.Router) error {
	return nil
}
