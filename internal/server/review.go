package server

import (
	"context"
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/livesell/livesell/commerce/review"
)

// mountReview starts the after-show review (reports, chapters, chat
// replay) on the audience feed interaction publishes to, the cards and the
// orders stream, and mounts its routes. It runs after mountCommerce.
func (s *Server) mountReview(ctx context.Context, r fiber.Router) error {
	cfg := s.cfg.Commerce
	if cfg.ReviewWebhookURL != "" && len(cfg.ReviewWebhookSecret) < 32 {
		return fmt.Errorf("server: review-webhook-secret must be at least 32 bytes when review-webhook-url is set")
	}
	if err := review.Migrate(ctx, s.back.SQL); err != nil {
		return err
	}
	svc := review.New(review.Options{
		Store:         review.NewStore(s.back.SQL),
		NATS:          s.back.NATS,
		JetStream:     s.back.JetStream,
		Namespace:     s.cfg.Store.Namespace,
		Audience:      s.audience,
		After:         cfg.ReviewAfter,
		WebhookURL:    cfg.ReviewWebhookURL,
		WebhookSecret: []byte(cfg.ReviewWebhookSecret),
		Log:           s.log,
	})
	if err := svc.Start(ctx); err != nil {
		return err
	}
	// Chat is kept as long as recordings (recording-retention), then forgotten.
	retCtx, stopRetention := context.WithCancel(context.WithoutCancel(ctx))
	retDone := make(chan struct{})
	go func() { defer close(retDone); svc.RunChatRetention(retCtx, s.cfg.Recording.Retention, time.Hour) }()
	s.addCloser(func(context.Context) error { stopRetention(); <-retDone; svc.Close(); return nil })
	h := &review.HTTP{Service: svc, Auth: s.auth, Rooms: commerceRooms{s.rooms}, Tickets: s.admission}
	h.Mount(r)
	return nil
}
