package interaction

import (
	"context"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/livesell/livesell/internal/auth"
	"github.com/livesell/livesell/internal/config"
	"github.com/livesell/livesell/signaling/room"
)

// Rooms reads rooms (the signaling room store).
type Rooms interface {
	Get(ctx context.Context, id string) (room.Room, error)
}

// PushKeys verifies an anchor's push key (the signaling room store).
type PushKeys interface {
	VerifyPushKey(ctx context.Context, roomID, key string) (room.Key, error)
}

// Users verifies user tokens (auth.Verifier).
type Users interface {
	Verify(ctx context.Context, token string) (auth.Identity, error)
}

// Options configure a Hub.
type Options struct {
	// Namespace prefixes every Redis key, NATS subject and stream.
	Namespace string
	Chat      config.ChatConfig
	Redis     redis.UniversalClient
	NATS      *nats.Conn
	JetStream jetstream.JetStream
	// Rooms, when nil, admits every well-formed room id with
	// Chat.AnonymousChat as its anonymous-chat setting.
	Rooms Rooms
	// PushKeys, when nil, lets only the admin token moderate over HTTP and
	// WebSocket (anchors still moderate over their WHIP data channel).
	PushKeys PushKeys
	// Users verifies viewer tokens.
	Users Users
	// AdminToken is the operator's bearer token.
	AdminToken string
	Log        *slog.Logger
	// Metrics, when set, receives the hub's Prometheus series.
	Metrics prometheus.Registerer

	// PresenceInterval is how often this node writes its online counts
	// and reads the rooms' totals (default 1s); counts of a node that
	// stops refreshing expire after 5 intervals (at least 5s).
	PresenceInterval time.Duration
	// FlushInterval is how often likes and counters are flushed to Redis
	// and like totals published (default 250ms).
	FlushInterval time.Duration
	// TimelineInterval is the viewers-over-time sampling period (default 10s).
	TimelineInterval time.Duration
	// TimelineLength bounds the samples kept per room (default 8640 = 24h at 10s).
	TimelineLength int
}

func (o *Options) defaults() {
	if o.Namespace == "" {
		o.Namespace = "livesell"
	}
	d := config.Default().Chat
	if o.Chat.BatchInterval <= 0 {
		o.Chat.BatchInterval = d.BatchInterval
	}
	if o.Chat.MaxDanmakuRunes <= 0 {
		o.Chat.MaxDanmakuRunes = d.MaxDanmakuRunes
	}
	if o.Chat.DanmakuPerSecond <= 0 {
		o.Chat.DanmakuPerSecond = d.DanmakuPerSecond
	}
	if o.Chat.LikesPerSecond <= 0 {
		o.Chat.LikesPerSecond = d.LikesPerSecond
	}
	if o.Chat.RecentDanmaku <= 0 {
		o.Chat.RecentDanmaku = d.RecentDanmaku
	}
	if o.Chat.ViewerQueueLength <= 0 {
		o.Chat.ViewerQueueLength = d.ViewerQueueLength
	}
	if o.PresenceInterval <= 0 {
		o.PresenceInterval = time.Second
	}
	if o.FlushInterval <= 0 {
		o.FlushInterval = 250 * time.Millisecond
	}
	if o.TimelineInterval <= 0 {
		o.TimelineInterval = 10 * time.Second
	}
	if o.TimelineLength <= 0 {
		o.TimelineLength = 8640
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
}

func (o *Options) presenceTTL() time.Duration {
	ttl := 5 * o.PresenceInterval
	if ttl < 5*time.Second {
		ttl = 5 * time.Second
	}
	return ttl
}
