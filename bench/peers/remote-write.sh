#!/usr/bin/env bash
# remote_write side by side: Debian's prometheus with --web.enable-remote-write-receiver and our
# push gateway under `run`, snappy WriteRequests of 1,000 series each by wrk for DURATION s. Two
# runs each: steady state (the same body over and over) and new series (remote-write-new.lua builds
# every request with series no request had before). Each server first gets WARMUP s (default 20) of
# the steady load, not counted (warm_up in lib.sh).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
need wrk prometheus curl python3
ensure_built
work="$(mktemp -d)"
trap 'stop_pid "${peer_pid:-}"; stop_pid "${ours_pid:-}"; rm -rf "$work"' EXIT
payloads "$work"
steady="$work/rw-steady.bin"

printf 'path\tsamples/s\tp50\tp99\tnon-2xx\n'
both() {
  local label="$1" url="$2"
  BODIES="$steady" warm_up "$label" "$peers/remote-write.lua" "$url"
  BODIES="$steady" load "$label steady" "$peers/remote-write.lua" "$url"
  load "$label new series" "$peers/remote-write-new.lua" "$url"
}

port=$(free_port)
echo "global: {scrape_interval: 1h}" >"$work/prometheus.yml"
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
  --web.listen-address="127.0.0.1:$port" --web.enable-remote-write-receiver >"$work/prometheus.log" 2>&1 &
peer_pid=$!
wait_http "http://127.0.0.1:$port/-/ready" 60
peer=$(both "prometheus 2.42 receiver" "http://127.0.0.1:$port")
echo "$peer"
stop_pid "$peer_pid"; peer_pid=

port=$(free_port)
start_ours "$work/ours" "$port"
ours=$(both "metrics-pipeline run (Kafka)" "http://127.0.0.1:$port")
echo "$ours"
stop_pid "$ours_pid"; ours_pid=

echo
echo "steady:      ours / prometheus $(ratio "$(echo "$ours" | sed -n 1p | cut -f2)" "$(echo "$peer" | sed -n 1p | cut -f2)")"
echo "new series:  ours / prometheus $(ratio "$(echo "$ours" | sed -n 2p | cut -f2)" "$(echo "$peer" | sed -n 2p | cut -f2)")"
