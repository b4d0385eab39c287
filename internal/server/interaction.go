package server

import (
	"context"
	"fmt"

	"github.com/gofiber/fiber/v2"

	"github.com/livesell/livesell/signaling/interaction"
	"github.com/livesell/livesell/signaling"
)

var _ signaling.RoomEvents = (*interaction.Hub)(nil)

// mountInteraction starts the node's interaction hub (danmaku, likes,
// cards, ticker, online counts over data channels and WebSockets), hands
// it to the media layer as its RoomEvents, and mounts its routes. It runs
// before mountMedia.
func (s *Server) mountInteraction(ctx context.Context, r fiber.Router) error {
	rooms, err := s.roomStore(ctx)
	if err != nil {
		return fmt.Errorf("interaction: %w", err)
	}
	words, err := interaction.LoadWordsFile(s.cfg.Chat.BlockedWordsFile)
	if err != nil {
		return err
	}
	hub, err := interaction.New(ctx, interaction.Options{
		Namespace:  s.cfg.Store.Namespace,
		Chat:       s.cfg.Chat,
		Redis:      s.back.Redis,
		NATS:       s.back.NATS,
		JetStream:  s.back.JetStream,
		Rooms:      rooms,
		PushKeys:   rooms,
		Users:      s.users,
		AdminToken: s.secrets.AdminToken,
		Log:        s.log,
		Metrics:    s.metrics,
	}, words)
	if err != nil {
		return err
	}
	s.addCloser(hub.Close)
	s.roomEvents = hub
	hub.Mount(r, s.cfg.CORSOrigins)
	return nil
}
