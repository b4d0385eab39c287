package server

import (
	"context"
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/livesell/livesell/commerce"
	"github.com/livesell/livesell/commerce/marketing/draw"
	"github.com/livesell/livesell/commerce/marketing/gift"
	"github.com/livesell/livesell/commerce/marketing/guard"
	"github.com/livesell/livesell/commerce/marketing/notice"
	"github.com/livesell/livesell/commerce/marketing/redpacket"
	"github.com/livesell/livesell/commerce/marketing/risk"
	"github.com/livesell/livesell/commerce/marketing/wallet"
	"github.com/livesell/livesell/internal/apierr"
	"github.com/livesell/livesell/internal/auth"
	"github.com/livesell/livesell/internal/config"
	"github.com/livesell/livesell/signaling/room"
)

// mountGames mounts the live marketing games — lucky draws, red packets,
// gifts and the wallet — over commerce c: their migrations, the shared
// guard (rate limits, audit, the shop's risk hook), the room-notice
// publisher, the background loops (draws closing, packets opening and
// ending, paid gift orders delivered, audience events entering draws) and
// the routes.
func (s *Server) mountGames(ctx context.Context, r fiber.Router, c *commerce.Commerce) error {
	b := s.back
	ns := s.cfg.Store.Namespace
	for _, migrate := range []func(context.Context) error{
		func(ctx context.Context) error { return guard.Migrate(ctx, b.SQL) },
		func(ctx context.Context) error { return wallet.Migrate(ctx, b.SQL) },
		func(ctx context.Context) error { return redpacket.Migrate(ctx, b.SQL) },
		func(ctx context.Context) error { return draw.Migrate(ctx, b.SQL) },
		func(ctx context.Context) error { return gift.Migrate(ctx, b.SQL) },
	} {
		if err := migrate(ctx); err != nil {
			return err
		}
	}
	pub, err := notice.New(ctx, b.JetStream, ns)
	if err != nil {
		return err
	}
	notices := guard.NewNotices(pub)
	log := s.log.With("component", "games")
	g := &guard.Guard{Limiter: guard.NewLimiter(b.Redis, ns), Audit: guard.NewAudit(b.SQL), Log: log,
		Risk: &guard.Risk{Hook: riskHook(s.cfg.Commerce), Log: log}}
	w := wallet.NewStore(b.SQL)
	rooms := gameRooms{s.rooms}

	packets := redpacket.New(b.Redis, ns, b.SQL, w, log)
	if c.Coupons != nil {
		packets.UseCoupons(c.Coupons)
	}
	draws := draw.New(draw.Deps{Redis: b.Redis, Namespace: ns, SQL: b.SQL, Notices: notices, Risk: g.Risk, Accounts: g.Audit,
		Points: w, Prizes: draw.OrderPrizes{Orders: c.Orders, Coupons: c.Coupons}, Tags: c.Tags, Tickets: s.admission, Log: log})
	gifts := gift.New(b.SQL, c.Orders, w, notices, log)
	if c.Coupons != nil {
		gifts.UseCoupons(c.Coupons)
	}

	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{}, 2)
	kick := make(chan struct{}, 1)
	go func() {
		defer func() { done <- struct{}{} }()
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-runCtx.Done():
				return
			case <-t.C:
			case <-kick:
			}
			if err := packets.Tick(runCtx, notices); err != nil && runCtx.Err() == nil {
				log.Warn("red packet tick", "err", err)
			}
		}
	}()
	go func() { defer func() { done <- struct{}{} }(); draws.Run(runCtx, 250*time.Millisecond) }()
	aud := draw.NewAudience(draws)
	stopAud, err := aud.Start(runCtx, s.audience)
	if err != nil {
		cancel()
		return err
	}
	stopGifts, err := gifts.Consume(runCtx, b.JetStream, ns)
	if err != nil {
		cancel()
		stopAud()
		return err
	}
	s.addCloser(func(ctx context.Context) error {
		cancel()
		stopAud()
		stopGifts()
		for i := 0; i < 2; i++ {
			select {
			case <-done:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	})

	(&draw.Handler{S: draws, Auth: s.auth, Guard: g, Rooms: rooms, Opened: aud.Forget}).Mount(r)
	(&redpacket.Handler{S: packets, Auth: s.auth, Guard: g, Rooms: rooms, Kick: func() {
		select {
		case kick <- struct{}{}:
		default:
		}
	}}).Mount(r)
	(&gift.Handler{S: gifts, Wallet: w, Auth: s.auth, Guard: g, Rooms: rooms}).Mount(r)
	r.Get("/api/games/audit", g.Trail(s.auth))
	r.Put("/api/games/accounts/:user", g.SetAccount(s.auth))
	r.Get("/api/rooms/:room/games/stats", gameStats(s.auth, rooms, draws, packets, gifts))
	return nil
}

// riskHook is the shop's risk webhook (risk-hook-url), asked by coupon
// claims and by draws (winners, claims); nil when none is set.
func riskHook(cfg config.CommerceConfig) risk.Hook {
	if cfg.RiskHookURL == "" {
		return nil
	}
	return &risk.Webhook{URL: cfg.RiskHookURL, Secret: cfg.RiskHookSecret}
}

// gameRooms tells the games which rooms exist.
type gameRooms struct{ rooms *room.Store }

func (r gameRooms) Exists(ctx context.Context, id string) (bool, error) {
	_, err := r.rooms.Get(ctx, id)
	if errors.Is(err, room.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// gameStats serves the per-tool analytics of a room (anchor): draw entries
// and winners, red-packet totals, gift revenue.
func gameStats(a guard.Auth, rooms gameRooms, draws *draw.Service, packets *redpacket.Service, gifts *gift.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id := c.Params("room")
		if _, err := a.Request(c, auth.Admin|auth.PushKey, id); err != nil {
			return err
		}
		ctx := c.UserContext()
		if ok, err := rooms.Exists(ctx, id); err != nil {
			return apierr.Internal(err)
		} else if !ok {
			return apierr.E(apierr.CodeRoomNotFound, "no room %q", id)
		}
		ds, err := draws.Store().Stats(ctx, id)
		if err != nil {
			return apierr.Internal(err)
		}
		ps, err := packets.Totals(ctx, id)
		if err != nil {
			return apierr.Internal(err)
		}
		_, revenue, err := gifts.Store().Ledger(ctx, id, time.Time{}, 1)
		if err != nil {
			return apierr.Internal(err)
		}
		return c.JSON(fiber.Map{"draws": ds, "redpackets": ps, "gifts": fiber.Map{"revenue_minor": revenue}})
	}
}
