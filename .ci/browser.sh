#!/usr/bin/env bash
# Browser tests: headless Chromium against a livesell node, inside a private
# network namespace whose only interface is loopback, so that nothing can
# leave the machine. Builds the test binary outside the namespace (module
# downloads need the network), then runs it inside.
#
#   .ci/browser.sh                          # the browser tests
#   .ci/browser.sh -test.run TestEndToEnd   # extra flags go to the test binary
#   LIVESELL_BROWSER_RACE=0 .ci/browser.sh -test.run '^$' -test.bench GlassToGlass -test.benchtime 3x
#
# LIVESELL_BROWSER_RACE=0 builds without the race detector (for the
# glass-to-glass benchmark; the tests keep it on).
set -euo pipefail
cd "$(dirname "$0")/.."

# Chromium for the tests, and a CJK font so zh-CN pages render readable text
# in the screenshots (Debian's chromium brings no Chinese glyphs).
if ! command -v chromium >/dev/null 2>&1 || ! dpkg -s fonts-wqy-microhei >/dev/null 2>&1; then
  echo "browser: installing chromium and fonts-wqy-microhei"
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y chromium fonts-wqy-microhei
fi

go mod download
bin="$(mktemp -d)/livesell-web-browser.test"
trap 'rm -rf "$(dirname "$bin")"' EXIT
race=-race
if [ "${LIVESELL_BROWSER_RACE:-1}" = 0 ]; then race=; fi
go test -c $race -tags browser -o "$bin" ./web/

mkdir -p web/testdata/screenshots
ns=(unshare --net)
if [ "$(id -u)" != 0 ]; then ns=(unshare --net --map-root-user); fi
args=(-test.v -test.timeout 15m "$@")
quoted=$(printf ' %q' "${args[@]}")
"${ns[@]}" bash -c "ip link set lo up && cd web && LIVESELL_TEST_LOG=${LIVESELL_TEST_LOG:-warn} LIVESELL_CHROMIUM=$(command -v chromium) $(printf %q "$bin")$quoted"
