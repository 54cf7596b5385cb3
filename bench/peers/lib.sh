# Shared by the side-by-side scripts: ports, waiting, wrk runs and their figures.
# Sourced, not run. Needs wrk (Debian: apt-get install wrk) and the peers from Debian's packages.

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
peers="$root/bench/peers"
bench_jar="$root/bench/target/benchmarks.jar"
DURATION="${DURATION:-15}"
THREADS="${THREADS:-2}"
CONNECTIONS="${CONNECTIONS:-8}"

need() {
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 || { echo "$0: '$tool' is missing (Debian: apt-get install ${tool/prometheus-pushgateway/prometheus-pushgateway})" >&2; exit 1; }
  done
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_http URL [SECONDS]: until the URL answers (any status below 500).
wait_http() {
  local url="$1" limit="${2:-120}" i
  for i in $(seq 1 "$limit"); do
    code=$(curl -s -o /dev/null -w '%{http_code}' "$url" || true)
    if [ -n "$code" ] && [ "$code" != "000" ] && [ "$code" -lt 500 ]; then return 0; fi
    sleep 1
  done
  echo "$0: $url did not answer within ${limit} s" >&2
  return 1
}

ensure_built() {
  if [ ! -f "$bench_jar" ] || [ ! -f "$root/launcher/target/metrics-pipeline.jar" ]; then
    (cd "$root" && ./mvnw -B -q -DskipTests -DskipITs -Dspotless.check.skip=true -pl bench,launcher -am package)
  fi
}

payloads() {
  local dir="$1"
  [ -f "$dir/rw-steady.bin" ] || java -cp "$bench_jar" dev.metricspipeline.bench.PeerPayloads "$dir" "${NEW_BODIES:-300}" >/dev/null
}

# load NAME LUA URL: runs wrk; prints "NAME samples/s p50 p99 errors" and keeps the raw output.
load() {
  local name="$1" lua="$2" url="$3" out
  out="$work/wrk-${name// /_}.txt"
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$lua" "$url" >"$out" 2>&1
  python3 - "$out" "$name" "${SAMPLES_PER_REQUEST:-1000}" "$DURATION" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
name, per, duration = sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
total = int(re.search(r"(\d+) requests in", text).group(1))
bad = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
bad = int(bad.group(1)) if bad else 0
errors = re.search(r"Socket errors: (.*)", text)
def pct(p):
    m = re.search(r"^\s+%s%%\s+(\S+)" % p, text, re.M)
    return m.group(1) if m else "?"
secs = re.search(r"requests in ([\d.]+)(m?s|m)", text)
elapsed = float(secs.group(1)) * {"s": 1, "ms": 0.001, "m": 60}[secs.group(2)] if secs else duration
rate = (total - bad) * per / elapsed
print(f"{name}\t{rate:,.0f}\t{pct(50)}\t{pct(99)}\t{bad}{' ' + errors.group(1) if errors else ''}")
PY
}

# warm_up NAME LUA URL: WARMUP s (default 20) of a load, not counted: our JVM's JIT needs it (C2
# took a fifth of the CPU in an unwarmed 15 s run), and each peer gets the same. BODY or BODIES as
# for load.
warm_up() {
  DURATION="${WARMUP:-20}" load "$1 warm-up" "$2" "$3" >/dev/null
}

# ratio OURS THEIRS: prints ours/theirs with two decimals.
ratio() {
  python3 -c "import sys; o,t=float(sys.argv[1].replace(',','')),float(sys.argv[2].replace(',','')); print(f'{o/t:.2f}x' if t else 'n/a')" "$1" "$2"
}

# start_ours DATA_DIR PUSH_PORT: run on free ports, no self-scrape, logs in DATA_DIR.log.
start_ours() {
  local data="$1" port="$2" empty="$work/no-scrape.yml"
  echo "scrape_configs: []" >"$empty"
  METRICS_PIPELINE_JAVA_OPTS="${OURS_JAVA_OPTS:--Xmx1g}" "$root/metrics-pipeline" run --data-dir "$data" \
    --kafka-port 0 --schema-registry-port 0 --query-port 0 --scraper-port 0 --push-port "$port" \
    --otlp-grpc-port 0 --scrape-config "$empty" --status-interval PT0S >"$data.log" 2>&1 &
  ours_pid=$!
  wait_http "http://127.0.0.1:$port/-/ready" 180
}

stop_pid() {
  [ -n "${1:-}" ] || return 0
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}
