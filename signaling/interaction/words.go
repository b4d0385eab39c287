package interaction

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/redis/go-redis/v9"
)

// loadWords applies the list stored in Redis (set at runtime through the
// API) or, when there is none, the configured words.
func (h *Hub) loadWords(ctx context.Context, fallback []string) error {
	raw, err := h.opts.Redis.Get(ctx, h.keyWords()).Bytes()
	switch {
	case errors.Is(err, redis.Nil):
		return h.filter.Set(fallback)
	case err != nil:
		return fmt.Errorf("interaction: blocked words: %w", err)
	}
	var words []string
	if err := json.Unmarshal(raw, &words); err != nil {
		return fmt.Errorf("interaction: blocked words in redis: %w", err)
	}
	return h.filter.Set(words)
}

// SetWords replaces the blocked-word list on every node.
func (h *Hub) SetWords(ctx context.Context, words []string) error {
	if err := h.filter.Set(words); err != nil {
		return err
	}
	raw, _ := json.Marshal(h.filter.Words())
	if err := h.opts.Redis.Set(ctx, h.keyWords(), raw, 0).Err(); err != nil {
		return fmt.Errorf("interaction: store blocked words: %w", err)
	}
	if err := h.opts.NATS.Publish(h.subjWords(), raw); err != nil {
		return fmt.Errorf("interaction: announce blocked words: %w", err)
	}
	h.log.Info("blocked words replaced", "count", len(words))
	return nil
}

func (h *Hub) onWords(msg *nats.Msg) {
	var words []string
	if err := json.Unmarshal(msg.Data, &words); err != nil {
		h.log.Warn("malformed blocked-word list on the bus")
		return
	}
	if err := h.filter.Set(words); err != nil {
		h.log.Warn("blocked-word list refused", "err", err)
	}
}
