package stock

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Field is the reservation name of order's units of variant sku ("" = the
// product's one implicit SKU): the order id itself, or "<order>@<sku>".
// Order and SKU ids never contain '@'.
func Field(order, sku string) string {
	if sku == "" {
		return order
	}
	return order + "@" + sku
}

// OrderOf is the order a reservation name belongs to.
func OrderOf(field string) string {
	if i := strings.IndexByte(field, '@'); i >= 0 {
		return field[:i]
	}
	return field
}

// Line is one line of a cart reservation: Qty units of Product (of variant
// SKU, "" = none) under the product's per-user purchase Limit (0 = none).
// Lines are unique by (Product, SKU).
type Line struct {
	Product string
	SKU     string
	Qty     int
	Limit   int
}

// CartResult is the cart script's answer: Code as for Reserve, and for a
// refusal (No, Limit, Held, NotLoaded) or Already, Line, the index of the
// line that decided it.
type CartResult struct {
	Code Code
	Line int
}

// cartLua reserves every line of cart order ARGV[1] of user ARGV[2] at time
// ARGV[3], or none: unpaid caps ARGV[4] per user and ARGV[5] per address
// ARGV[6] (0 or ” = none), ARGV[7] lines, then per line (product index p —
// its six keys are KEYS[6(p-1)+1..6p] —, reservation field, qty, per-user
// limit, sku). Every check runs before any write, with the units of all
// lines of one product added up. Answers (line*16 + code + 8): 2 a line is
// reserved already (idempotent retry), 1 all reserved, 0 short, -1 per-user
// limit, -3 unpaid cap, -2 a product's stock is not loaded.
const cartLua = `
local user = ARGV[2]
local mu, ma, addr = tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6]
local n = tonumber(ARGV[7])
local lines = {}
for i = 1, n do
  local b = 7 + (i - 1) * 5
  lines[i] = {k = (tonumber(ARGV[b + 1]) - 1) * 6, f = ARGV[b + 2], q = tonumber(ARGV[b + 3]), lim = tonumber(ARGV[b + 4]), sku = ARGV[b + 5]}
end
for i, l in ipairs(lines) do
  if redis.call('HEXISTS', KEYS[l.k + 3], l.f) == 1 then return i * 16 + 10 end
end
local need = {}
for i, l in ipairs(lines) do
  local avail = tonumber(redis.call('HGET', KEYS[l.k + 1], 'avail'))
  if not avail then return i * 16 + 6 end
  need[l.k] = (need[l.k] or 0) + l.q
  local q = need[l.k]
  if avail < q then return i * 16 + 8 end
  if l.sku ~= '' and tonumber(redis.call('HGET', KEYS[l.k + 1], 's:' .. l.sku) or '0') < l.q then return i * 16 + 8 end
  if l.lim > 0 and tonumber(redis.call('HGET', KEYS[l.k + 2], user) or '0') + q > l.lim then return i * 16 + 7 end
  if mu > 0 and tonumber(redis.call('HGET', KEYS[l.k + 5], 'u:' .. user) or '0') + q > mu then return i * 16 + 5 end
  if ma > 0 and addr ~= '' and tonumber(redis.call('HGET', KEYS[l.k + 5], 'a:' .. addr) or '0') + q > ma then return i * 16 + 5 end
end
for _, l in ipairs(lines) do
  redis.call('HINCRBY', KEYS[l.k + 1], 'avail', -l.q)
  if l.sku ~= '' then redis.call('HINCRBY', KEYS[l.k + 1], 's:' .. l.sku, -l.q) end
  redis.call('HINCRBY', KEYS[l.k + 2], user, l.q)
  redis.call('HSET', KEYS[l.k + 3], l.f, 'R|' .. l.q .. '|' .. user)
  redis.call('ZADD', KEYS[l.k + 4], ARGV[3], l.f)
  redis.call('HINCRBY', KEYS[l.k + 5], 'u:' .. user, l.q)
  if addr ~= '' then
    redis.call('HINCRBY', KEYS[l.k + 5], 'a:' .. addr, l.q)
    redis.call('HSET', KEYS[l.k + 5], 'o:' .. l.f, addr)
  end
end
return 9
`

// setSKULua sets variant ARGV[1]'s total to ARGV[2], keeping what its
// orders hold, and moves the product's total and avail by the same amount.
// Codes: 1 set (avail = the variant's units left), -1 below what is held,
// -2 not loaded.
const setSKULua = `
local avail = tonumber(redis.call('HGET', KEYS[1], 'avail'))
if not avail then return 6 end
local t = tonumber(redis.call('HGET', KEYS[1], 't:' .. ARGV[1]) or '0')
local s = tonumber(redis.call('HGET', KEYS[1], 's:' .. ARGV[1]) or '0')
local held = t - s
local nt = tonumber(ARGV[2])
if nt < held then return s * 16 + 7 end
redis.call('HSET', KEYS[1], 't:' .. ARGV[1], nt, 's:' .. ARGV[1], nt - held)
redis.call('HINCRBY', KEYS[1], 'total', nt - t)
redis.call('HINCRBY', KEYS[1], 'avail', nt - t)
return (nt - held) * 16 + 9
`

// ReserveCart reserves every line for order of user, or none, in one
// script: stock per product and per variant, the per-user limit and the
// unpaid caps of h (Limit of h is unused: each line has its own) are
// checked for all lines before any unit is taken. Lines name at most a
// few products; on Redis Cluster they must hash to one slot.
func (s *Store) ReserveCart(ctx context.Context, order, user string, lines []Line, h Hold, now time.Time) (CartResult, error) {
	if len(lines) == 0 {
		return CartResult{}, fmt.Errorf("stock: empty cart")
	}
	index := map[string]int{}
	keys := make([]string, 0, 6*len(lines))
	args := make([]any, 0, 7+5*len(lines))
	args = append(args, order, user, now.UnixMilli(), h.UnpaidPerUser, h.UnpaidPerAddr, h.Addr, len(lines))
	for _, l := range lines {
		p, ok := index[l.Product]
		if !ok {
			p = len(index) + 1
			index[l.Product] = p
			k := s.keysOf(l.Product)
			keys = append(keys, k[:]...)
		}
		args = append(args, p, Field(order, l.SKU), l.Qty, l.Limit, l.SKU)
	}
	r, err := s.cart.run(ctx, s.rdb, keys, args...)
	if err != nil {
		return CartResult{}, err
	}
	res := CartResult{Code: r.Code}
	if r.Avail > 0 {
		res.Line = int(r.Avail) - 1
	}
	return res, nil
}

// SetVariantTotal sets variant sku's total stock of product, keeping the
// units its orders hold; the product's total moves by the same amount. It
// answers the variant's units left.
func (s *Admin) SetVariantTotal(ctx context.Context, product, sku string, total int64) (Result, error) {
	return setResult(s.setSKU.run(ctx, s.rdb, s.keysOf(product)[:], sku, total))
}

// VariantAvail is the units left of each of product's variants (those
// Redis knows; a variant never stocked is absent).
func (s *Store) VariantAvail(ctx context.Context, product string) (map[string]int64, error) {
	all, err := s.rdb.HGetAll(ctx, s.keysOf(product)[0]).Result()
	if err != nil {
		return nil, fmt.Errorf("stock: variants: %w", unavailable(err))
	}
	out := make(map[string]int64)
	for k, v := range all {
		if strings.HasPrefix(k, "s:") {
			n, _ := strconv.ParseInt(v, 10, 64)
			out[k[2:]] = n
		}
	}
	return out, nil
}

// VariantTotals is the total stock Redis has for each of product's variants.
func (s *Admin) VariantTotals(ctx context.Context, product string) (map[string]int64, error) {
	all, err := s.rdb.HGetAll(ctx, s.keysOf(product)[0]).Result()
	if err != nil {
		return nil, fmt.Errorf("stock: variants: %w", unavailable(err))
	}
	out := make(map[string]int64)
	for k, v := range all {
		if strings.HasPrefix(k, "t:") {
			n, _ := strconv.ParseInt(v, 10, 64)
			out[k[2:]] = n
		}
	}
	return out, nil
}
