#!/usr/bin/env bash
# livesell beside Broadcast Box and MediaMTX under the same media load, in
# one sitting on loopback: `livesell bench media` drives each server in
# turn (one at a time, a fresh process per run, the order rotated every
# round) and the script writes one table of medians and ratios
# (docs/benchmarks.md, "#13").
#
#   sfu/bench/peers.sh [--broadcast-box BIN | --broadcast-box-src DIR]
#                      [--mediamtx BIN | --mediamtx-src DIR]
#                      [--viewers "100 250"] [--codecs "h264 vp8"] [--rounds 3]
#                      [--duration 12s] [--out FILE]   (FILE's stem-runs/ keeps every report)
#
# The peers are YOUR binaries, or built here from sources you fetched
# yourself OUTSIDE this repository (--*-src runs `go build` in that
# directory; MediaMTX needs `replace` directives for gortsplib, mediacommon,
# gohlslib and gortmplib, placeholder internal/core/VERSION and
# internal/servers/hls/hls.min.js files). Nothing of theirs enters the repo.
#
# Load (the one of issue #13): one publisher, one layer without simulcast,
# 30 fps, 4 packets of 1,000 B per frame (960 kbps), a keyframe every 30
# frames, no audio; N viewers in one Pion process that pin no layer and
# negotiate NACK, RTCP reports and TWCC; H.264 42e01f packetization mode 1
# offered alone, or VP8 from Pion's codec list. Server CPU from
# /proc/<pid>/stat of the server process only, over a steady window with
# every viewer live, divided by the packets all viewers received in it.
#
# Servers, all on 127.0.0.1: livesell (embedded stores, ICE on lo, one
# shared UDP socket), Broadcast Box on HTTP 8090 (frontend off, ICE on lo;
# it offers no VP8, so it sits out the VP8 loads), MediaMTX with WebRTC
# only on HTTP 8889 and UDP 8189. Delivered: frames sent in the window
# whose last packet reached the viewer within 2 s.
set -euo pipefail
cd "$(dirname "$0")/../.."

bb= mtx= bbsrc= mtxsrc= out=
viewers="100 250" codecs="h264 vp8" rounds=3 duration=12s
while [ $# -gt 0 ]; do
  case "$1" in
    --broadcast-box) bb=$(realpath "$2"); shift 2 ;;
    --mediamtx) mtx=$(realpath "$2"); shift 2 ;;
    --broadcast-box-src) bbsrc=$(realpath "$2"); shift 2 ;;
    --mediamtx-src) mtxsrc=$(realpath "$2"); shift 2 ;;
    --viewers) viewers=$2; shift 2 ;;
    --codecs) codecs=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
repo=$(pwd)
for d in "$bbsrc" "$mtxsrc"; do
  case "$d" in "$repo"|"$repo"/*) echo "peer sources must live outside the repository: $d" >&2; exit 2 ;; esac
done

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
go build -o "$work/livesell" ./cmd/livesell
[ -n "$bbsrc" ] && (cd "$bbsrc" && GOFLAGS=-mod=mod go build -o "$work/broadcast-box" .) && bb=$work/broadcast-box
[ -n "$mtxsrc" ] && (cd "$mtxsrc" && GOFLAGS=-mod=mod go build -o "$work/mediamtx" .) && mtx=$work/mediamtx

servers=(livesell)
[ -n "$bb" ] && servers+=(broadcast-box)
[ -n "$mtx" ] && servers+=(mediamtx)
token=peers-bench-admin-token-0123456789abcdef

wait_port() { for _ in $(seq 200); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done; echo "port $1 did not open" >&2; return 1; }

# start NAME RUN: starts the server, sets pid and the bench flags.
start() {
  local name=$1 run=$2 dir=$work/run-$2
  mkdir -p "$dir/profiles"
  case "$name" in
    livesell)
      (cd "$dir" && LIVESELL_HTTP_ADDR=127.0.0.1:8105 LIVESELL_ICE_INTERFACES=lo LIVESELL_ADMIN_TOKEN=$token \
        LIVESELL_LOG_LEVEL=warn LIVESELL_DATA_DIR=$dir exec "$work/livesell" serve >"$dir/server.log" 2>&1) &
      pid=$!; wait_port 8105
      flags=(--server http://127.0.0.1:8105 --admin-token "$token") ;;
    broadcast-box)
      (cd "$dir" && HTTP_ADDRESS=127.0.0.1:8090 DISABLE_FRONTEND=true INTERFACE_FILTER=lo INCLUDE_LOOPBACK_CANDIDATE=true \
        LOGGING_ENABLED=false STREAM_PROFILE_PATH=$dir/profiles exec "$bb" >"$dir/server.log" 2>&1) &
      pid=$!; wait_port 8090
      flags=(--server http://127.0.0.1:8090 --whip-url http://127.0.0.1:8090/api/whip
        --whep-url http://127.0.0.1:8090/api/whep --bearer "bench$run") ;;
    mediamtx)
      cat >"$dir/mediamtx.yml" <<'YML'
logLevel: warn
api: false
metrics: false
pprof: false
playback: false
rtsp: false
rtmp: false
hls: false
srt: false
webrtc: true
webrtcAddress: 127.0.0.1:8889
webrtcLocalUDPAddress: 127.0.0.1:8189
webrtcLocalTCPAddress: ""
paths:
  all_others:
YML
      (cd "$dir" && exec "$mtx" "$dir/mediamtx.yml" >"$dir/server.log" 2>&1) &
      pid=$!; wait_port 8889
      flags=(--server http://127.0.0.1:8889 --whip-url "http://127.0.0.1:8889/bench$run/whip"
        --whep-url "http://127.0.0.1:8889/bench$run/whep") ;;
  esac
  pids+=("$pid")
}

# to_ms turns a Go duration (350µs, 6.3ms, 1.2s) into milliseconds.
to_ms() { awk -v d="$1" 'BEGIN{ if (d ~ /µs$/) { sub(/µs$/,"",d); print d/1000 } else if (d ~ /ms$/) { sub(/ms$/,"",d); print d+0 } else if (d ~ /s$/) { sub(/s$/,"",d); print d*1000 } else print "NaN" }'; }

results=$work/results.tsv
: >"$results"
started=$(date -u '+%Y-%m-%d %H:%M UTC')
load0=$(cut -d' ' -f1-3 /proc/loadavg)
run=0
for n in $viewers; do
  for codec in $codecs; do
    for r in $(seq "$rounds"); do
      k=${#servers[@]}
      for i in $(seq 0 $((k - 1))); do
        name=${servers[$(((i + r) % k))]}
        # Broadcast Box registers H.264, VP9, AV1 and H.265 but not VP8.
        [ "$name" = broadcast-box ] && [ "$codec" = vp8 ] && continue
        run=$((run + 1))
        start "$name" "$run"
        rep=$work/run-$run/report.txt
        if ! "$work/livesell" bench media "${flags[@]}" --server-pid "$pid" --viewers "$n" --publisher single \
          --codec "$codec" --viewers-pin auto --audio=false --duration "$duration" >"$rep" 2>&1; then
          echo "run $run ($name, $codec, $n viewers) failed:" >&2; tail -n 5 "$rep" >&2
        fi
        kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
        cpu=$(sed -n 's/.*, \([0-9.]*\) µs per packet received.*/\1/p' "$rep")
        deliv=$(sed -n 's/.*due (\([0-9.]*\)%.*/\1/p' "$rep")
        p50=$(sed -n 's/^  delay .*: p50 \([^ ]*\) .*/\1/p' "$rep")
        p99=$(sed -n 's/^  delay .* p99 \([^ ]*\) .*/\1/p' "$rep")
        join=$(sed -n 's/^  join .*: p50 \([0-9]*\) ms.*/\1/p' "$rep")
        rss=$(sed -n 's/^  server peak RSS: \([0-9]*\) MB/\1/p' "$rep")
        gen=$(sed -n 's/^  load generator CPU: \([0-9.]*\) cores.*/\1/p' "$rep")
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$codec" "$n" "$name" "$r" "${cpu:-NaN}" "${deliv:-NaN}" \
          "$(to_ms "${p50:-x}")" "$(to_ms "${p99:-x}")" "${join:-NaN}" "${rss:-NaN}" "${gen:-NaN}" >>"$results"
        echo "run $run: $codec $n viewers $name round $r: ${cpu:-?} µs/pkt, ${deliv:-?}% delivered, delay p50 ${p50:-?} p99 ${p99:-?}, RSS ${rss:-?} MB" >&2
      done
    done
  done
done
load1=$(cut -d' ' -f1-3 /proc/loadavg)

table() {
  echo "sfu/bench/peers.sh: started $started, $(nproc) CPUs, load average $load0 at the start and $load1 at the end;"
  echo "$rounds rounds of ${duration} windows, servers alternated; medians (min-max) per load; ratio = livesell / best peer."
  echo
  echo "| load | server | CPU per packet received | delivered of due | delay p50 / p99 | first video p50 | peak RSS | livesell CPU ratio |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
  awk -F'\t' '
    function med(key, col,   n, a, i, j, t, s) {
      n = split(vals[key, col], a, " ")
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
      load = toupper($1) " single layer, " $2 " viewers"; key = load SUBSEP $3
      if (!(load in seen)) { seen[load] = 1; loads[++nl] = load }
      if (!((load, $3) in have)) { have[load, $3] = 1; srv[load, ++ns[load]] = $3 }
      for (c = 5; c <= 11; c++) vals[key, c] = vals[key, c] " " $c
    }
    END {
      for (i = 1; i <= nl; i++) {
        L = loads[i]; best = ""
        for (j = 1; j <= ns[L]; j++) { s = srv[L, j]; if (s != "livesell") { m = med(L SUBSEP s, 5); if (best == "" || m + 0 < best + 0) best = m } }
        for (j = 1; j <= ns[L]; j++) {
          s = srv[L, j]; k = L SUBSEP s
          ratio = ""
          if (s == "livesell" && best != "" && best + 0 > 0) ratio = sprintf("**%.2f×**", med(k, 5) / best)
          printf "| %s | %s | %.1f µs (%s) | %.2f %% | %.1f / %.1f ms | %s ms | %s MB | %s |\n", L, s, med(k, 5), rng(k, 5), med(k, 6), med(k, 7), med(k, 8), med(k, 9), med(k, 10), ratio
        }
      }
    }' "$results"
  echo
  echo "Raw runs (codec, viewers, server, round, µs/pkt, delivered %, delay p50 ms, p99 ms, first video p50 ms, peak RSS MB, load generator cores):"
  echo
  echo '```'
  cat "$results"
  echo '```'
}
if [ -n "$out" ]; then
  table | tee "$out"
  mkdir -p "${out%.*}-runs" && for d in "$work"/run-*; do cp "$d/report.txt" "${out%.*}-runs/$(basename "$d").txt"; done
else
  table
fi
