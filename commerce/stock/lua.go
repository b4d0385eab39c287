package stock

// The scripts share one layout of keys, all under the product's hash tag
// {<ns>:p:<product>} so that a product lives in one Redis Cluster slot:
//
//	KEYS[1] <tag>:st    hash {avail, total} of the product, and per variant
//	                    (SKU) "s:<sku>" → units left, "t:<sku>" → total
//	KEYS[2] <tag>:u     hash user → units held (reserved or confirmed)
//	KEYS[3] <tag>:r     hash reservation → "<state>|<qty>|<user>", state R,
//	                    C or X; a reservation is the order id, or
//	                    "<order>@<sku>" for a variant's units (cart lines)
//	KEYS[4] <tag>:pend  zset order → reservation time (unix ms), R only
//	KEYS[5] <tag>:unp   hash of unpaid holds: "u:<user>" → units, "a:<addr>" →
//	                    units, "o:<order>" → the address it was reserved from
//	KEYS[6] <tag>:late  zset order → time a reservation was written straight
//	                    as paid (C) by reinstate, until reconcile saw SQL agree
//
// Answers are single integers, packed as avail*16 + (code+8), so that the Go
// side decodes them without allocating.

// unholdLua is a helper the scripts that end an unpaid hold share: it
// takes q units of order of user off the unpaid counters.
const unholdLua = `
local function unhold(order, user, q)
  local left = redis.call('HINCRBY', KEYS[5], 'u:' .. user, -q)
  if left <= 0 then redis.call('HDEL', KEYS[5], 'u:' .. user) end
  local addr = redis.call('HGET', KEYS[5], 'o:' .. order)
  if addr then
    local al = redis.call('HINCRBY', KEYS[5], 'a:' .. addr, -q)
    if al <= 0 then redis.call('HDEL', KEYS[5], 'a:' .. addr) end
    redis.call('HDEL', KEYS[5], 'o:' .. order)
  end
end
local function skuOf(field)
  local at = string.find(field, '@', 1, true)
  if at then return 's:' .. string.sub(field, at + 1) end
  return nil
end
local function parse(cur)
  local rest = string.sub(cur, 3)
  local bar = string.find(rest, '|', 1, true)
  return tonumber(string.sub(rest, 1, bar - 1)), string.sub(rest, bar + 1), rest
end
`

// reserveLua reserves ARGV[3] units for order ARGV[1] of user ARGV[2] with a
// per-user limit ARGV[4] (0 = none) at time ARGV[5], at most ARGV[6] unpaid
// units per user and ARGV[7] per address ARGV[8] (0 or ” = none). Codes:
// 2 the order already has a reservation (idempotent retry), 1 reserved,
// 0 sold out, -1 per-user limit reached, -3 unpaid-hold cap reached, -2
// stock not loaded.
const reserveLua = `
local cur = redis.call('HGET', KEYS[3], ARGV[1])
local avail = tonumber(redis.call('HGET', KEYS[1], 'avail'))
if cur then return (avail or 0) * 16 + 10 end
if not avail then return 6 end
local q = tonumber(ARGV[3])
if avail < q then return avail * 16 + 8 end
local lim = tonumber(ARGV[4])
if lim > 0 then
  local had = tonumber(redis.call('HGET', KEYS[2], ARGV[2]) or '0')
  if had + q > lim then return avail * 16 + 7 end
end
local mu = tonumber(ARGV[6] or '0')
if mu > 0 and tonumber(redis.call('HGET', KEYS[5], 'u:' .. ARGV[2]) or '0') + q > mu then return avail * 16 + 5 end
local ma = tonumber(ARGV[7] or '0')
local addr = ARGV[8] or ''
if ma > 0 and addr ~= '' and tonumber(redis.call('HGET', KEYS[5], 'a:' .. addr) or '0') + q > ma then return avail * 16 + 5 end
redis.call('HINCRBY', KEYS[1], 'avail', -q)
redis.call('HINCRBY', KEYS[2], ARGV[2], q)
redis.call('HSET', KEYS[3], ARGV[1], 'R|' .. ARGV[3] .. '|' .. ARGV[2])
redis.call('ZADD', KEYS[4], ARGV[5], ARGV[1])
redis.call('HINCRBY', KEYS[5], 'u:' .. ARGV[2], q)
if addr ~= '' then
  redis.call('HINCRBY', KEYS[5], 'a:' .. addr, q)
  redis.call('HSET', KEYS[5], 'o:' .. ARGV[1], addr)
end
return (avail - q) * 16 + 9
`

// confirmLua marks order ARGV[1]'s reservation paid. Codes: 1 confirmed,
// 2 already confirmed, 0 released before (the caller must reinstate),
// -2 no reservation.
const confirmLua = unholdLua + `
local avail = tonumber(redis.call('HGET', KEYS[1], 'avail') or '0')
local cur = redis.call('HGET', KEYS[3], ARGV[1])
if not cur then return avail * 16 + 6 end
local st = string.sub(cur, 1, 1)
if st == 'C' then return avail * 16 + 10 end
if st == 'X' then return avail * 16 + 8 end
local q, user = parse(cur)
redis.call('HSET', KEYS[3], ARGV[1], 'C' .. string.sub(cur, 2))
redis.call('ZREM', KEYS[4], ARGV[1])
unhold(ARGV[1], user, q)
return avail * 16 + 9
`

// releaseLua returns order ARGV[1]'s units to stock, once. ARGV[2] = '1'
// also releases a confirmed (paid) reservation, for refunds. Codes:
// 1 released, 2 already released, 0 confirmed and not allowed, -2 none.
const releaseLua = unholdLua + `
local avail = tonumber(redis.call('HGET', KEYS[1], 'avail') or '0')
local cur = redis.call('HGET', KEYS[3], ARGV[1])
if not cur then return avail * 16 + 6 end
local st = string.sub(cur, 1, 1)
if st == 'X' then return avail * 16 + 10 end
if st == 'C' and ARGV[2] ~= '1' then return avail * 16 + 8 end
local q, user, rest = parse(cur)
redis.call('HSET', KEYS[3], ARGV[1], 'X|' .. rest)
redis.call('ZREM', KEYS[4], ARGV[1])
redis.call('ZREM', KEYS[6], ARGV[1])
if st == 'R' then unhold(ARGV[1], user, q) end
local left = redis.call('HINCRBY', KEYS[2], user, -q)
if left <= 0 then redis.call('HDEL', KEYS[2], user) end
avail = redis.call('HINCRBY', KEYS[1], 'avail', q)
local sk = skuOf(ARGV[1])
if sk then redis.call('HINCRBY', KEYS[1], sk, q) end
return avail * 16 + 9
`

// reinstateLua takes stock again for order ARGV[1] (user ARGV[2], ARGV[3]
// units) whose reservation was released or lost, into state ARGV[4] ('R' or
// 'C') at time ARGV[5], checking the per-user limit ARGV[6] (0 = none) only
// when it takes units again. A reservation written as paid (C) is noted in
// the late set until reconcile sees SQL agree (a crash between this script
// and the SQL commit leaves a C record no order backs). Codes: 2 it holds
// stock already (state set to ARGV[4] if it was R), 1 reinstated, 0 not
// enough stock, -1 the per-user limit would be exceeded, -2 not loaded.
const reinstateLua = unholdLua + `
local avail = tonumber(redis.call('HGET', KEYS[1], 'avail'))
if not avail then return 6 end
local cur = redis.call('HGET', KEYS[3], ARGV[1])
if cur and string.sub(cur, 1, 1) ~= 'X' then
  if ARGV[4] == 'C' and string.sub(cur, 1, 1) == 'R' then
    local q, user = parse(cur)
    redis.call('HSET', KEYS[3], ARGV[1], 'C' .. string.sub(cur, 2))
    redis.call('ZREM', KEYS[4], ARGV[1])
    redis.call('ZADD', KEYS[6], ARGV[5], ARGV[1])
    unhold(ARGV[1], user, q)
  end
  return avail * 16 + 10
end
local q = tonumber(ARGV[3])
if avail < q then return avail * 16 + 8 end
local sk = skuOf(ARGV[1])
if sk and tonumber(redis.call('HGET', KEYS[1], sk) or '0') < q then return avail * 16 + 8 end
local lim = tonumber(ARGV[6] or '0')
if lim > 0 then
  local had = tonumber(redis.call('HGET', KEYS[2], ARGV[2]) or '0')
  if had + q > lim then return avail * 16 + 7 end
end
redis.call('HINCRBY', KEYS[1], 'avail', -q)
if sk then redis.call('HINCRBY', KEYS[1], sk, -q) end
redis.call('HINCRBY', KEYS[2], ARGV[2], q)
redis.call('HSET', KEYS[3], ARGV[1], ARGV[4] .. '|' .. ARGV[3] .. '|' .. ARGV[2])
if ARGV[4] == 'R' then
  redis.call('ZADD', KEYS[4], ARGV[5], ARGV[1])
  redis.call('HINCRBY', KEYS[5], 'u:' .. ARGV[2], q)
else
  redis.call('ZADD', KEYS[6], ARGV[5], ARGV[1])
end
return (avail - q) * 16 + 9
`

// setTotalLua sets the product's total stock to ARGV[1], keeping what is
// held: avail = total - held. Codes: 1 set, -1 the new total is below what
// orders hold (nothing changed), -2 stock not loaded.
const setTotalLua = `
local avail = tonumber(redis.call('HGET', KEYS[1], 'avail'))
local total = tonumber(redis.call('HGET', KEYS[1], 'total'))
if not avail or not total then return 6 end
local held = total - avail
local nt = tonumber(ARGV[1])
if nt < held then return avail * 16 + 7 end
redis.call('HSET', KEYS[1], 'total', nt, 'avail', nt - held)
return (nt - held) * 16 + 9
`

// loadLua builds a product's stock from the SQL truth when Redis has none:
// ARGV[1] total, ARGV[2] now, ARGV[3] the number of variants (SKUs), then
// (sku, total) per variant, then (reservation, user, qty, state) per
// reservation that holds stock (a variant's is "<order>@<sku>"). Codes: 2 already loaded (nothing changed), 1 loaded,
// -1 the orders hold more than the total (loaded with avail 0).
const loadLua = unholdLua + `
if redis.call('EXISTS', KEYS[1]) == 1 then
  return tonumber(redis.call('HGET', KEYS[1], 'avail') or '0') * 16 + 10
end
local total = tonumber(ARGV[1])
local held = 0
local nsku = tonumber(ARGV[3])
for j = 0, nsku - 1 do
  local t = tonumber(ARGV[5 + 2 * j])
  redis.call('HSET', KEYS[1], 't:' .. ARGV[4 + 2 * j], t, 's:' .. ARGV[4 + 2 * j], t)
end
local i = 4 + 2 * nsku
while i + 3 <= #ARGV do
  local q = tonumber(ARGV[i + 2])
  held = held + q
  local sk = skuOf(ARGV[i])
  if sk then redis.call('HINCRBY', KEYS[1], sk, -q) end
  redis.call('HINCRBY', KEYS[2], ARGV[i + 1], q)
  redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 3] .. '|' .. ARGV[i + 2] .. '|' .. ARGV[i + 1])
  if ARGV[i + 3] == 'R' then
    redis.call('ZADD', KEYS[4], ARGV[2], ARGV[i])
    redis.call('HINCRBY', KEYS[5], 'u:' .. ARGV[i + 1], q)
  end
  i = i + 4
end
local avail = total - held
local code = 9
if avail < 0 then avail = 0 code = 7 end
redis.call('HSET', KEYS[1], 'total', total, 'avail', avail)
return avail * 16 + code
`

// forgetLua deletes the reservation records of the orders in ARGV that are
// released (state X), once SQL says they are finished for good. Answers how
// many it deleted (packed like the others, in the avail field).
const forgetLua = `
local n = 0
for i = 1, #ARGV do
  local cur = redis.call('HGET', KEYS[3], ARGV[i])
  if cur and string.sub(cur, 1, 1) == 'X' then
    redis.call('HDEL', KEYS[3], ARGV[i])
    n = n + 1
  end
end
return n * 16 + 9
`

// ReserveScript is the text of the reserve script, for measuring its raw
// ceiling with redis-benchmark (commerce/loadtest/ceilings.sh).
func ReserveScript() string { return reserveLua }
