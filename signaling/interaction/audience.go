package interaction

import (
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/livesell/livesell/internal/auth"
	"github.com/livesell/livesell/internal/events"
	"github.com/livesell/livesell/signaling/interaction/protocol"
)

// maxAudiencePending bounds the audience events waiting for the next flush;
// beyond it (a stalled NATS connection) new events are dropped and counted
// in the log (the subject is lossy by contract).
const maxAudiencePending = 65536

// MaxReferrerBytes bounds the referrer a joining viewer reports.
const MaxReferrerBytes = 256

// audience hands what the audience does to an events.AudienceFeed for the
// after-show report and the games. Nothing is sent on the caller's path:
// events are appended under a mutex and published by the hub's background
// loop every FlushInterval; likes are summed per viewer and sent as one
// event per flush.
type audience struct {
	feed events.AudienceFeed
	key  []byte
	log  *slog.Logger

	mu      sync.Mutex
	pending []events.AudienceEvent
	spare   []events.AudienceEvent
	likes   map[likeKey]int
	dropped int
}

type likeKey struct{ room, viewer, user string }

func newAudience(feed events.AudienceFeed, key []byte, log *slog.Logger) *audience {
	return &audience{feed: feed, key: key, log: log, likes: map[likeKey]int{}}
}

// viewer fills the viewer fields of ev for who in room.
func (a *audience) viewer(ev *events.AudienceEvent, who auth.Identity) {
	ev.Viewer = pseudonym(a.key, ev.Room, who.UserID)
	if !who.Anonymous {
		ev.UserID = who.UserID
	}
}

// add queues ev (At must be set).
func (a *audience) add(ev events.AudienceEvent) {
	a.mu.Lock()
	if len(a.pending) >= maxAudiencePending {
		a.dropped++
	} else {
		a.pending = append(a.pending, ev)
	}
	a.mu.Unlock()
}

// event queues one event of who in room.
func (a *audience) event(room, kind string, who auth.Identity, at time.Time, fill func(*events.AudienceEvent)) {
	if who.Admin || strings.HasPrefix(who.UserID, "anchor:") {
		return // the operator and the anchor are not the audience
	}
	ev := events.AudienceEvent{Room: room, Kind: kind, At: at.UTC()}
	a.viewer(&ev, who)
	if fill != nil {
		fill(&ev)
	}
	a.add(ev)
}

// like adds n likes of who in room to the next flush's batch.
func (a *audience) like(room string, who auth.Identity, n int) {
	if n <= 0 || who.Admin {
		return
	}
	k := likeKey{room: room, viewer: pseudonym(a.key, room, who.UserID)}
	if !who.Anonymous {
		k.user = who.UserID
	}
	a.mu.Lock()
	a.likes[k] += n
	a.mu.Unlock()
}

// flush publishes every queued event and the batched likes, stamped at now.
func (a *audience) flush(now time.Time) {
	a.mu.Lock()
	out := a.pending
	a.pending = a.spare[:0]
	for k, n := range a.likes {
		out = append(out, events.AudienceEvent{Room: k.room, Kind: events.AudienceLike, Viewer: k.viewer, UserID: k.user, Count: n, At: now.UTC()})
		delete(a.likes, k)
	}
	dropped := a.dropped
	a.dropped = 0
	a.mu.Unlock()
	if dropped > 0 {
		a.log.Warn("audience events dropped", "count", dropped)
	}
	if len(out) > 0 {
		a.feed.Publish(out)
	}
	clear(out)
	a.mu.Lock()
	a.spare = out[:0]
	a.mu.Unlock()
}

// CleanReferrer makes what a page reports as its referrer safe to keep:
// valid UTF-8 without control characters, at most MaxReferrerBytes; a URL
// loses its query and fragment (they may carry personal data) unless the
// query names a share link's referral ("ref=…", kept as "ref:…").
func CleanReferrer(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if strings.Contains(s, "://") {
		if i := strings.IndexAny(s, "?#"); i >= 0 {
			s = s[:i]
		}
	}
	var b strings.Builder
	for _, r := range s {
		if r == utf8.RuneError || r < 0x20 || r == 0x7f {
			continue
		}
		if b.Len()+utf8.RuneLen(r) > MaxReferrerBytes {
			break
		}
		b.WriteRune(r)
	}
	return b.String()
}

// The hub's hooks: each queues one audience event (nothing is sent here).

func (a *audience) joined(room string, who auth.Identity, referrer string, now time.Time) {
	a.event(room, events.AudienceJoined, who, now, func(ev *events.AudienceEvent) { ev.Referrer = CleanReferrer(referrer) })
}

func (a *audience) left(room string, who auth.Identity, now time.Time) {
	a.event(room, events.AudienceLeft, who, now, nil)
}

func (a *audience) danmaku(room string, who auth.Identity, d *protocol.Danmaku) {
	a.event(room, events.AudienceDanmaku, who, time.UnixMilli(d.At), func(ev *events.AudienceEvent) {
		ev.Text, ev.MessageID, ev.Name = d.Text, d.ID, d.Name
	})
}

// product queues a click (typ click) or an add-to-cart (typ want: the
// viewer's 想要/add-to-cart button).
func (a *audience) product(room string, who auth.Identity, typ, productID string, now time.Time) {
	kind := events.AudienceClick
	if typ == protocol.TypeWant {
		kind = events.AudienceCart
	}
	a.event(room, kind, who, now, func(ev *events.AudienceEvent) { ev.ProductID = productID })
}

// state queues the room's state change (a show runs from live to ended).
func (a *audience) state(room, state string, now time.Time) {
	a.add(events.AudienceEvent{Room: room, Kind: events.AudienceState, Text: state, At: now.UTC()})
}

func (a *audience) deleted(room, id string, now time.Time) {
	a.add(events.AudienceEvent{Room: room, Kind: events.AudienceDanmakuDeleted, MessageID: id, At: now.UTC()})
}
