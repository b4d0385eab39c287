#!/usr/bin/env bash
# Time to first frame in headless Chromium: livesell beside other WHIP/WHEP
# servers, in one sitting, inside a network namespace whose only interface
# is loopback (as .ci/browser.sh). It RUNS peer binaries you built yourself;
# it never fetches or builds them.
#
#   sfu/bench/firstframe-peers.sh [--broadcast-box BIN] [--mediamtx BIN] [-- test flags]
#
# e.g. sfu/bench/firstframe-peers.sh --broadcast-box /tmp/peers/bin/broadcast-box \
#        --mediamtx /tmp/peers/bin/mediamtx -- -ff.rounds 6
#
# Both peers are bound to 127.0.0.1: Broadcast Box on HTTP 8090 (frontend
# off, ICE on lo with a UDP port per session: its UDP mux leaves loopback
# out), MediaMTX with WebRTC only on HTTP 8889 and
# UDP 8189 (RTSP, RTMP, HLS, SRT, MoQ, API off). Output: the benchmark's
# table (docs/benchmarks.md, "First frame in a browser").
set -euo pipefail
cd "$(dirname "$0")/../.."

bb= mtx=
while [ $# -gt 0 ]; do
  case "$1" in
    --broadcast-box) bb=$(realpath "$2"); shift 2 ;;
    --mediamtx) mtx=$(realpath "$2"); shift 2 ;;
    --) shift; break ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
command -v chromium >/dev/null || { echo "chromium is not installed" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go test -c -tags browser -o "$work/web.test" ./web/

peers=()
cat >"$work/run.sh" <<'EOF'
set -euo pipefail
ip link set lo up
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT
wait_port() { for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; echo "port $1 did not open" >&2; return 1; }
if [ -n "$BB" ]; then
  mkdir -p "$WORK/bb/profiles"
  (cd "$WORK/bb" && HTTP_ADDRESS=127.0.0.1:8090 DISABLE_FRONTEND=true INTERFACE_FILTER=lo \
    INCLUDE_LOOPBACK_CANDIDATE=true LOGGING_ENABLED=false \
    STREAM_PROFILE_PATH="$WORK/bb/profiles" exec "$BB" >"$WORK/bb.log" 2>&1) &
  pids+=($!)
  wait_port 8090
fi
if [ -n "$MTX" ]; then
  cat >"$WORK/mediamtx.yml" <<'YML'
logLevel: warn
api: false
metrics: false
pprof: false
playback: false
rtsp: false
rtmp: false
hls: false
srt: false
moq: false
webrtc: true
webrtcAddress: 127.0.0.1:8889
webrtcLocalUDPAddress: 127.0.0.1:8189
webrtcLocalTCPAddress: ""
paths:
  all_others:
YML
  (cd "$WORK" && exec "$MTX" "$WORK/mediamtx.yml" >"$WORK/mtx.log" 2>&1) &
  pids+=($!)
  wait_port 8889
fi
cd web
rc=0
LIVESELL_TEST_LOG=warn LIVESELL_CHROMIUM=$(command -v chromium) "$WORK/web.test" -test.v -test.timeout 60m \
  -test.run '^$' -test.bench FirstFrame -test.benchtime 1x -ff.peers "$PEERS" "$@" || rc=$?
if [ "$rc" != 0 ]; then
  for f in "$WORK"/bb.log "$WORK"/mtx.log; do [ -f "$f" ] && { echo "== $f"; tail -n 30 "$f"; }; done
fi
exit "$rc"
EOF
[ -n "$bb" ] && peers+=("broadcast-box,http://127.0.0.1:8090,/api/whip,/api/whep,ff{n}")
[ -n "$mtx" ] && peers+=("mediamtx,http://127.0.0.1:8889,/ff{n}/whip,/ff{n}/whep,")
PEERS=$(IFS=';'; echo "${peers[*]:-}")
ns=(unshare --net)
if [ "$(id -u)" != 0 ]; then ns=(unshare --net --map-root-user); fi
"${ns[@]}" env WORK="$work" BB="$bb" MTX="$mtx" PEERS="$PEERS" bash "$work/run.sh" "$@"
