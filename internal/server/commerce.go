package server

import (
	"context"

	"github.com/gofiber/fiber/v2"
)

// mountCommerce mounts the commerce capability. Not wired yet.
func (s *Server) mountCommerce(ctx context.Context, r fiber.Router) error {
	return nil
}
