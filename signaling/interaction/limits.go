package interaction

import (
	"time"

	"github.com/livesell/livesell/internal/config"
	"github.com/livesell/livesell/signaling/interaction/moderation"
	"github.com/livesell/livesell/signaling/interaction/protocol"
)

// ipFactor is how many users' worth of traffic one IP address may send
// (users behind one NAT share it).
const ipFactor = 20

// limits are the token buckets of every inbound message kind, per user and
// per IP address.
type limits struct {
	kinds map[string]kindLimits
}

type kindLimits struct {
	user, ip *moderation.Limiter
	perSec   float64
}

func newLimits(c config.ChatConfig) limits {
	mk := func(perSec, burst float64) kindLimits {
		return kindLimits{
			user:   moderation.NewLimiter(moderation.Rate{PerSecond: perSec, Burst: burst}),
			ip:     moderation.NewLimiter(moderation.Rate{PerSecond: perSec * ipFactor, Burst: burst * ipFactor}),
			perSec: perSec,
		}
	}
	danmaku := mk(c.DanmakuPerSecond, max(3, c.DanmakuPerSecond*3))
	likes := mk(c.LikesPerSecond, max(5, c.LikesPerSecond*2))
	action := mk(5, 10)
	control := mk(10, 20)
	other := mk(2, 5)
	return limits{kinds: map[string]kindLimits{
		protocol.TypeDanmaku: danmaku,
		protocol.TypeLike:    likes,
		protocol.TypeClick:   action,
		protocol.TypeWant:    action,
		protocol.TypePin:     control,
		protocol.TypeDelete:  control,
		protocol.TypeMute:    control,
		protocol.TypeBan:     control,
		protocol.TypePing:    other,
		protocol.TypeHello:   other,
		"":                   other, // malformed messages count too
	}}
}

// allow takes one token of kind for user and ip (either may be empty:
// transports pass no address for loopback clients, this host's own reverse
// proxy or load tool, shared by every user behind it).
func (l limits) allow(kind, user, ip string, now time.Time) (bool, float64) {
	k, ok := l.kinds[kind]
	if !ok {
		k = l.kinds[""]
	}
	if user != "" && !k.user.Allow(user, now, 1) {
		return false, k.perSec
	}
	if ip != "" && !k.ip.Allow(ip, now, 1) {
		return false, k.perSec
	}
	return true, k.perSec
}
