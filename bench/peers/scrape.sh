#!/usr/bin/env bash
# Scraping side by side: Debian's prometheus and our scraper (`metrics-pipeline scraper`, publishing
# to the Kafka of a `run` beside it) scrape the same TARGETS synthetic targets, each serving one real
# node_exporter page (targets.py), every INTERVAL for DURATION s after WARMUP s (default 15; a
# JVM's C2 compiler threads still took 27% of the scraper's CPU 40-100 s after its start, so give
# WARMUP=150 for the steady state; both scrapers get the same). Printed: the
# CPU seconds each scraper process used per million samples scraped (/proc/PID/stat user+system;
# samples from prometheus_tsdb_head_samples_appended_total and scraper_samples_published_total).
set -euo pipefail
# Read before lib.sh, whose DURATION default (15 s) is wrk's.
duration="${DURATION:-60}"
WARMUP="${WARMUP:-15}"
source "$(dirname "$0")/lib.sh"
DURATION="$duration"
need prometheus prometheus-node-exporter curl python3
ensure_built
TARGETS="${TARGETS:-100}"
INTERVAL="${INTERVAL:-1s}"
work="$(mktemp -d)"
trap 'stop_pid "${targets_pid:-}"; stop_pid "${peer_pid:-}"; stop_pid "${scraper_pid:-}"; stop_pid "${ours_pid:-}"; rm -rf "$work"' EXIT

port=$(free_port)
prometheus-node-exporter --web.listen-address="127.0.0.1:$port" >"$work/ne.log" 2>&1 &
ne_pid=$!
wait_http "http://127.0.0.1:$port/metrics" 30
curl -s "http://127.0.0.1:$port/metrics" >"$work/body.txt"
stop_pid "$ne_pid"
per_target=$(grep -vc '^#' "$work/body.txt")
python3 "$peers/targets.py" "$work/body.txt" "$TARGETS" >"$work/targets.txt" &
targets_pid=$!
for _ in $(seq 1 50); do [ "$(wc -l <"$work/targets.txt")" -ge "$TARGETS" ] && break; sleep 0.2; done
targets=$(sed "s/.*/'&'/" "$work/targets.txt" | paste -sd, -)
cat >"$work/scrape.yml" <<YML
global: {scrape_interval: $INTERVAL, scrape_timeout: $INTERVAL}
scrape_configs:
  - job_name: synthetic
    static_configs: [{targets: [$targets]}]
YML

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
counter() { curl -s "$1" | awk -v n="$2" '$1 == n || index($1, n "{") == 1 {s += $NF} END {printf "%.0f", s}'; }
# measure NAME PID METRICS_URL COUNTER: CPU seconds per million samples over DURATION s.
measure() {
  local hz c0 s0 c1 s1
  hz=$(getconf CLK_TCK)
  sleep "$WARMUP"
  c0=$(ticks "$2"); s0=$(counter "$3" "$4")
  sleep "$DURATION"
  c1=$(ticks "$2"); s1=$(counter "$3" "$4")
  python3 -c "import sys; c=(int(sys.argv[2])-int(sys.argv[1]))/int(sys.argv[5]); s=int(sys.argv[4])-int(sys.argv[3]); print(f'$1\t{s/$DURATION:,.0f}\t{c:.1f}\t{c/(s/1e6):.2f}')" "$c0" "$c1" "$s0" "$s1" "$hz"
}

echo "$TARGETS targets of $per_target samples each, every $INTERVAL, measured for $DURATION s after $WARMUP s"
printf 'scraper\tsamples/s\tCPU s\tCPU s per million samples\n'
port=$(free_port)
prometheus --config.file="$work/scrape.yml" --storage.tsdb.path="$work/tsdb" \
  --web.listen-address="127.0.0.1:$port" >"$work/prometheus.log" 2>&1 &
peer_pid=$!
wait_http "http://127.0.0.1:$port/-/ready" 60
peer=$(measure "prometheus 2.42" "$peer_pid" "http://127.0.0.1:$port/metrics" prometheus_tsdb_head_samples_appended_total)
echo "$peer"
stop_pid "$peer_pid"; peer_pid=

kafka_port=$(free_port); registry_port=$(free_port); push_port=$(free_port); scraper_port=$(free_port)
echo "scrape_configs: []" >"$work/empty.yml"
METRICS_PIPELINE_JAVA_OPTS="-Xmx1g" "$root/metrics-pipeline" run --data-dir "$work/ours" \
  --kafka-port "$kafka_port" --schema-registry-port "$registry_port" --query-port 0 --scraper-port 0 \
  --push-port "$push_port" --otlp-grpc-port -1 --scrape-config "$work/empty.yml" \
  --status-interval PT0S >"$work/ours.log" 2>&1 &
ours_pid=$!
wait_http "http://127.0.0.1:$push_port/-/ready" 180
METRICS_PIPELINE_JAVA_OPTS="-Xmx1g ${SCRAPER_JAVA_OPTS:-}" "$root/metrics-pipeline" scraper \
  --bootstrap-servers "127.0.0.1:$kafka_port" --schema-registry "http://127.0.0.1:$registry_port" \
  --scrape-config "$work/scrape.yml" --listen-address 127.0.0.1 --port "$scraper_port" \
  >"$work/scraper.log" 2>&1 &
scraper_pid=$!
wait_http "http://127.0.0.1:$scraper_port/-/ready" 120
ours=$(measure "metrics-pipeline scraper" "$scraper_pid" "http://127.0.0.1:$scraper_port/metrics" scraper_samples_published_total)
echo "$ours"
echo
echo "CPU per million samples, ours / prometheus: $(ratio "$(echo "$ours" | cut -f4)" "$(echo "$peer" | cut -f4)")"
