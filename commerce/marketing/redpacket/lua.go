package redpacket

import "github.com/redis/go-redis/v9"

// Every key of one packet shares the hash tag {<ns>:rp:<id>} (one Redis
// Cluster slot):
//
//	KEYS[1] <tag>:m  hash: state (open|closed), opens, ends (unix ms), left
//	                 (the remainder once closed)
//	KEYS[2] <tag>:q  list of the packets not grabbed yet (minor units)
//	KEYS[3] <tag>:g  hash user → amount grabbed

// splitLua splits ARGV[1] (total) into ARGV[2] (n) packets of at least
// ARGV[3] (min) each, equally (ARGV[4] = "equal") or by the lucky rule
// with the generator seeded by ARGV[5]; the packet opens at ARGV[6] and
// ends at ARGV[7] (unix ms) and its keys live ARGV[8] ms. It answers 1, or
// 0 when the packet existed already (a retry: nothing changes).
//
// The lucky rule ("double mean"): with R left for k packets, a packet gets
// min + r where r is uniform in [0, floor(2 (R - k·min) / k)], the last
// packet gets what is left; so every packet has at least min, the mean
// stays R/k and the sum is exactly the total. The generator is Park–Miller
// (x ← 16807·x mod 2³¹−1), exact in Lua's doubles.
var splitLua = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local total, n, min = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local x = tonumber(ARGV[5]) % 2147483646 + 1
local left, k = total, n
local batch = {}
local function flush()
  if #batch > 0 then redis.call('RPUSH', KEYS[2], unpack(batch)) end
  batch = {}
end
for i = 1, n do
  local amt
  if ARGV[4] == 'equal' then
    amt = math.floor(total / n)
    if i <= total - amt * n then amt = amt + 1 end
  elseif k == 1 then
    amt = left
  else
    local spare = left - min * k
    local hi = math.floor(2 * spare / k)
    x = (x * 16807) % 2147483647
    amt = min + (x % (hi + 1))
  end
  left = left - amt
  k = k - 1
  batch[#batch + 1] = amt
  if #batch == 500 then flush() end
end
flush()
redis.call('HSET', KEYS[1], 'state', 'open', 'opens', ARGV[6], 'ends', ARGV[7])
for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ARGV[8]) end
return 1
`)

// grabLua gives user ARGV[1] one packet at time ARGV[2] (unix ms). It
// answers {code, amount, packets left}: code 1 grabbed, 2 this user grabbed
// before (amount is that grab), 0 none left, -1 closed or ended, -2 no such
// packet, -3 not open yet.
var grabLua = redis.NewScript(`
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return {-2, 0, 0} end
local prev = redis.call('HGET', KEYS[3], ARGV[1])
if prev then return {2, tonumber(prev), redis.call('LLEN', KEYS[2])} end
local now = tonumber(ARGV[2])
if now < tonumber(redis.call('HGET', KEYS[1], 'opens')) then return {-3, 0, 0} end
if state ~= 'open' or now >= tonumber(redis.call('HGET', KEYS[1], 'ends')) then return {-1, 0, 0} end
local amt = redis.call('LPOP', KEYS[2])
if not amt then return {0, 0, 0} end
redis.call('HSET', KEYS[3], ARGV[1], amt)
return {1, tonumber(amt), redis.call('LLEN', KEYS[2])}
`)

// closeLua closes the packet: no grab succeeds after it; the packets not
// grabbed are summed into the remainder (kept in 'left') and dropped.
// Repeated calls answer the same {remainder, grabs}; {-1, 0} for no such packet.
var closeLua = redis.NewScript(`
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return {-1, 0} end
if state ~= 'closed' then
  local rest = redis.call('LRANGE', KEYS[2], 0, -1)
  local sum = 0
  for _, v in ipairs(rest) do sum = sum + tonumber(v) end
  redis.call('DEL', KEYS[2])
  redis.call('HSET', KEYS[1], 'state', 'closed', 'left', sum)
end
return {tonumber(redis.call('HGET', KEYS[1], 'left')), redis.call('HLEN', KEYS[3])}
`)
