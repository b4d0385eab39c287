package interaction

import (
	"context"
	"errors"

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

// presence writes node's count of room (count "-" only reads) and returns
// the room's total across nodes and its peak.
func (s store) presence(ctx context.Context, room, node, count string, now time.Time, ttl time.Duration) (total, peak int64, err error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	res, err := presenceScript.Run(ctx, s.rdb, []string{s.key.online(room), s.key.meta(room)},
		node, count, now.UnixMilli(), ttl.Milliseconds()).Int64Slice()
	if err != nil {
		return 0, 0, err
	}
	if len(res) != 2 {
		return 0, 0, errors.New("interaction: presence script: unexpected reply")
	}
	return res[0], res[1], nil
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
