package coupon

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Every key of one template shares the hash tag {<ns>:cp:<template>}, so
// the script runs unchanged on Redis Cluster:
//
//	…:left    coupons left to claim
//	…:users   hash user → claims
//	…:claims  hash claim id → user (the idempotency of a claim)
//	…:ru:<user>:<window>, …:ra:<addr>:<window>   rate counters (expire)
//
// claimLua answers {code, left}: 1 claimed, 2 already claimed (same claim
// id: a retried tap), 3 none left, 4 the user's limit, 5 rate limited,
// 0 not loaded (load from SQL and retry).
const claimLua = `
if redis.call('EXISTS', KEYS[1]) == 0 then return {0, 0} end
if redis.call('HEXISTS', KEYS[3], ARGV[2]) == 1 then
  return {2, tonumber(redis.call('GET', KEYS[1]))}
end
local win = tonumber(ARGV[6])
if tonumber(ARGV[4]) > 0 then
  local n = redis.call('INCR', KEYS[4])
  if n == 1 then redis.call('PEXPIRE', KEYS[4], win) end
  if n > tonumber(ARGV[4]) then return {5, 0} end
end
if tonumber(ARGV[5]) > 0 then
  local n = redis.call('INCR', KEYS[5])
  if n == 1 then redis.call('PEXPIRE', KEYS[5], win) end
  if n > tonumber(ARGV[5]) then return {5, 0} end
end
local left = tonumber(redis.call('GET', KEYS[1]))
local mine = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if mine >= tonumber(ARGV[3]) then return {4, left} end
if left <= 0 then return {3, 0} end
left = redis.call('DECR', KEYS[1])
redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
redis.call('HSET', KEYS[3], ARGV[2], ARGV[1])
return {1, left}
`

// loadLua builds a template's keys from SQL unless they exist: ARGV[1] is
// the number left, then pairs of claim id and user. Expiry ARGV[2] (ms).
const loadLua = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
for i = 3, #ARGV, 2 do
  redis.call('HSET', KEYS[3], ARGV[i], ARGV[i+1])
  redis.call('HINCRBY', KEYS[2], ARGV[i+1], 1)
end
redis.call('PEXPIRE', KEYS[2], ARGV[2])
redis.call('PEXPIRE', KEYS[3], ARGV[2])
return 1
`

var (
	claimScript = redis.NewScript(claimLua)
	loadScript  = redis.NewScript(loadLua)
)

// claimCode is the claim script's answer.
type claimCode int64

const (
	claimNotLoaded claimCode = 0
	claimDone      claimCode = 1
	claimAlready   claimCode = 2
	claimGone      claimCode = 3
	claimUserLimit claimCode = 4
	claimRate      claimCode = 5
)

// Rates bound the claim attempts of one user and of one client address on
// one coupon per Window (0 = not counted).
type Rates struct {
	PerUser int
	PerAddr int
	Window  time.Duration
}

// redisClaims runs the claim scripts.
type redisClaims struct {
	rdb redis.UniversalClient
	ns  string
}

func (r redisClaims) keys(template, user, addr string, window int64) []string {
	tag := "{" + r.ns + ":cp:" + template + "}"
	return []string{tag + ":left", tag + ":users", tag + ":claims",
		tag + ":ru:" + user + ":" + strconv.FormatInt(window, 10),
		tag + ":ra:" + addr + ":" + strconv.FormatInt(window, 10)}
}

// claim runs the claim script once.
func (r redisClaims) claim(ctx context.Context, t *Template, user, claimID, addr string, rates Rates, now time.Time) (claimCode, int64, error) {
	win := rates.Window
	if win <= 0 {
		win = time.Second
	}
	perAddr := rates.PerAddr
	if addr == "" {
		perAddr = 0
	}
	k := r.keys(t.ID, user, addr, now.UnixNano()/int64(win))
	res, err := claimScript.Run(ctx, r.rdb, k, user, claimID, t.PerUser, rates.PerUser, perAddr, win.Milliseconds()).Int64Slice()
	if err != nil {
		return 0, 0, fmt.Errorf("coupon: claim script: %w", err)
	}
	return claimCode(res[0]), res[1], nil
}

// load builds the template's keys from its SQL claims (if absent).
func (r redisClaims) load(ctx context.Context, t *Template, claims map[string]string, now time.Time) error {
	ttl := t.EndsAt.Sub(now) + 24*time.Hour
	if ttl < time.Hour {
		ttl = time.Hour
	}
	args := []any{t.Total - int64(len(claims)), ttl.Milliseconds()}
	for id, user := range claims {
		args = append(args, id, user)
	}
	if err := loadScript.Run(ctx, r.rdb, r.keys(t.ID, "", "", 0), args...).Err(); err != nil {
		return fmt.Errorf("coupon: load script: %w", err)
	}
	return nil
}

// left is how many of t are left in Redis (-1: not loaded).
func (r redisClaims) left(ctx context.Context, template string) (int64, error) {
	n, err := r.rdb.Get(ctx, r.keys(template, "", "", 0)[0]).Int64()
	if err == redis.Nil {
		return -1, nil
	}
	return n, err
}

// claimID names user's claim of template under key: a retried tap (same
// key) names the same claim.
func claimID(template, user, key string) string {
	h := sha256.Sum256([]byte(template + "\x00" + user + "\x00" + key))
	return "cl_" + hex.EncodeToString(h[:12])
}
