package interaction

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/livesell/livesell/internal/auth"
	"github.com/livesell/livesell/internal/config"
	"github.com/livesell/livesell/internal/events"
)

// Room states as interaction stores and broadcasts them.
const (
	StateIdle   = "idle"
	StateLive   = "live"
	StatePaused = "paused"
	StateEnded  = "ended"
)

// RoomInfo is what interaction needs of a room record.
type RoomInfo struct {
	// State is the record's state (idle, live, paused, ended).
	State string
	// Private rooms admit only tokens that name them.
	Private bool
	// AnonymousChat lets viewers without a user token comment.
	AnonymousChat bool
}

// ErrUnknownRoom is what a Rooms returns (wrapped or not) for a room that
// does not exist.
var ErrUnknownRoom = errors.New("interaction: no such room")

// Rooms reads room records; the composer wires the signaling room store.
type Rooms interface {
	RoomInfo(ctx context.Context, id string) (RoomInfo, error)
}

// Credentials checks a credential presented for a room: the admin token,
// the room's push key or a user token. It is written once, in
// internal/auth (*auth.Authenticator), and wired by the composer;
// interaction never checks a credential itself. Its errors are catalogue
// errors and are what the client is answered.
type Credentials interface {
	Check(ctx context.Context, cred auth.Credential, accept auth.Accept) (auth.Principal, error)
}

// Options configure a Hub.
type Options struct {
	// Namespace prefixes every Redis key, NATS subject and stream.
	Namespace string
	Chat      config.ChatConfig
	Redis     redis.UniversalClient
	// NATS and JetStream carry commerce's cards and paid orders and the
	// viewers' activity; they are not on a danmaku's path unless Bus is a
	// NATSBus.
	NATS      *nats.Conn
	JetStream jetstream.JetStream
	// Bus carries room events between nodes (nil: a LocalBus, one node).
	Bus Bus
	// Audience receives what viewers do, for the after-show report and
	// the games (nil: an in-process events.LocalAudience nobody reads).
	Audience events.AudienceFeed
	// Rooms, when nil, admits every well-formed room id with
	// Chat.AnonymousChat as its anonymous-chat setting.
	Rooms Rooms
	// Credentials checks tokens and push keys (required).
	Credentials Credentials
	// PseudonymKey keys the per-room pseudonymous user ids viewers see
	// (HMAC); every node of a cluster needs the same key. Empty: a random
	// key (one node: pseudonyms are stable while the process runs).
	PseudonymKey []byte
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	Log *slog.Logger
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
	if o.Audience == nil {
		o.Audience = events.NewLocalAudience()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if len(o.PseudonymKey) == 0 {
		o.PseudonymKey = []byte(auth.RandomSecret(32))
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
