package server

import (
	"context"
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/livesell/livesell/commerce/presale"
	presaleapi "github.com/livesell/livesell/commerce/presale/api"
)

// openPasses starts the node's ticket check (auth.Tickets): the presale's
// cached whitelist, dropped by entitlement events on every node. It runs
// before interaction and media are mounted, which check it on every join.
func (s *Server) openPasses(ctx context.Context) (*presale.Passes, error) {
	p, err := presale.NewPasses(ctx, s.back, s.cfg.Store.Namespace, s.log)
	if err != nil {
		return nil, fmt.Errorf("server: presale passes: %w", err)
	}
	s.addCloser(func(context.Context) error { p.Close(); return nil })
	return p, nil
}

// mountPresale mounts paid presale over the commerce capability's orders:
// ticket orders are one more order kind, paid through the same providers.
func (s *Server) mountPresale(ctx context.Context, r fiber.Router) error {
	svc, err := presale.New(ctx, s.back, s.cfg.Store.Namespace, s.commerce.Orders, s.passes, presale.Options{
		TTL: s.cfg.Commerce.OrderTTL, PublicURL: s.cfg.PublicURL, Log: s.log,
		Reminders: presaleReminders{s.reminders},
	})
	if err != nil {
		return fmt.Errorf("server: presale: %w", err)
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{}, 2)
	go func() { svc.Relay().Run(runCtx); done <- struct{}{} }()
	go func() { svc.Maintenance.RunSweeper(runCtx, time.Second); done <- struct{}{} }()
	stopShows, err := svc.Maintenance.ConsumeShows(runCtx, s.back.JetStream, s.cfg.Store.Namespace)
	if err != nil {
		cancel()
		<-done
		<-done
		return fmt.Errorf("server: presale: %w", err)
	}
	s.addCloser(func(context.Context) error {
		stopShows()
		cancel()
		<-done
		<-done
		return nil
	})
	presaleapi.New(svc, s.passes, s.auth).Mount(r)
	return nil
}
