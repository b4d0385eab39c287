package server

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/livesell/livesell/internal/apierr"
)

// mountOps serves /healthz (the process answers), /readyz (every backend
// answers and the node is not draining) and Prometheus /metrics.
func (s *Server) mountOps(r fiber.Router) {
	r.Get("/healthz", func(c *fiber.Ctx) error {
		return c.JSON(fiber.Map{"status": "ok"})
	})
	r.Get("/readyz", func(c *fiber.Ctx) error {
		select {
		case <-s.draining:
			return apierr.Unavailable("draining", "the node is shutting down").WithRetryAfter(time.Second)
		default:
		}
		ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
		defer cancel()
		s.mu.Lock()
		checks := append([]func(context.Context) error(nil), s.readiness...)
		s.mu.Unlock()
		for _, check := range checks {
			if err := check(ctx); err != nil {
				return apierr.Unavailable("not_ready", "%v", err).WithRetryAfter(time.Second)
			}
		}
		return c.JSON(fiber.Map{"status": "ready", "embedded": s.back.Embedded})
	})
	r.Get("/metrics", adaptor.HTTPHandler(promhttp.HandlerFor(s.metrics, promhttp.HandlerOpts{})))
}

func (s *Server) backendsReady(ctx context.Context) error {
	var errs []error
	if err := s.back.Redis.Ping(ctx).Err(); err != nil {
		errs = append(errs, fmt.Errorf("redis: %w", err))
	}
	if err := s.back.SQL.PingContext(ctx); err != nil {
		errs = append(errs, fmt.Errorf("sql: %w", err))
	}
	if !s.back.NATS.IsConnected() {
		errs = append(errs, errors.New("nats: not connected"))
	}
	return errors.Join(errs...)
}
