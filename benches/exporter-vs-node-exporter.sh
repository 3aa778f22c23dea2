#!/usr/bin/env bash
# Compare genmon-exporter with node_exporter, both with their default
# collectors (genmon-exporter exports node_exporter's families: see
# tests/exporter_node_compat.rs): families, series count, body size, RSS (idle
# and after load), CPU per scrape and per series (utime+stime from
# /proc/PID/stat around a wrk run), p50/p99 latency.
# Usage: benches/exporter-vs-node-exporter.sh [wrk seconds, default 15]
set -euo pipefail
cd "$(dirname "$0")/.."
DUR="${1:-15}"
IDLE="${IDLE:-30}"

need() { command -v "$1" >/dev/null 2>&1; }
if ! need prometheus-node-exporter || ! need wrk; then
  apt-get update -qq && apt-get install -y -qq prometheus-node-exporter wrk >/dev/null
fi
cargo build --release --bin genmon-exporter 2>&1 | tail -1

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
TICKS=$(getconf CLK_TCK)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
# Major page faults (field 12): pages read back from disk, e.g. code paged
# out at startup (crates/genmon-exporter/src/memory.rs) that a scrape runs for the first time.
majflt() { awk '{print $12}' "/proc/$1/stat"; }
# Time its threads spent runnable but waiting for a CPU (ns, the second field
# of schedstat): a p99 that grows with this is the machine's other load, not a
# stall of the exporter's own.
run_wait_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{s+=$2} END{printf "%d", s}'; }
rss_kb() { awk '/^VmRSS/{print $2}' "/proc/$1/status"; }
wait_up() { for _ in $(seq 100); do curl -sf -o /dev/null "http://$1/metrics" && return 0; sleep 0.1; done; echo "$1 did not come up" >&2; exit 1; }

declare -A R
measure() { # name pid addr
  local name=$1 pid=$2 addr=$3
  wait_up "$addr"
  local body; body=$(curl -s "http://$addr/metrics")
  R[$name.series]=$(grep -vc '^#' <<<"$body")
  R[$name.families]=$(grep -c '^# TYPE' <<<"$body")
  R[$name.bytes]=$(printf '%s' "$body" | wc -c)
  sleep "$IDLE"
  R[$name.rss_idle]=$(rss_kb "$pid")
  local t0; t0=$(cpu_ticks "$pid")
  local f0; f0=$(majflt "$pid")
  local w0; w0=$(run_wait_ns "$pid")
  local out; out=$(wrk -t1 -c1 -d"${DUR}s" --latency "http://$addr/metrics")
  local t1; t1=$(cpu_ticks "$pid")
  R[$name.majflt]=$(( $(majflt "$pid") - f0 ))
  R[$name.rss_load]=$(rss_kb "$pid")
  local reqs; reqs=$(awk '/requests in/{print $1}' <<<"$out")
  R[$name.reqs]=$reqs
  R[$name.wait_ms]=$(awk -v a="$w0" -v b="$(run_wait_ns "$pid")" -v n="$reqs" 'BEGIN{printf "%.3f", (b-a)/1e6/n}')
  R[$name.cpu_ms]=$(awk -v a="$t0" -v b="$t1" -v n="$reqs" -v hz="$TICKS" 'BEGIN{printf "%.3f", (b-a)/hz*1000/n}')
  R[$name.cpu_us_series]=$(awk -v ms="${R[$name.cpu_ms]}" -v s="${R[$name.series]}" 'BEGIN{printf "%.3f", ms*1000/s}')
  R[$name.p50]=$(awk '$1=="50%"{print $2}' <<<"$out")
  R[$name.p99]=$(awk '$1=="99%"{print $2}' <<<"$out")
}

NP=$(free_port)
prometheus-node-exporter --web.listen-address="127.0.0.1:$NP" >/dev/null 2>&1 &
PIDS+=($!); NPID=$!
GP=$(free_port)
./target/release/genmon-exporter --web.listen-address="127.0.0.1:$GP" --log.level=warn >/dev/null 2>&1 &
PIDS+=($!); GPID=$!

# Run sequentially so the two never compete for the 2 cores.
measure node "$NPID" "127.0.0.1:$NP"
measure genmon "$GPID" "127.0.0.1:$GP"

to_ms() { awk -v v="$1" 'BEGIN{ if (v ~ /us$/) {sub(/us/,"",v); printf "%.3f", v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v); printf "%.3f", v} else {sub(/s/,"",v); printf "%.3f", v*1000} }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b==0) print "n/a"; else printf "%.2f", a/b }'; }

printf '\n%-26s %14s %14s %8s\n' metric node_exporter genmon ratio
row() { printf '%-26s %14s %14s %8s\n' "$1" "$2" "$3" "$(ratio "$3" "$2")"; }
row "families" "${R[node.families]}" "${R[genmon.families]}"
row "series" "${R[node.series]}" "${R[genmon.series]}"
row "body bytes" "${R[node.bytes]}" "${R[genmon.bytes]}"
row "RSS idle (KiB)" "${R[node.rss_idle]}" "${R[genmon.rss_idle]}"
row "RSS after load (KiB)" "${R[node.rss_load]}" "${R[genmon.rss_load]}"
row "scrapes in ${DUR}s" "${R[node.reqs]}" "${R[genmon.reqs]}"
row "CPU ms / scrape" "${R[node.cpu_ms]}" "${R[genmon.cpu_ms]}"
row "CPU us / series" "${R[node.cpu_us_series]}" "${R[genmon.cpu_us_series]}"
row "p50 latency (ms)" "$(to_ms "${R[node.p50]}")" "$(to_ms "${R[genmon.p50]}")"
row "p99 latency (ms)" "$(to_ms "${R[node.p99]}")" "$(to_ms "${R[genmon.p99]}")"
row "major faults under load" "${R[node.majflt]}" "${R[genmon.majflt]}"
row "CPU wait ms / scrape" "${R[node.wait_ms]}" "${R[genmon.wait_ms]}"
echo
echo "goals: CPU/series ratio <= 0.50, RSS after load ratio <= 0.33, p99 ratio <= 0.50"
echo "node_exporter: $(prometheus-node-exporter --version 2>&1 | head -1)"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs (other work on the machine inflates p99)"
