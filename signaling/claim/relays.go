package claim

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// RelaysKey is the Redis key of the edges relaying room under namespace
// ns: a sorted set of owner records ("<node id> <base URL>") scored by the
// unix millisecond their announcement expires at.
func RelaysKey(ns, room string) string { return ns + ":media:relays:{" + room + "}" }

// announceScript adds or refreshes one edge's announcement, drops the
// expired ones and lets the key live as long as its latest announcement.
var announceScript = redis.NewScript(`
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if last[2] then redis.call('PEXPIREAT', KEYS[1], last[2]) end
return 1`)

// Announce records, for ttl, that this node relays room (an edge of the
// cascade). Edges refresh their announcement well within ttl; a crashed
// edge's expires by itself.
func (c *Claims) Announce(ctx context.Context, room string, ttl time.Duration) error {
	now := time.Now()
	err := announceScript.Run(ctx, c.rdb, []string{RelaysKey(c.ns, room)},
		c.value, now.Add(ttl).UnixMilli(), now.UnixMilli()).Err()
	if err != nil {
		return fmt.Errorf("claim: announce relay of %s: %w", room, err)
	}
	return nil
}

// Withdraw removes this node's announcement for room.
func (c *Claims) Withdraw(ctx context.Context, room string) error {
	if err := c.rdb.ZRem(ctx, RelaysKey(c.ns, room), c.value).Err(); err != nil {
		return fmt.Errorf("claim: withdraw relay of %s: %w", room, err)
	}
	return nil
}

// Relays returns the edges whose announcement for room has not expired.
func (c *Claims) Relays(ctx context.Context, room string) ([]Owner, error) {
	vals, err := c.rdb.ZRangeByScore(ctx, RelaysKey(c.ns, room), &redis.ZRangeBy{
		Min: strconv.FormatInt(time.Now().UnixMilli(), 10), Max: "+inf",
	}).Result()
	if err != nil {
		return nil, fmt.Errorf("claim: relays of %s: %w", room, err)
	}
	out := make([]Owner, 0, len(vals))
	for _, v := range vals {
		if o, err := ParseOwner(v); err == nil {
			out = append(out, o)
		}
	}
	return out, nil
}
