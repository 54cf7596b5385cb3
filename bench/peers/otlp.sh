#!/usr/bin/env bash
# OTLP/HTTP ingest beside remote_write, on one `run`: the same 1,000 series a request (PeerPayloads'
# otlp-steady.bin and rw-steady.bin), wrk for DURATION s each after WARMUP s (default 20) of each.
# No peer here: Debian's prometheus 2.42 predates Prometheus's OTLP receiver (2.47), so the
# comparison is with our own remote_write path, which remote-write.sh compares with Prometheus's.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
need wrk curl python3
ensure_built
work="$(mktemp -d)"
trap 'stop_pid "${ours_pid:-}"; rm -rf "$work"' EXIT
NEW_BODIES=1 payloads "$work"
port=$(free_port)
start_ours "$work/ours" "$port"
url="http://127.0.0.1:$port"
printf 'path\tsamples/s\tp50\tp99\tnon-2xx\n'
BODY="$work/otlp-steady.bin" warm_up "otlp" "$peers/otlp.lua" "$url"
BODIES="$work/rw-steady.bin" warm_up "remote_write" "$peers/remote-write.lua" "$url"
rw=$(BODIES="$work/rw-steady.bin" load "remote_write steady" "$peers/remote-write.lua" "$url")
echo "$rw"
otlp=$(BODY="$work/otlp-steady.bin" load "OTLP-HTTP protobuf steady" "$peers/otlp.lua" "$url")
echo "$otlp"
echo
echo "otlp / remote_write $(ratio "$(echo "$otlp" | cut -f2)" "$(echo "$rw" | cut -f2)")"
