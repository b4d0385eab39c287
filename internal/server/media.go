package server

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/gofiber/fiber/v2"

	"github.com/livesell/livesell/sfu"
	"github.com/livesell/livesell/signaling"
	"github.com/livesell/livesell/signaling/claim"
	"github.com/livesell/livesell/signaling/room"
	"github.com/livesell/livesell/signaling/sfuengine"
)

// roomStore returns the node's one room store over its SQL store, opening it
// (and applying its migrations) on first use: every capability calls this at
// mount time (interaction mounts before media).
func (s *Server) roomStore(ctx context.Context) (*room.Store, error) {
	if s.rooms == nil {
		rooms, err := room.NewStore(ctx, s.back.SQL)
		if err != nil {
			return nil, err
		}
		s.rooms = rooms
	}
	return s.rooms, nil
}

// mountMedia builds the SFU from cfg.Media and mounts WHIP, WHEP and the
// room API. On shutdown the signaling layer ends every session first, then
// the engine closes.
func (s *Server) mountMedia(ctx context.Context, r fiber.Router) error {
	rooms, err := s.roomStore(ctx)
	if err != nil {
		return err
	}
	ecfg, err := sfuengine.Config(s.cfg.Media)
	if err != nil {
		return err
	}
	// The engine reports live changes to the signaling service, which is
	// built after it; no publish can happen before the routes are mounted.
	var svc atomic.Pointer[signaling.Service]
	ecfg.Logger = s.log
	ecfg.Metrics = s.metrics
	ecfg.OnRoomLive = func(room string, live bool) {
		if v := svc.Load(); v != nil {
			v.RoomLive(room, live)
		}
	}
	eng, err := sfu.NewEngine(ecfg)
	if err != nil {
		return fmt.Errorf("media: %w", err)
	}
	s.addCloser(func(context.Context) error { return eng.Close() })

	owners, err := s.roomOwners(&svc)
	if err != nil {
		return err
	}

	service, err := signaling.New(signaling.Options{
		Engine:               sfuengine.New(eng),
		Rooms:                rooms,
		Users:                s.users,
		AdminToken:           s.secrets.AdminToken,
		Events:               s.roomEvents,
		Owners:               owners,
		PublicURL:            s.cfg.PublicURL,
		ICEServers:           s.cfg.Media.ICEServers,
		MaxBodyBytes:         s.cfg.Media.MaxBodyBytes,
		AnonymousChatDefault: s.cfg.Chat.AnonymousChat,
		TokenTTL:             s.cfg.Auth.TokenTTL,
		Logger:               s.log.With("component", "signaling"),
		Metrics:              s.metrics,
	})
	if err != nil {
		return fmt.Errorf("media: %w", err)
	}
	svc.Store(service)
	s.addCloser(service.Close)
	s.addReadiness(service.Ready)
	service.Mount(r)
	return nil
}

// roomOwners records this node's rooms in Redis for the other nodes of a
// cluster (signaling/claim), so that WHEP viewers reaching another node are
// redirected here and a room has one publisher. A node without PublicURL
// cannot be redirected to: it claims nothing and redirects nowhere
// (single-node mode), and the result is nil.
func (s *Server) roomOwners(svc *atomic.Pointer[signaling.Service]) (signaling.RoomOwners, error) {
	if s.cfg.PublicURL == "" {
		s.log.Info("media: no public URL; rooms are not shared with other nodes (single-node mode)")
		return nil, nil
	}
	claims, err := claim.New(claim.Options{
		Redis:     s.back.Redis,
		Namespace: s.cfg.Store.Namespace,
		PublicURL: s.cfg.PublicURL,
		Logger:    s.log.With("component", "claim"),
		OnLost: func(room string) {
			if v := svc.Load(); v != nil {
				v.LostRoom(room)
			}
		},
	})
	if err != nil {
		return nil, fmt.Errorf("media: %w", err)
	}
	// Closers run in reverse: the signaling service (added later) ends its
	// sessions, releasing their claims, before this stops the refresher and
	// deletes any claim left.
	s.addCloser(claims.Close)
	return claims, nil
}
