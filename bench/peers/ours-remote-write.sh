#!/usr/bin/env bash
# Ours alone on remote_write, for before/after figures of one change: `run` on a fresh data dir,
# WARMUP s (default 20) of steady load, not counted, then 40 s steady and 15 s of new series (as
# remote-write.sh).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
need wrk curl python3
ensure_built
work="$(mktemp -d)"
trap 'stop_pid "${ours_pid:-}"; rm -rf "$work"' EXIT
NEW_BODIES=1 payloads "$work"
port=$(free_port)
start_ours "$work/ours" "$port"
printf 'path\tsamples/s\tp50\tp99\tnon-2xx\n'
BODIES="$work/rw-steady.bin" warm_up "metrics-pipeline" "$peers/remote-write.lua" "http://127.0.0.1:$port"
BODIES="$work/rw-steady.bin" DURATION=40 load "steady" "$peers/remote-write.lua" "http://127.0.0.1:$port"
load "new series" "$peers/remote-write-new.lua" "http://127.0.0.1:$port"
