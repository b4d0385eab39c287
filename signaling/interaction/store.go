package interaction

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// store is the interaction layer's Redis state: room state and pin, the
// peak, counters, the viewers-over-time series, mutes and bans, and the
// blocked-word list. Online counts are in presence.go.
type store struct {
	rdb redis.UniversalClient
	key keys
}

// roomMeta is what a room loads when it starts.
type roomMeta struct {
	state          string
	pinned         string
	pinnedAt, peak int64
	likes          int64
}

func (s store) loadMeta(ctx context.Context, room string) (roomMeta, error) {
	pipe := s.rdb.Pipeline()
	meta := pipe.HGetAll(ctx, s.key.meta(room))
	stats := pipe.HGet(ctx, s.key.stats(room), "likes")
	_, err := pipe.Exec(ctx)
	if errors.Is(err, redis.Nil) {
		err = nil
	}
	m := meta.Val()
	out := roomMeta{state: m["state"], pinned: m["pinned"]}
	out.pinnedAt, _ = strconv.ParseInt(m["pinned_at"], 10, 64)
	out.peak, _ = strconv.ParseInt(m["peak"], 10, 64)
	out.likes, _ = stats.Int64()
	return out, err
}

func (s store) setState(ctx context.Context, room, state string) error {
	return s.rdb.HSet(ctx, s.key.meta(room), "state", state).Err()
}

func (s store) setPinned(ctx context.Context, room, text string, at int64) error {
	return s.rdb.HSet(ctx, s.key.meta(room), "pinned", text, "pinned_at", strconv.FormatInt(at, 10)).Err()
}

// addCounters adds deltas to the room's counters and returns the like total.
func (s store) addCounters(ctx context.Context, room string, likes, danmaku, clicks int64) (int64, error) {
	key := s.key.stats(room)
	pipe := s.rdb.Pipeline()
	lk := pipe.HIncrBy(ctx, key, "likes", likes)
	pipe.HIncrBy(ctx, key, "danmaku", danmaku)
	pipe.HIncrBy(ctx, key, "clicks", clicks)
	if _, err := pipe.Exec(ctx); err != nil {
		return 0, err
	}
	return lk.Val(), nil
}

// sampleTimeline appends one point to the room's series; one node per
// interval wins the lock, so nodes do not add duplicate samples.
func (s store) sampleTimeline(ctx context.Context, room, node string, at time.Time, online int64, interval time.Duration, length int) error {
	won, err := s.rdb.SetNX(ctx, s.key.timelineLock(room), node, interval*9/10).Result()
	if err != nil || !won {
		return err
	}
	v := strconv.FormatInt(at.UnixMilli(), 10) + " " + strconv.FormatInt(online, 10)
	pipe := s.rdb.Pipeline()
	pipe.RPush(ctx, s.key.timeline(room), v)
	pipe.LTrim(ctx, s.key.timeline(room), int64(-length), -1)
	pipe.Expire(ctx, s.key.timeline(room), 7*24*time.Hour)
	_, err = pipe.Exec(ctx)
	return err
}

// counters fills the counters and the series of st.
func (s store) counters(ctx context.Context, st *Stats) error {
	pipe := s.rdb.Pipeline()
	stats := pipe.HGetAll(ctx, s.key.stats(st.Room))
	tl := pipe.LRange(ctx, s.key.timeline(st.Room), 0, -1)
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return err
	}
	m := stats.Val()
	st.Likes, _ = strconv.ParseInt(m["likes"], 10, 64)
	st.Danmaku, _ = strconv.ParseInt(m["danmaku"], 10, 64)
	st.Clicks, _ = strconv.ParseInt(m["clicks"], 10, 64)
	for _, v := range tl.Val() {
		at, n, ok := strings.Cut(v, " ")
		if !ok {
			continue
		}
		var smp Sample
		smp.At, _ = strconv.ParseInt(at, 10, 64)
		smp.Online, _ = strconv.ParseInt(n, 10, 64)
		st.Timeline = append(st.Timeline, smp)
	}
	return nil
}

// setSanction stores a mute or ban for d (0: until lifted).
func (s store) setSanction(ctx context.Context, room, user string, ban bool, d time.Duration) error {
	key := s.key.mute(room, user)
	if ban {
		key = s.key.ban(room, user)
	}
	if err := s.rdb.Set(ctx, key, "1", d).Err(); err != nil {
		return fmt.Errorf("interaction: store sanction: %w", err)
	}
	return nil
}

func (s store) liftSanction(ctx context.Context, room, user string, ban bool) error {
	key := s.key.mute(room, user)
	if ban {
		key = s.key.ban(room, user)
	}
	if err := s.rdb.Del(ctx, key).Err(); err != nil {
		return fmt.Errorf("interaction: lift sanction: %w", err)
	}
	return nil
}

// sanctions reads the room's mutes and bans.
func (s store) sanctions(ctx context.Context, room string, now time.Time) (map[string]sanction, error) {
	prefix := s.key.sanctionPrefix(room)
	next := make(map[string]sanction)
	for _, kind := range []string{"mute", "ban"} {
		iter := s.rdb.Scan(ctx, 0, prefix+kind+":*", 256).Iterator()
		for iter.Next(ctx) {
			key := iter.Val()
			user := strings.TrimPrefix(key, prefix+kind+":")
			ttl, err := s.rdb.PTTL(ctx, key).Result()
			if err != nil || ttl == -2*time.Nanosecond || ttl == -2*time.Millisecond {
				continue
			}
			var until time.Time
			if ttl > 0 {
				until = now.Add(ttl)
			}
			sc := next[user]
			if kind == "mute" {
				sc.muted, sc.muteUntil = true, until
			} else {
				sc.banned, sc.banUntil = true, until
			}
			next[user] = sc
		}
		if err := iter.Err(); err != nil {
			return nil, err
		}
	}
	return next, nil
}

func (s store) isBanned(ctx context.Context, room, user string) (bool, error) {
	n, err := s.rdb.Exists(ctx, s.key.ban(room, user)).Result()
	if err != nil {
		return false, fmt.Errorf("interaction: ban check: %w", err)
	}
	return n > 0, nil
}

// words returns the stored blocked-word list; ok is false when none is stored.
func (s store) words(ctx context.Context) (words []string, ok bool, err error) {
	raw, err := s.rdb.Get(ctx, s.key.words()).Bytes()
	switch {
	case errors.Is(err, redis.Nil):
		return nil, false, nil
	case err != nil:
		return nil, false, fmt.Errorf("interaction: blocked words: %w", err)
	}
	if err := json.Unmarshal(raw, &words); err != nil {
		return nil, false, fmt.Errorf("interaction: blocked words in redis: %w", err)
	}
	return words, true, nil
}

func (s store) setWords(ctx context.Context, words []string) error {
	raw, _ := json.Marshal(words)
	if err := s.rdb.Set(ctx, s.key.words(), raw, 0).Err(); err != nil {
		return fmt.Errorf("interaction: store blocked words: %w", err)
	}
	return nil
}
