#!/usr/bin/env bash
# Throughput of examples/checkout with and without genmon-service's
# instrumentation, under wrk load; then the layer's per-request cost.
#   benches/service-overhead.sh [seconds per run, default 10] [rounds, default 3]
# Needs wrk (apt-get install wrk). Runs alternate so machine noise hits both.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
rounds=${2:-3}
command -v wrk >/dev/null || { echo "wrk missing: apt-get install wrk" >&2; exit 2; }
# A typical service release profile (the workspace's fat-LTO size profile is
# tuned for genmon-exporter and slow to build).
export CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_OPT_LEVEL=3 CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16
cargo build --locked --release -q -p genmon-service --example checkout
bin=target/release/examples/checkout
port=18181
mport=19191

run() { # $@: extra flags; prints requests/s
  "$bin" --listen 127.0.0.1:$port --metrics-listen 127.0.0.1:$mport "$@" &
  local pid=$!
  for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/" >/dev/null 2>&1 && break; sleep 0.1; done
  wrk -t2 -c64 -d"${secs}s" "http://127.0.0.1:$port/checkout/42" | awk '/Requests\/sec/ {print $2}'
  kill "$pid"
  wait "$pid" 2>/dev/null || true
}

best_bare=0 best_inst=0
for r in $(seq "$rounds"); do
  bare=$(run --no-metrics)
  inst=$(run)
  echo "round $r: without ${bare} req/s, with ${inst} req/s"
  best_bare=$(awk -v a="$best_bare" -v b="$bare" 'BEGIN{print (b>a)?b:a}')
  best_inst=$(awk -v a="$best_inst" -v b="$inst" 'BEGIN{print (b>a)?b:a}')
done
awk -v a="$best_bare" -v b="$best_inst" \
  'BEGIN{printf "best of %d: without %.0f req/s, with %.0f req/s, loss %.2f %% (goal < 1 %%)\n", '"$rounds"', a, b, (a-b)/a*100}'
cargo bench --locked -q -p genmon-service --bench layer
