package interaction

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// presenceScript writes this node's count of a room (field node = "count
// expiry-ms"; 0 removes it), sums the fields that have not expired,
// removes those that have (a crashed node's count disappears after its
// TTL) and keeps the peak. With count "-" it only reads.
//
// KEYS: online hash, meta hash. ARGV: node, count|-, now ms, ttl ms.
var presenceScript = redis.NewScript(`
local now = tonumber(ARGV[3])
if ARGV[2] ~= '-' then
  local c = tonumber(ARGV[2])
  if c > 0 then
    redis.call('HSET', KEYS[1], ARGV[1], c .. ' ' .. (now + tonumber(ARGV[4])))
  else
    redis.call('HDEL', KEYS[1], ARGV[1])
  end
end
local all = redis.call('HGETALL', KEYS[1])
local total = 0
for i = 1, #all, 2 do
  local v = all[i + 1]
  local sp = string.find(v, ' ', 1, true)
  local c = tonumber(string.sub(v, 1, sp - 1)) or 0
  local exp = tonumber(string.sub(v, sp + 1)) or 0
  if exp < now then
    redis.call('HDEL', KEYS[1], all[i])
  else
    total = total + c
  end
end
if #all > 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[4] * 4)
end
local peak = tonumber(redis.call('HGET', KEYS[2], 'peak') or '0') or 0
if total > peak then
  peak = total
  redis.call('HSET', KEYS[2], 'peak', peak)
end
return {total, peak}
`)

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
		case <-presence.C:
			for _, r := range h.snapshotRooms() {
				h.writePresence(h.ctx, r.id, r.viewers.Load())
			}
		case <-timeline.C:
			for _, r := range h.snapshotRooms() {
				h.sampleTimeline(h.ctx, r)
				// Re-read mutes and bans, in case a control event was missed.
				ctx, cancel := context.WithTimeout(h.ctx, 2*time.Second)
				h.loadSanctions(ctx, r)
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
	key := h.keyStats(r.id)
	pipe := h.opts.Redis.Pipeline()
	lk := pipe.HIncrBy(ctx, key, "likes", likes)
	pipe.HIncrBy(ctx, key, "danmaku", danmaku)
	pipe.HIncrBy(ctx, key, "clicks", clicks)
	if _, err := pipe.Exec(ctx); err != nil {
		// Put the deltas back for the next flush.
		r.likesDelta.Add(likes)
		r.danmakuDelta.Add(danmaku)
		r.clicksDelta.Add(clicks)
		h.log.Warn("counters not flushed", "room", r.id, "err", err)
		return
	}
	if likes > 0 {
		total := lk.Val()
		r.onLikesTotal(total)
		if err := h.opts.NATS.Publish(h.subjLikes(r.id), strconv.AppendInt(nil, total, 10)); err != nil {
			h.log.Warn("like total not published", "room", r.id, "err", err)
		}
	}
}

func (r *Room) onLikesTotal(n int64) {
	for {
		cur := r.likesTotal.Load()
		if n <= cur || r.likesTotal.CompareAndSwap(cur, n) {
			return
		}
	}
}

// writePresence writes this node's count of room and reads the total.
func (h *Hub) writePresence(ctx context.Context, roomID string, count int64) {
	total, peak, err := h.presence(ctx, roomID, strconv.FormatInt(count, 10))
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

func (h *Hub) presence(ctx context.Context, roomID, count string) (total, peak int64, err error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	res, err := presenceScript.Run(ctx, h.opts.Redis, []string{h.keyOnline(roomID), h.keyMeta(roomID)},
		h.node, count, time.Now().UnixMilli(), h.opts.presenceTTL().Milliseconds()).Int64Slice()
	if err != nil {
		return 0, 0, err
	}
	if len(res) != 2 {
		return 0, 0, errors.New("interaction: presence script: unexpected reply")
	}
	return res[0], res[1], nil
}

// Online returns the room's viewers across nodes and its peak.
func (h *Hub) Online(ctx context.Context, roomID string) (online, peak int64, err error) {
	return h.presence(ctx, roomID, "-")
}

// Sample is one point of a room's viewers-over-time series.
type Sample struct {
	At     int64 `json:"at"` // unix ms
	Online int64 `json:"online"`
}

// Stats are a room's counters for the dashboard.
type Stats struct {
	Room     string   `json:"room"`
	Online   int64    `json:"online"`
	Peak     int64    `json:"peak"`
	Likes    int64    `json:"likes"`
	Danmaku  int64    `json:"danmaku"`
	Clicks   int64    `json:"clicks"`
	Timeline []Sample `json:"timeline"`
}

// sampleTimeline appends the room's online count to its series; one node
// per interval wins the lock, so nodes do not add duplicate samples.
func (h *Hub) sampleTimeline(ctx context.Context, r *Room) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	won, err := h.opts.Redis.SetNX(ctx, h.keyTimelineLock(r.id), h.node, h.opts.TimelineInterval*9/10).Result()
	if err != nil || !won {
		return
	}
	now := time.Now().UnixMilli()
	v := strconv.FormatInt(now, 10) + " " + strconv.FormatInt(r.online.Load(), 10)
	pipe := h.opts.Redis.Pipeline()
	pipe.RPush(ctx, h.keyTimeline(r.id), v)
	pipe.LTrim(ctx, h.keyTimeline(r.id), int64(-h.opts.TimelineLength), -1)
	pipe.Expire(ctx, h.keyTimeline(r.id), 7*24*time.Hour)
	if _, err := pipe.Exec(ctx); err != nil {
		h.log.Warn("timeline not sampled", "room", r.id, "err", err)
	}
}

// RoomStats returns the room's counters and viewers-over-time series.
func (h *Hub) RoomStats(ctx context.Context, roomID string) (Stats, error) {
	s := Stats{Room: roomID, Timeline: []Sample{}}
	var err error
	if s.Online, s.Peak, err = h.Online(ctx, roomID); err != nil {
		return s, err
	}
	pipe := h.opts.Redis.Pipeline()
	stats := pipe.HGetAll(ctx, h.keyStats(roomID))
	tl := pipe.LRange(ctx, h.keyTimeline(roomID), 0, -1)
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return s, err
	}
	m := stats.Val()
	s.Likes, _ = strconv.ParseInt(m["likes"], 10, 64)
	s.Danmaku, _ = strconv.ParseInt(m["danmaku"], 10, 64)
	s.Clicks, _ = strconv.ParseInt(m["clicks"], 10, 64)
	for _, v := range tl.Val() {
		at, n, ok := strings.Cut(v, " ")
		if !ok {
			continue
		}
		var smp Sample
		smp.At, _ = strconv.ParseInt(at, 10, 64)
		smp.Online, _ = strconv.ParseInt(n, 10, 64)
		s.Timeline = append(s.Timeline, smp)
	}
	return s, nil
}
