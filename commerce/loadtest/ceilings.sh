#!/usr/bin/env bash
# Raw ceilings of this machine for the flash sale's two storage steps, to set
# beside `livesell bench flashsale` (docs/benchmarks.md, Commerce):
#   1. redis-benchmark running the reserve Lua script by SHA (EVALSHA), on the
#      sold-out path (avail 0) and the reserve path (avail 1e8);
#   2. pgbench running the order insert + its outbox row as the server does
#      (one statement), in a throwaway schema with the real migration.
# Loopback only: Redis 127.0.0.1:6379, PostgreSQL 127.0.0.1:5432 (db test).
set -euo pipefail
cd "$(dirname "$0")/../.."
clients=${CLIENTS:-32}
ns="ceil$$"

script=$(go run ./cmd/livesell bench flashsale --print-reserve-script)
sha=$(redis-cli -h 127.0.0.1 SCRIPT LOAD "$script")
keys=("{$ns:p:x}:st" "{$ns:p:x}:u" "{$ns:p:x}:r" "{$ns:p:x}:pend" "{$ns:p:x}:unp" "{$ns:p:x}:late")
for path in sold_out reserve; do
  avail=0; [ "$path" = reserve ] && avail=100000000
  redis-cli -h 127.0.0.1 DEL "${keys[@]}" >/dev/null
  redis-cli -h 127.0.0.1 HSET "${keys[0]}" avail "$avail" total "$avail" >/dev/null
  echo "redis EVALSHA reserve ($path), $clients clients:"
  redis-benchmark -h 127.0.0.1 -q -n 100000 -c "$clients" -r 100000000 \
    EVALSHA "$sha" 6 "${keys[@]}" o__rand_int__ u__rand_int__ 1 0 1 20 100 a__rand_int__ | tr '\r' '\n' | grep -o '[0-9.]* requests per second.*' | sed 's/^/  /'
done
redis-cli -h 127.0.0.1 DEL "${keys[@]}" >/dev/null

export PGOPTIONS="-c search_path=$ns"
psql -q -h 127.0.0.1 -U postgres -d test -c "CREATE SCHEMA $ns"
trap 'psql -q -h 127.0.0.1 -U postgres -d test -c "SET client_min_messages = warning; DROP SCHEMA $ns CASCADE"' EXIT
psql -q -h 127.0.0.1 -U postgres -d test -f commerce/schema/migrations/001_commerce.sql >/dev/null
sqlfile=$(mktemp)
cat > "$sqlfile" <<'SQL'
\set n random(1, 2000000000)
WITH o AS (INSERT INTO commerce_orders (id, user_id, idem_key, request_hash, room, product_id, product_title, quantity, unit_price_minor, amount_minor, currency, status, provider, provider_txn, created_at, updated_at, expires_at, paid_at)
  VALUES ('o' || :n || '-' || :client_id || '-' || txid_current(), 'u' || :n, 'k' || :n || '-' || txid_current(), 'h', 'room', 'p1', 'Silk scarf', 1, 2599, 2599, 'USD', 'PENDING', '', '', 1, 1, 900001, 0) RETURNING id)
INSERT INTO commerce_outbox (id, event_type, payload, created_at) SELECT 'e' || id, 'created', '{"type":"created"}', 1 FROM o;
SQL
echo "pgbench order + outbox insert, $clients clients, 10 s:"
pgbench -h 127.0.0.1 -U postgres -n -c "$clients" -j 2 -T 10 -f "$sqlfile" test | grep -E "tps|latency average"
rm -f "$sqlfile"
