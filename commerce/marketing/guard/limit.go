package guard

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Limit is a fixed-window budget: at most N actions per Window.
type Limit struct {
	N      int
	Window time.Duration
}

// Limits are the budgets of one kind of action, per user and per client
// address (a zero N means unlimited).
type Limits struct {
	PerUser Limit
	PerAddr Limit
}

// limitLua counts one action in each window key given (KEYS[i] with budget
// ARGV[2i-1] over ARGV[2i] ms) and answers 0 when every budget still holds,
// else the index of the first exhausted key; nothing is counted then.
var limitLua = redis.NewScript(`
for i = 1, #KEYS do
  local n = tonumber(redis.call('GET', KEYS[i]) or '0')
  if n >= tonumber(ARGV[2*i-1]) then return i end
end
for i = 1, #KEYS do
  local n = redis.call('INCR', KEYS[i])
  if n == 1 then redis.call('PEXPIRE', KEYS[i], ARGV[2*i]) end
end
return 0
`)

// Limiter applies Limits in Redis, shared by every node.
type Limiter struct {
	rdb redis.UniversalClient
	ns  string
}

// NewLimiter returns a limiter whose keys start with ns.
func NewLimiter(rdb redis.UniversalClient, ns string) *Limiter {
	return &Limiter{rdb: rdb, ns: ns}
}

// Allow counts one action of user from addr ("" = not counted) under
// action's limits and reports whether it is within them.
func (l *Limiter) Allow(ctx context.Context, action, user, addr string, lim Limits) (bool, error) {
	var keys []string
	var args []any
	add := func(who string, lm Limit) {
		if lm.N <= 0 || who == "" {
			return
		}
		w := lm.Window
		if w <= 0 {
			w = time.Second
		}
		keys = append(keys, fmt.Sprintf("%s:mk:rl:%s:%s:%d", l.ns, action, who, time.Now().UnixMilli()/w.Milliseconds()))
		args = append(args, lm.N, w.Milliseconds())
	}
	add("u:"+user, lim.PerUser)
	add("a:"+addr, lim.PerAddr)
	if len(keys) == 0 {
		return true, nil
	}
	n, err := limitLua.Run(ctx, l.rdb, keys, args...).Int()
	if err != nil {
		return false, fmt.Errorf("guard: rate limit: %w", err)
	}
	return n == 0, nil
}
