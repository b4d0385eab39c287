package interaction

import (
	"context"
	"strconv"
	"time"
)

// backgroundLoop flushes counters, refreshes presence and samples the
// timeline of every running room.
func (h *Hub) backgroundLoop() {
	defer h.wg.Done()
	flush := time.NewTicker(h.opts.FlushInterval)
	defer flush.Stop()
	presence := time.NewTicker(h.opts.PresenceInterval)
	defer presence.Stop()
	timeline := time.NewTicker(h.opts.TimelineInterval)
	defer timeline.Stop()
	for {
		select {
		case <-h.ctx.Done():
			return
		case <-flush.C:
			for _, r := range h.snapshotRooms() {
				h.flushRoom(h.ctx, r)
			}
			h.aud.flush(h.now())
		case <-presence.C:
			for _, r := range h.snapshotRooms() {
				h.writePresence(h.ctx, r.id, r.viewers.Load())
			}
		case <-timeline.C:
			for _, r := range h.snapshotRooms() {
				ctx, cancel := context.WithTimeout(h.ctx, 2*time.Second)
				if err := h.store.sampleTimeline(ctx, r.id, h.node, h.now(), r.online.Load(), h.opts.TimelineInterval, h.opts.TimelineLength); err != nil {
					h.log.Warn("timeline not sampled", "room", r.id, "err", err)
				}
				// Re-read mutes and bans, in case a control event was missed.
				r.loadSanctions(ctx)
				cancel()
			}
		}
	}
}

// flushRoom adds this node's like, danmaku and click deltas to the room's
// counters and, if likes changed, publishes the new total to every node.
func (h *Hub) flushRoom(ctx context.Context, r *Room) {
	likes, danmaku, clicks := r.likesDelta.Swap(0), r.danmakuDelta.Swap(0), r.clicksDelta.Swap(0)
	if likes == 0 && danmaku == 0 && clicks == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	total, err := h.store.addCounters(ctx, r.id, likes, danmaku, clicks)
	if err != nil {
		// Put the deltas back for the next flush.
		r.likesDelta.Add(likes)
		r.danmakuDelta.Add(danmaku)
		r.clicksDelta.Add(clicks)
		h.log.Warn("counters not flushed", "room", r.id, "err", err)
		return
	}
	if likes > 0 {
		r.onLikesTotal(total)
		if err := h.bus.Publish(ctx, Event{Kind: EventLikes, Room: r.id, Likes: total}); err != nil {
			h.log.Warn("like total not published", "room", r.id, "err", err)
		}
	}
}

// writePresence writes this node's count of room and reads the total.
func (h *Hub) writePresence(ctx context.Context, roomID string, count int64) {
	total, peak, err := h.store.presence(ctx, roomID, h.node, strconv.FormatInt(count, 10), h.now(), h.opts.presenceTTL())
	if err != nil {
		if ctx.Err() == nil {
			h.log.Warn("presence not written", "room", roomID, "err", err)
		}
		return
	}
	if r := h.room(roomID); r != nil {
		r.online.Store(total)
		r.peak.Store(peak)
	}
}

// Online returns the room's viewers across nodes and its peak.
func (h *Hub) Online(ctx context.Context, roomID string) (online, peak int64, err error) {
	return h.store.presence(ctx, roomID, h.node, "-", h.now(), h.opts.presenceTTL())
}

// RoomStats returns the room's counters and viewers-over-time series.
func (h *Hub) RoomStats(ctx context.Context, roomID string) (Stats, error) {
	s := Stats{Room: roomID, Timeline: []Sample{}}
	var err error
	if s.Online, s.Peak, err = h.Online(ctx, roomID); err != nil {
		return s, err
	}
	return s, h.store.counters(ctx, &s)
}
