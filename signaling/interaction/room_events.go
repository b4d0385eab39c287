package interaction

import (
	"context"
	"encoding/json"

	"github.com/livesell/livesell/internal/events"
	"github.com/livesell/livesell/signaling/interaction/protocol"
)

// onEvent receives the room's events from the bus (from any node).
func (r *Room) onEvent(ev Event) {
	switch ev.Kind {
	case EventDanmaku:
		r.addDanmaku(&ev.Danmaku)
	case EventLikes:
		r.onLikesTotal(ev.Likes)
	case EventControl:
		r.onControl(ev.Control)
	}
}

func (r *Room) addDanmaku(d *protocol.Danmaku) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.recent.has(d.ID) {
		return
	}
	pub := r.pseudonymLocked(d.User)
	r.pending.add(d, pub)
	r.recent.add(d, pub)
}

// maxPseudonyms bounds a room's cache of its viewers' pseudonyms.
const maxPseudonyms = 4096

// pseudonymLocked is user's pseudonym in the room, from a bounded cache (a
// danmaku of a regular costs no HMAC). Callers hold r.mu.
func (r *Room) pseudonymLocked(user string) string {
	if p, ok := r.pseudonyms[user]; ok {
		return p
	}
	if r.pseudonyms == nil || len(r.pseudonyms) >= maxPseudonyms {
		r.pseudonyms = make(map[string]string)
	}
	p := pseudonym(r.hub.opts.PseudonymKey, r.id, user)
	r.pseudonyms[user] = p
	return p
}

func (r *Room) onLikesTotal(n int64) {
	for {
		cur := r.likesTotal.Load()
		if n <= cur || r.likesTotal.CompareAndSwap(cur, n) {
			return
		}
	}
}

func (r *Room) onControl(c Control) {
	switch c.Op {
	case "delete":
		if !protocol.ValidID(c.MessageID) {
			return
		}
		r.mu.Lock()
		r.pending.remove(c.MessageID)
		r.recent.remove(c.MessageID)
		r.broadcast(protocol.AppendDelete(nil, c.MessageID))
		r.mu.Unlock()
	case "pinned":
		r.mu.Lock()
		r.pinned = protocol.Pinned{Text: c.Text, At: c.At}
		r.broadcast(protocol.AppendPinned(nil, r.pinned))
		r.mu.Unlock()
	case "state":
		switch c.State {
		case StateLive, StatePaused, StateEnded, StateIdle:
		default:
			return
		}
		r.mu.Lock()
		r.state = c.State
		r.broadcast(protocol.AppendState(nil, c.State))
		r.mu.Unlock()
	case "sanction":
		r.applySanction(c)
	case "kick":
		for _, m := range *r.members.Load() {
			if m.who.UserID == c.UserID && !m.anchor && !m.who.Admin {
				m.closeWith(protocol.CodeBanned, "you are banned from this room")
			}
		}
	}
}

// loadCard reads the room's current card from the cards stream.
func (r *Room) loadCard(ctx context.Context) {
	data, err := r.hub.feed.lastCard(ctx, r.id)
	if err != nil {
		r.hub.log.Warn("current card not read", "room", r.id, "err", err)
		return
	}
	if data != nil {
		r.setCard(data, false)
	}
}

// setCard keeps a newer card and, when broadcast, sends it to every member.
func (r *Room) setCard(data []byte, broadcast bool) {
	var c events.ProductCard
	if err := json.Unmarshal(data, &c); err != nil || (c.Room != "" && c.Room != r.id) {
		r.hub.log.Warn("malformed product card", "room", r.id)
		return
	}
	c.Room = r.id
	clean, _ := json.Marshal(c)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.card != nil && c.Version <= r.cardVer {
		return
	}
	r.card, r.cardVer, r.cardOn = clean, c.Version, c.Shown
	if broadcast {
		r.broadcast(protocol.AppendCard(nil, clean))
	}
}

// loadRecent reads the room's last danmaku from the bus.
func (r *Room) loadRecent(ctx context.Context) {
	h := r.hub
	msgs, err := h.bus.Recent(ctx, r.id)
	if err != nil {
		h.log.Warn("recent danmaku not read", "room", r.id, "err", err)
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	// Messages that arrived live meanwhile are newer: rebuild in order.
	live := r.recent
	r.recent = newRing(h.opts.Chat.RecentDanmaku)
	for i := range msgs {
		r.recent.add(&msgs[i], r.pseudonymLocked(msgs[i].User))
	}
	live.each(func(s *slot) {
		if !r.recent.has(s.id) {
			var d protocol.Danmaku
			if json.Unmarshal(s.data, &d) == nil {
				r.recent.add(&d, r.pseudonymLocked(d.User))
			}
		}
	})
}
