package stock

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Ticket places live in the same Redis as live-goods stock, changed only by
// the Lua scripts below. A tier's price steps are decided in the same
// script that takes the place, so that the price a buyer pays is the step
// in force when the place was taken: no two buyers at the edge of a step
// both get the lower price beyond its quantity. Every key of one tier
// shares the hash tag {<ns>:t:<tier>}:
//
//	KEYS[1] <tag>:st  hash: total (-1 unlimited), taken, lim (per user, 0
//	                  none), open and close (sales window, unix ms, 0 none),
//	                  n (steps) and per step i: c<i> cap (-1 none), p<i>
//	                  price, e<i> end (unix ms, 0 none), t<i> taken
//	KEYS[2] <tag>:r   hash order → "<state><step>|<user>", state R, C or X
//	KEYS[3] <tag>:u   hash user → places held
//
// A place is taken in the first step whose end has not passed and whose
// cap is not reached; a released place goes back to its own step.

// Ticket answers beyond the shared codes.
const (
	// Closed means the tier's sales window is not open at that time.
	Closed Code = -4
)

// ticketLib is shared by the ticket scripts: the reservation record.
const ticketLib = `
local function rec(cur)
  local bar = string.find(cur, '|', 1, true)
  return string.sub(cur, 1, 1), tonumber(string.sub(cur, 2, bar - 1)), string.sub(cur, bar + 1)
end
local function left(st)
  local total = tonumber(redis.call('HGET', KEYS[1], 'total'))
  if total < 0 then return -1 end
  return total - tonumber(redis.call('HGET', KEYS[1], 'taken'))
end
`

// ticketReserveLua takes a place for order ARGV[1] of user ARGV[2] at time
// ARGV[3]. Answer {code, step, price, left}: 1 taken, 2 the order holds
// one already (its step), 0 sold out, -1 per-user limit, -2 not loaded,
// -4 sales closed.
const ticketReserveLua = ticketLib + `
local cur = redis.call('HGET', KEYS[2], ARGV[1])
if cur then
  local state, step = rec(cur)
  if state == 'X' then return {0, step, 0, left()} end
  return {2, step, tonumber(redis.call('HGET', KEYS[1], 'p' .. step)), left()}
end
local n = tonumber(redis.call('HGET', KEYS[1], 'n'))
if not n then return {-2, 0, 0, 0} end
local now = tonumber(ARGV[3])
local open = tonumber(redis.call('HGET', KEYS[1], 'open'))
local close = tonumber(redis.call('HGET', KEYS[1], 'close'))
if now < open or (close > 0 and now >= close) then return {-4, 0, 0, left()} end
local lim = tonumber(redis.call('HGET', KEYS[1], 'lim'))
if lim > 0 and tonumber(redis.call('HGET', KEYS[3], ARGV[2]) or '0') >= lim then return {-1, 0, 0, left()} end
local total = tonumber(redis.call('HGET', KEYS[1], 'total'))
if total >= 0 and tonumber(redis.call('HGET', KEYS[1], 'taken')) >= total then return {0, 0, 0, 0} end
for i = 1, n do
  local e = tonumber(redis.call('HGET', KEYS[1], 'e' .. i))
  if e == 0 or now < e then
    local c = tonumber(redis.call('HGET', KEYS[1], 'c' .. i))
    if c < 0 or tonumber(redis.call('HGET', KEYS[1], 't' .. i)) < c then
      redis.call('HINCRBY', KEYS[1], 'taken', 1)
      redis.call('HINCRBY', KEYS[1], 't' .. i, 1)
      redis.call('HINCRBY', KEYS[3], ARGV[2], 1)
      redis.call('HSET', KEYS[2], ARGV[1], 'R' .. i .. '|' .. ARGV[2])
      return {1, i, tonumber(redis.call('HGET', KEYS[1], 'p' .. i)), left()}
    end
  end
end
return {0, 0, 0, left()}
`

// ticketConfirmLua marks order ARGV[1]'s place paid: 1 done, 2 already,
// 0 released, -2 no such place.
const ticketConfirmLua = ticketLib + `
local cur = redis.call('HGET', KEYS[2], ARGV[1])
if not cur then return {-2, 0, 0, 0} end
local state, step, user = rec(cur)
if state == 'C' then return {2, step, 0, left()} end
if state == 'X' then return {0, step, 0, left()} end
redis.call('HSET', KEYS[2], ARGV[1], 'C' .. step .. '|' .. user)
return {1, step, 0, left()}
`

// ticketReleaseLua gives order ARGV[1]'s place back to its step: 1 done,
// 2 already released, -2 no such place.
const ticketReleaseLua = ticketLib + `
local cur = redis.call('HGET', KEYS[2], ARGV[1])
if not cur then return {-2, 0, 0, 0} end
local state, step, user = rec(cur)
if state == 'X' then return {2, step, 0, left()} end
redis.call('HINCRBY', KEYS[1], 'taken', -1)
redis.call('HINCRBY', KEYS[1], 't' .. step, -1)
if redis.call('HINCRBY', KEYS[3], user, -1) <= 0 then redis.call('HDEL', KEYS[3], user) end
redis.call('HSET', KEYS[2], ARGV[1], 'X' .. step .. '|' .. user)
return {1, step, 0, left()}
`

// ticketReinstateLua takes order ARGV[1]'s place of user ARGV[2] again in
// step ARGV[3] (0: the step of its released record) in state ARGV[4] (a
// late payment, a rebuild): 1 done, 2 it holds one, 0 that step or the
// tier is full, -2 not loaded. The step's
// end time is not checked: the price was fixed when the place was first
// taken.
const ticketReinstateLua = ticketLib + `
local cur = redis.call('HGET', KEYS[2], ARGV[1])
local step = tonumber(ARGV[3])
if cur then
  local state, was = rec(cur)
  if step == 0 then step = was end
  if state ~= 'X' then return {2, step, 0, left()} end
end
local n = tonumber(redis.call('HGET', KEYS[1], 'n'))
if not n then return {-2, 0, 0, 0} end
if step < 1 or step > n then return {0, step, 0, left()} end
local total = tonumber(redis.call('HGET', KEYS[1], 'total'))
if total >= 0 and tonumber(redis.call('HGET', KEYS[1], 'taken')) >= total then return {0, step, 0, 0} end
local c = tonumber(redis.call('HGET', KEYS[1], 'c' .. step))
if c >= 0 and tonumber(redis.call('HGET', KEYS[1], 't' .. step)) >= c then return {0, step, 0, left()} end
redis.call('HINCRBY', KEYS[1], 'taken', 1)
redis.call('HINCRBY', KEYS[1], 't' .. step, 1)
redis.call('HINCRBY', KEYS[3], ARGV[2], 1)
redis.call('HSET', KEYS[2], ARGV[1], ARGV[4] .. step .. '|' .. ARGV[2])
return {1, step, tonumber(redis.call('HGET', KEYS[1], 'p' .. step)), left()}
`

// ticketConfigLua sets a tier's terms (ARGV: total, lim, open, close, n,
// then c, p, e per step), keeping the places taken. A tier not in Redis
// yet starts with none taken (Load rebuilds places from SQL).
const ticketConfigLua = `
local fresh = redis.call('EXISTS', KEYS[1]) == 0
redis.call('HSET', KEYS[1], 'total', ARGV[1], 'lim', ARGV[2], 'open', ARGV[3], 'close', ARGV[4], 'n', ARGV[5])
if fresh then redis.call('HSET', KEYS[1], 'taken', 0) end
local n = tonumber(ARGV[5])
for i = 1, n do
  local b = 5 + (i - 1) * 3
  redis.call('HSET', KEYS[1], 'c' .. i, ARGV[b + 1], 'p' .. i, ARGV[b + 2], 'e' .. i, ARGV[b + 3])
  if redis.call('HEXISTS', KEYS[1], 't' .. i) == 0 then redis.call('HSET', KEYS[1], 't' .. i, 0) end
end
return {fresh and 1 or 2, 0, 0, 0}
`

// TicketStep is one price step of a tier: Cap places (-1: no cap of its
// own) until End (zero: no end) at PriceMinor.
type TicketStep struct {
	Cap        int64
	PriceMinor int64
	End        time.Time
}

// TicketTerms are a tier's terms as the scripts enforce them.
type TicketTerms struct {
	Total       int64 // -1 unlimited
	PerUser     int   // 0 none
	Open, Close time.Time
	Steps       []TicketStep
}

// TicketResult is a ticket script's answer.
type TicketResult struct {
	Code       Code
	Step       int   // 1-based step of the place
	PriceMinor int64 // the step's price (reserve and reinstate)
	Left       int64 // places left in the tier (-1 unlimited)
}

// Tickets changes ticket places through the scripts.
type Tickets struct {
	rdb                                             redis.UniversalClient
	ns                                              string
	reserve, confirm, release, reinstate, configure *redis.Script
	keyCache                                        sync.Map // tier → []string, built once per tier
}

// NewTickets returns the ticket scripts over rdb for namespace ns.
func NewTickets(rdb redis.UniversalClient, ns string) *Tickets {
	return &Tickets{rdb: rdb, ns: ns,
		reserve: redis.NewScript(ticketReserveLua), confirm: redis.NewScript(ticketConfirmLua),
		release: redis.NewScript(ticketReleaseLua), reinstate: redis.NewScript(ticketReinstateLua),
		configure: redis.NewScript(ticketConfigLua)}
}

func (t *Tickets) keys(tier string) []string {
	if k, ok := t.keyCache.Load(tier); ok {
		return k.([]string)
	}
	tag := "{" + t.ns + ":t:" + tier + "}"
	k := []string{tag + ":st", tag + ":r", tag + ":u"}
	t.keyCache.Store(tier, k)
	return k
}

func ms(at time.Time) int64 {
	if at.IsZero() {
		return 0
	}
	return at.UnixMilli()
}

func (t *Tickets) run(ctx context.Context, sc *redis.Script, tier string, args ...any) (TicketResult, error) {
	v, err := sc.Run(ctx, t.rdb, t.keys(tier), args...).Int64Slice()
	if err != nil {
		return TicketResult{}, fmt.Errorf("stock: ticket script: %w", unavailable(err))
	}
	if len(v) != 4 {
		return TicketResult{}, errors.New("stock: ticket script: bad answer")
	}
	return TicketResult{Code: Code(v[0]), Step: int(v[1]), PriceMinor: v[2], Left: v[3]}, nil
}

// Configure sets tier's terms, keeping the places already taken.
func (t *Tickets) Configure(ctx context.Context, tier string, terms TicketTerms) error {
	args := []any{terms.Total, terms.PerUser, ms(terms.Open), ms(terms.Close), len(terms.Steps)}
	for _, s := range terms.Steps {
		args = append(args, s.Cap, s.PriceMinor, ms(s.End))
	}
	_, err := t.run(ctx, t.configure, tier, args...)
	return err
}

// Loaded reports whether tier's terms are in Redis.
func (t *Tickets) Loaded(ctx context.Context, tier string) (bool, error) {
	n, err := t.rdb.Exists(ctx, t.keys(tier)[0]).Result()
	if err != nil {
		return false, fmt.Errorf("stock: ticket: %w", unavailable(err))
	}
	return n == 1, nil
}

// Reserve takes a place in tier for order of user at now, at the step in force.
func (t *Tickets) Reserve(ctx context.Context, tier, order, user string, now time.Time) (TicketResult, error) {
	return t.run(ctx, t.reserve, tier, order, user, now.UnixMilli())
}

// Confirm marks order's place paid.
func (t *Tickets) Confirm(ctx context.Context, tier, order string) (TicketResult, error) {
	return t.run(ctx, t.confirm, tier, order)
}

// Release gives order's place back to its step (exactly once).
func (t *Tickets) Release(ctx context.Context, tier, order string) (TicketResult, error) {
	return t.run(ctx, t.release, tier, order)
}

// Reinstate takes order's place of user again in step (0: the step it
// was released from), in state (StateReserved or StateConfirmed).
func (t *Tickets) Reinstate(ctx context.Context, tier, order, user string, step int, state State) (TicketResult, error) {
	return t.run(ctx, t.reinstate, tier, order, user, strconv.Itoa(step), string(rune(state)))
}

// Taken returns the places taken in tier per step (index 0 = step 1) and in all.
func (t *Tickets) Taken(ctx context.Context, tier string, steps int) ([]int64, int64, error) {
	fields := make([]string, 0, steps+1)
	fields = append(fields, "taken")
	for i := 1; i <= steps; i++ {
		fields = append(fields, "t"+strconv.Itoa(i))
	}
	vals, err := t.rdb.HMGet(ctx, t.keys(tier)[0], fields...).Result()
	if err != nil {
		return nil, 0, fmt.Errorf("stock: ticket: %w", unavailable(err))
	}
	out := make([]int64, steps)
	var total int64
	for i, v := range vals {
		s, _ := v.(string)
		n, _ := strconv.ParseInt(s, 10, 64)
		if i == 0 {
			total = n
		} else {
			out[i-1] = n
		}
	}
	return out, total, nil
}

// State is order's place state in tier (StateNone when it has none).
func (t *Tickets) State(ctx context.Context, tier, order string) (State, error) {
	v, err := t.rdb.HGet(ctx, t.keys(tier)[1], order).Result()
	if errors.Is(err, redis.Nil) {
		return StateNone, nil
	}
	if err != nil {
		return StateNone, fmt.Errorf("stock: ticket: %w", unavailable(err))
	}
	if v == "" {
		return StateNone, nil
	}
	return State(v[0]), nil
}

// Held lists up to about count orders holding a place in tier (state R or
// C), from cursor (0 to start); next is 0 at the end.
func (t *Tickets) Held(ctx context.Context, tier string, cursor uint64, count int64) (orders []string, next uint64, err error) {
	kv, next, err := t.rdb.HScan(ctx, t.keys(tier)[1], cursor, "*", count).Result()
	if err != nil {
		return nil, 0, fmt.Errorf("stock: ticket: %w", unavailable(err))
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if v := kv[i+1]; v != "" && (v[0] == byte(StateReserved) || v[0] == byte(StateConfirmed)) {
			orders = append(orders, kv[i])
		}
	}
	return orders, next, nil
}
