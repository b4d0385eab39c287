package server

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"

	"github.com/gofiber/fiber/v2"

	"github.com/livesell/livesell/internal/config"
	"github.com/livesell/livesell/internal/events"
	"github.com/livesell/livesell/signaling"
	"github.com/livesell/livesell/signaling/interaction"
	"github.com/livesell/livesell/signaling/interaction/datachannel"
	"github.com/livesell/livesell/signaling/room"
)

// mountInteraction starts the node's interaction hub (danmaku, likes,
// cards, ticker, online counts over data channels and WebSockets), hands
// it and its data-channel adapter to the media layer as its RoomEvents,
// and mounts its routes. It runs before mountMedia.
//
// With the embedded NATS the node is alone: room events go through an
// in-process bus (a danmaku crosses no network hop). With a real NATS,
// nodes share rooms over it.
func (s *Server) mountInteraction(ctx context.Context, r fiber.Router) (signaling.RoomEvents, error) {
	rooms := s.rooms
	words, err := interaction.LoadWordsFile(s.cfg.Chat.BlockedWordsFile)
	if err != nil {
		return nil, err
	}
	var bus interaction.Bus // nil: in-process
	s.audience = events.NewLocalAudience()
	if !slices.Contains(s.back.Embedded, "nats") {
		s.audience = events.NewNATSAudience(s.back.NATS, s.cfg.Store.Namespace, s.log)
		keep := s.cfg.Chat.RecentDanmaku
		if keep <= 0 {
			keep = config.Default().Chat.RecentDanmaku
		}
		if bus, err = interaction.NewNATSBus(ctx, s.back.NATS, s.back.JetStream, s.cfg.Store.Namespace, keep, s.log); err != nil {
			return nil, err
		}
	}
	hub, err := interaction.New(ctx, interaction.Options{
		Namespace:    s.cfg.Store.Namespace,
		Chat:         s.cfg.Chat,
		Redis:        s.back.Redis,
		NATS:         s.back.NATS,
		JetStream:    s.back.JetStream,
		Bus:          bus,
		Audience:     s.audience,
		Rooms:        roomInfo{rooms},
		Credentials:  s.auth,
		PseudonymKey: pseudonymKey(s.secrets.JWTSecret),
		Log:          s.log,
		Metrics:      s.metrics,
	}, words)
	if err != nil {
		return nil, err
	}
	s.addCloser(hub.Close)
	dc := datachannel.New(hub, s.log)
	s.addCloser(dc.Close) // closers run in reverse: no join starts once the hub closes
	hub.Mount(r, s.cfg.CORSOrigins)
	return roomEvents{Hub: hub, Attacher: dc}, nil
}

// roomEvents is what the media layer tells interaction: presence and room
// state to the hub, data channels to their adapter.
type roomEvents struct {
	*interaction.Hub
	*datachannel.Attacher
}

var _ signaling.RoomEvents = roomEvents{}

// roomInfo gives interaction the room record it needs.
type roomInfo struct{ rooms *room.Store }

func (ri roomInfo) RoomInfo(ctx context.Context, id string) (interaction.RoomInfo, error) {
	rm, err := ri.rooms.Get(ctx, id)
	if errors.Is(err, room.ErrNotFound) {
		return interaction.RoomInfo{}, fmt.Errorf("%w: %w", interaction.ErrUnknownRoom, err)
	}
	if err != nil {
		return interaction.RoomInfo{}, err
	}
	return interaction.RoomInfo{State: string(rm.State), Private: rm.Private, AnonymousChat: rm.AnonymousChat}, nil
}

// pseudonymKey derives the key of viewers' per-room pseudonymous user ids
// from the JWT secret, which every node of a cluster shares.
func pseudonymKey(jwtSecret string) []byte {
	mac := hmac.New(sha256.New, []byte(jwtSecret))
	mac.Write([]byte("livesell interaction pseudonyms v1"))
	return mac.Sum(nil)
}
