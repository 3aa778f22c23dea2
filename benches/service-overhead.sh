#!/usr/bin/env bash
# Throughput of examples/checkout with and without genmon-service's
# instrumentation, under wrk load, on two handlers:
#   trivial  GET /checkout/42: a few hashing rounds and a short text answer
#            (the worst case for the layer's share of the time);
#   json     POST /orders: a JSON API handler (parse a 0.3 KB order, 8 catalog
#            look-ups, a 1.8 KB JSON quote; benches/service-order.lua).
# Then the layer's per-request cost (cargo bench --bench layer).
#   benches/service-overhead.sh [seconds per run, default 10] [rounds, default 3]
# Needs wrk (apt-get install wrk). Runs alternate (and which goes first
# alternates by round) so machine noise hits both; every run is printed, then
# the median and best of each and the median of the rounds' paired losses.
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

tick_us=$(awk -v t="$(getconf CLK_TCK)" 'BEGIN {print 1e6 / t}')

run() { # $1: handler (trivial|json), then extra flags; prints "requests/s cpu-µs/request"
  local handler=$1
  shift
  "$bin" --listen 127.0.0.1:$port --metrics-listen 127.0.0.1:$mport "$@" &
  local pid=$!
  for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/" >/dev/null 2>&1 && break; sleep 0.1; done
  local out
  if [ "$handler" = json ]; then
    out=$(wrk -t2 -c64 -d"${secs}s" -s benches/service-order.lua "http://127.0.0.1:$port")
  else
    out=$(wrk -t2 -c64 -d"${secs}s" "http://127.0.0.1:$port/checkout/42")
  fi
  # The server's CPU time (user + system) per request: less noisy than
  # throughput on a busy machine, and what the layer's cost adds to.
  local ticks
  ticks=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  # A run with failed requests measures the failures: stop.
  if grep -q "Non-2xx\|Socket errors" <<<"$out"; then
    echo "$handler run had errors:" >&2
    echo "$out" >&2
    exit 1
  fi
  awk -v t="$ticks" -v us="$tick_us" '/requests in/ {n=$1} /Requests\/sec/ {r=$2} END {printf "%s %.2f\n", r, t*us/n}' <<<"$out"
}

stats() { # reads numbers, prints "median best"
  sort -g | awk '{v[NR]=$1} END {m=(NR%2)?v[(NR+1)/2]:(v[NR/2]+v[NR/2+1])/2; printf "%.0f %.0f\n", m, v[NR]}'
}

declare -A runs
for r in $(seq "$rounds"); do
  for h in trivial json; do
    # Alternate which goes first, so a drift within a round favours neither.
    if [ $((r % 2)) = 1 ]; then
      read -r bare bare_cpu < <(run "$h" --no-metrics)
      read -r inst inst_cpu < <(run "$h")
    else
      read -r inst inst_cpu < <(run "$h")
      read -r bare bare_cpu < <(run "$h" --no-metrics)
    fi
    echo "round $r, $h: without ${bare} req/s (${bare_cpu} µs CPU/request), with ${inst} req/s (${inst_cpu} µs CPU/request)"
    runs[$h.bare]+="$bare "
    runs[$h.inst]+="$inst "
    runs[$h.loss]+="$(awk -v a="$bare" -v b="$inst" 'BEGIN {printf "%.3f", (a-b)/a*100}') "
    runs[$h.bare_cpu]+="$bare_cpu "
    runs[$h.inst_cpu]+="$inst_cpu "
  done
done
for h in trivial json; do
  read -r bare_med bare_best < <(tr ' ' '\n' <<<"${runs[$h.bare]}" | grep . | stats)
  read -r inst_med inst_best < <(tr ' ' '\n' <<<"${runs[$h.inst]}" | grep . | stats)
  loss_med=$(tr ' ' '\n' <<<"${runs[$h.loss]}" | grep . | sort -g | awk '{v[NR]=$1} END {print (NR%2)?v[(NR+1)/2]:(v[NR/2]+v[NR/2+1])/2}')
  awk -v h="$h" -v n="$rounds" -v am="$bare_med" -v bm="$inst_med" -v ab="$bare_best" -v bb="$inst_best" -v lm="$loss_med" 'BEGIN {
    printf "%-7s median of %d: without %.0f, with %.0f req/s, loss %.2f %%; best: without %.0f, with %.0f, loss %.2f %%; median of the rounds\x27 losses %.2f %% (goal < 1 %%)\n",
      h, n, am, bm, (am-bm)/am*100, ab, bb, (ab-bb)/ab*100, lm }'
  bare_cpu=$(tr ' ' '\n' <<<"${runs[$h.bare_cpu]}" | grep . | sort -g | awk '{v[NR]=$1} END {print (NR%2)?v[(NR+1)/2]:(v[NR/2]+v[NR/2+1])/2}')
  inst_cpu=$(tr ' ' '\n' <<<"${runs[$h.inst_cpu]}" | grep . | sort -g | awk '{v[NR]=$1} END {print (NR%2)?v[(NR+1)/2]:(v[NR/2]+v[NR/2+1])/2}')
  awk -v h="$h" -v a="$bare_cpu" -v b="$inst_cpu" 'BEGIN {
    printf "%-7s median server CPU per request: without %.2f µs, with %.2f µs, +%.2f µs (+%.1f %%)\n", h, a, b, b-a, (b-a)/a*100 }'
done
cargo bench --locked -q -p genmon-service --bench layer
