#!/usr/bin/env bash
# The Pushgateway API side by side: Debian's prometheus-pushgateway (default, then memory only with
# --push.disable-consistency-check) and our push gateway under `run` (durable in Kafka), the same
# 1,000-sample body PUT over 200 groups by wrk (THREADS=2, CONNECTIONS=8, DURATION=15 s). Each server
# first gets WARMUP s (default 20) of the same load, not counted (warm_up in lib.sh).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
need wrk prometheus-pushgateway curl python3
ensure_built
work="$(mktemp -d)"
trap 'stop_pid "${peer_pid:-}"; stop_pid "${ours_pid:-}"; rm -rf "$work"' EXIT
payloads "$work"
export BODY="$work/pushgateway.txt" PUSH_GROUPS="${PUSH_GROUPS:-200}"

printf 'path\tsamples/s\tp50\tp99\tnon-2xx\n'
run_peer() {
  local label="$1"; shift
  local port; port=$(free_port)
  prometheus-pushgateway --web.listen-address="127.0.0.1:$port" "$@" >"$work/pushgateway.log" 2>&1 &
  peer_pid=$!
  wait_http "http://127.0.0.1:$port/-/ready" 30
  warm_up "$label" "$peers/pushgateway.lua" "http://127.0.0.1:$port"
  load "$label" "$peers/pushgateway.lua" "http://127.0.0.1:$port"
  stop_pid "$peer_pid"; peer_pid=
}
peer_default=$(run_peer "prometheus-pushgateway (default)")
echo "$peer_default"
peer_memory=$(run_peer "prometheus-pushgateway (memory only)" --push.disable-consistency-check)
echo "$peer_memory"

port=$(free_port)
start_ours "$work/ours" "$port"
warm_up "metrics-pipeline" "$peers/pushgateway.lua" "http://127.0.0.1:$port"
ours=$(load "metrics-pipeline run (Kafka)" "$peers/pushgateway.lua" "http://127.0.0.1:$port")
echo "$ours"
stop_pid "$ours_pid"; ours_pid=

o=$(echo "$ours" | cut -f2)
echo
echo "ours / pushgateway default:     $(ratio "$o" "$(echo "$peer_default" | cut -f2)")"
echo "ours / pushgateway memory only: $(ratio "$o" "$(echo "$peer_memory" | cut -f2)")"
