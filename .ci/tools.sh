#!/usr/bin/env bash
# Installs the programs the Go tests run beside the code, if missing:
# ffmpeg and ffprobe (sfu/synth encodes real test media with them; the
# recording tests probe what livesell wrote). Idempotent.
set -euo pipefail

if ! command -v ffmpeg >/dev/null 2>&1 || ! command -v ffprobe >/dev/null 2>&1; then
  echo "tools: installing ffmpeg"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y ffmpeg; then
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y ffmpeg
  fi
fi
