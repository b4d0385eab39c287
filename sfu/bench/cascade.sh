#!/usr/bin/env bash
# One room beyond one machine, measured on one machine (issue 17): 1 origin
# and 2 cascade edges as three livesell processes on loopback, the
# publisher on the origin and N viewers on each edge; then the same load on
# one node (2N viewers on the origin itself), alternated in the same
# sitting. `livesell bench media --whep-nodes` drives both and reports per
# node the CPU of its process per forwarded packet and the viewers'
# delivered/due and end-to-end delay; the script writes one table of
# medians and ratios (docs/benchmarks.md, "cascade").
#
#   sfu/bench/cascade.sh [--viewers 100] [--rounds 2] [--duration 20s]
#                        [--loads "h264 vp8 simulcast"] [--out FILE]  (FILE's stem-runs/ keeps every report)
#
# Backends: the machine's real Redis, PostgreSQL and NATS on 127.0.0.1
# (LIVESELL_TEST_REDIS_URL, LIVESELL_TEST_DATABASE_URL and
# LIVESELL_TEST_NATS_URL override them), shared by the three nodes as a
# cluster shares them; each run of the script takes a fresh namespace
# (LIVESELL_NAMESPACE: Redis keys, NATS subjects and streams) and a fresh
# PostgreSQL schema (search_path), dropped on exit with the namespace's
# Redis keys (its JetStream streams, if any were made, are left in NATS).
#
# Loads: h264 / vp8 = one layer without rid, 960 kbps (4 packets of 1,000 B
# per frame at 30 fps), keyframe every 30 frames, viewers pin nothing;
# simulcast = q/h/f at 250k/650k/1.6M, viewers pinned to h (simulcast-q,
# simulcast-f: pinned to q or f). No audio. Every
# run makes its own room through the origin's admin API.
set -euo pipefail
cd "$(dirname "$0")/../.."

viewers=100 rounds=2 duration=20s loads="h264 vp8 simulcast" out=
while [ $# -gt 0 ]; do
  case "$1" in
    --viewers) viewers=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --loads) loads=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done

pg=${LIVESELL_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}
redis=${LIVESELL_TEST_REDIS_URL:-redis://127.0.0.1:6379/0}
nats=${LIVESELL_TEST_NATS_URL:-nats://127.0.0.1:4222}
ns=cascade$(date +%s)$$
token=cascade-bench-admin-token-0123456789abcdef
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null || true; done
  psql -q "$pg" -c "DROP SCHEMA IF EXISTS $ns CASCADE" >/dev/null 2>&1 || true
  redis-cli -u "$redis" --scan --pattern "$ns*" 2>/dev/null | xargs -r -n 100 redis-cli -u "$redis" del >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

psql -q "$pg" -c "CREATE SCHEMA $ns" >/dev/null
case "$pg" in *\?*) dburl="$pg&search_path=$ns" ;; *) dburl="$pg?search_path=$ns" ;; esac
go build -o "$work/livesell" ./cmd/livesell

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() { for _ in $(seq 400); do port_open "$1" && return 0; sleep 0.05; done; echo "port $1 did not open" >&2; return 1; }

# node NAME HTTP UDP: starts a cascade node; sets pid.
node() {
  local name=$1 http=$2 udp=$3 dir=$work/$1
  if port_open "$http"; then echo "port $http is taken" >&2; exit 1; fi
  mkdir -p "$dir"
  (cd "$dir" && LIVESELL_HTTP_ADDR=127.0.0.1:$http LIVESELL_PUBLIC_URL=http://127.0.0.1:$http LIVESELL_UDP_PORT=$udp \
    LIVESELL_ICE_INTERFACES=lo LIVESELL_CASCADE=true LIVESELL_NODE_SECRET=cascade-bench-node-secret-0123456789abcdef \
    LIVESELL_ADMIN_TOKEN=$token LIVESELL_JWT_SECRET=cascade-bench-jwt-secret-0123456789abcdef \
    LIVESELL_SANDBOX_SECRET=cascade-bench-sandbox-secret-0123456789 LIVESELL_NAMESPACE=$ns \
    LIVESELL_DATABASE_URL=$dburl LIVESELL_REDIS_URL=$redis LIVESELL_NATS_URL=$nats \
    LIVESELL_LOG_LEVEL=warn LIVESELL_DATA_DIR=$dir exec "$work/livesell" serve >"$dir/server.log" 2>&1) &
  pid=$!
  pids+=("$pid")
  wait_port "$http"
}
node origin 8301 8311; origin=$pid
node edge1 8302 8312; edge1=$pid
node edge2 8303 8313; edge2=$pid
O=http://127.0.0.1:8301 E1=http://127.0.0.1:8302 E2=http://127.0.0.1:8303

load_flags() {
  case "$1" in
    h264) echo "--publisher single --codec h264 --viewers-pin auto" ;;
    vp8) echo "--publisher single --codec vp8 --viewers-pin auto" ;;
    simulcast) echo "--publisher simulcast --codec vp8 --viewers-pin layer --layer h" ;;
    simulcast-q | simulcast-f) echo "--publisher simulcast --codec vp8 --viewers-pin layer --layer ${1#simulcast-}" ;;
    *) echo "unknown load $1" >&2; exit 2 ;;
  esac
}

results=$work/results.tsv
: >"$results"
started=$(date -u '+%Y-%m-%d %H:%M UTC')
load0=$(cut -d' ' -f1-3 /proc/loadavg)
run=0
for r in $(seq "$rounds"); do
  for load in $loads; do
    for mode in cascade single; do
      run=$((run + 1))
      rep=$work/run-$run.txt
      if [ "$mode" = cascade ]; then
        nodes=(--whep-nodes "$E1,$E2" --server-pids "$edge1,$edge2" --viewers $((2 * viewers)))
      else
        nodes=(--whep-nodes "$O" --server-pids "$origin" --viewers $((2 * viewers)))
      fi
      # shellcheck disable=SC2046
      if ! "$work/livesell" bench media --server "$O" --server-pid "$origin" --admin-token "$token" "${nodes[@]}" \
        $(load_flags "$load") --audio=false --duration "$duration" >"$rep" 2>&1; then
        echo "run $run ($load, $mode) failed:" >&2; tail -n 5 "$rep" >&2; continue
      fi
      la=$(cut -d' ' -f1 /proc/loadavg)
      # The per-node rows: | node | role | pid | viewers | links | CPU | forwarded | µs | delivered | delay | first video |
      awk -F' *\\| *' -v ld="$load" -v mode="$mode" -v r="$r" -v la="$la" '/^  \| http/ {
          cores = $7; sub(/.*\(/, "", cores); sub(/ cores\).*/, "", cores)
          fwd = $8; sub(/ .*/, "", fwd)
          del = $10; sub(/ %/, "", del); if (del == "-") del = "NaN"
          p50 = $11; p99 = $11; sub(/ \/.*/, "", p50); sub(/.*\/ /, "", p99); sub(/ ms/, "", p99); if (p50 == "-") { p50 = "NaN"; p99 = "NaN" }
          fv = $12; sub(/ ms.*/, "", fv); if (fv == "-") fv = "NaN"
          us = $9; if (us == "-") us = "NaN"
          printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", ld, mode, r, $2, $3, $5, us, cores, fwd, del, p50, p99, fv, la
        }' "$rep" >>"$results"
      echo "run $run: round $r $load $mode done (load average $la)" >&2
    done
  done
done
load1=$(cut -d' ' -f1-3 /proc/loadavg)

table() {
  echo "sfu/bench/cascade.sh: started $started, $(nproc) CPUs, load average $load0 at the start and $load1 at the end;"
  echo "$rounds rounds of ${duration} windows, cascade and single node alternated; $viewers viewers per edge, $((2 * viewers)) on the single node; medians (min-max)."
  echo
  echo "| load | setup | node | viewers | CPU per forwarded packet | cores | forwarded pkt/s | delivered of due | e2e delay p50 / p99 | first video p50 |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
  awk -F'\t' -v d="${duration%s}" '
    function med(key, col,   n, a, i, j, t) {
      n = split(vals[key, col], a, " ")
      for (i = 1; i <= n; i++) if (a[i] == "NaN") return "NaN"
      for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
      if (n == 0) return "NaN"
      if (n % 2) return a[(n + 1) / 2]
      return (a[n / 2] + a[n / 2 + 1]) / 2
    }
    function rng(key, col,   n, a, i, lo, hi) {
      n = split(vals[key, col], a, " "); lo = a[1]; hi = a[1]
      for (i = 2; i <= n; i++) { if (a[i] + 0 < lo + 0) lo = a[i]; if (a[i] + 0 > hi + 0) hi = a[i] }
      return lo "-" hi
    }
    {
      who = $5; if ($5 == "edge") { who = $4; sub(/.*:/, "edge :", who) }
      key = $1 SUBSEP $2 SUBSEP who
      if (!(key in seen)) { seen[key] = 1; keys[++nk] = key }
      for (c = 6; c <= 13; c++) vals[key, c] = vals[key, c] " " $c
    }
    END {
      for (i = 1; i <= nk; i++) {
        split(keys[i], k, SUBSEP)
        dl = med(keys[i], 10); dl = (dl == "NaN") ? "-" : sprintf("%.2f %%", dl)
        dy = med(keys[i], 11); dy = (dy == "NaN") ? "-" : sprintf("%.1f / %.1f ms", dy, med(keys[i], 12))
        fv = med(keys[i], 13); fv = (fv == "NaN") ? "-" : fv " ms"
        printf "| %s | %s | %s | %s | %.2f µs (%s) | %.2f | %.0f | %s | %s | %s |\n", k[1], k[2], k[3], med(keys[i], 6),
          med(keys[i], 7), rng(keys[i], 7), med(keys[i], 8), med(keys[i], 9) / d, dl, dy, fv
      }
    }' "$results"
  echo
  echo "Raw rows (load, setup, round, node, role, viewers, µs per forwarded packet, cores, forwarded packets, delivered %, delay p50 ms, p99 ms, first video p50 ms, load average after the run):"
  echo
  echo '```'
  cat "$results"
  echo '```'
}
if [ -n "$out" ]; then
  table | tee "$out"
  mkdir -p "${out%.*}-runs" && cp "$work"/run-*.txt "${out%.*}-runs/"
else
  table
fi
