package server

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"github.com/livesell/livesell/internal/auth"
)

// drainer is the node's drain, apart from the composer's wiring.
type drainer struct{ *Server }

// drain starts the node's drain and waits for it, or until ctx is done:
// /readyz answers 503 draining from now on (the ingress stops routing
// here), and the media service sends new viewers to other nodes, refuses
// new publishers and moves this node's viewers within drain-timeout
// (signaling.Service.Drain). A node without a public URL has no other
// node to move viewers to: it only fails /readyz. Serve calls it before
// it stops; POST /api/admin/drain on an operator's request.
func (s drainer) drain(ctx context.Context) error {
	s.drainOnce.Do(func() { close(s.draining) })
	if s.media == nil {
		return nil
	}
	window := s.cfg.DrainTimeout
	if s.cfg.PublicURL == "" {
		window = 0
	}
	return s.media.Drain(ctx, window)
}

// started reports whether the node drains (drain was called).
func (s drainer) started() bool {
	select {
	case <-s.draining:
		return true
	default:
		return false
	}
}

// mount serves POST /api/admin/drain (admin token): the node starts
// draining and answers 202 at once; it keeps serving, draining, until it
// is stopped.
func (s drainer) mount(r fiber.Router) {
	r.Post("/api/admin/drain", s.auth.Require(auth.Admin), func(c *fiber.Ctx) error {
		started := !s.started()
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), s.cfg.DrainTimeout+s.cfg.ShutdownGrace)
			defer cancel()
			if err := s.drain(ctx); err != nil {
				s.log.Warn("drain did not finish", "err", err)
			}
		}()
		return c.Status(fiber.StatusAccepted).JSON(fiber.Map{
			"status":          "draining",
			"started":         started,
			"drain_timeout_s": s.cfg.DrainTimeout.Seconds(),
		})
	})
}
