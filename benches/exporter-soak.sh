#!/usr/bin/env bash
# Soak genmon-exporter: 16 concurrent scrapes for $DUR seconds (default 300)
# while every scrape probes hostile targets (endless body, no answer, a body
# dripping one byte a second, 1 MiB of headers) and the textfile directory
# holds a FIFO, a /dev/zero symlink and a file over the size limit.
# Reports requests, errors (non-2xx, socket errors, timeouts), p50/p99
# latency and the exporter's RSS at start, middle and end.
# Usage: benches/exporter-soak.sh [seconds]; GENMON_BUILD=0 skips the build.
set -euo pipefail
cd "$(dirname "$0")/.."
DUR="${1:-300}"

if ! command -v wrk >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
if [ "${GENMON_BUILD:-1}" != 0 ]; then
  cargo build --locked --release --bin genmon-exporter 2>&1 | tail -1
fi

tmp=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT
rss_mb() { awk '/^VmRSS/{printf "%.1f", $2/1024}' "/proc/$1/status"; }
hwm_mb() { awk '/^VmHWM/{printf "%.1f", $2/1024}' "/proc/$1/status"; }

python3 benches/python/hostile_targets.py "$tmp/port" &
PIDS+=($!)
for _ in $(seq 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
T="127.0.0.1:$(cat "$tmp/port")"

mkdir "$tmp/textfile"
echo 'soak_ok 1' >"$tmp/textfile/good.prom"
mkfifo "$tmp/textfile/fifo.prom"
ln -s /dev/zero "$tmp/textfile/zero.prom"
head -c 40000000 /dev/zero | tr '\0' '#' >"$tmp/textfile/big.prom"
cat >"$tmp/genmon.yaml" <<YAML
exporter:
  probes:
    - {name: ok, url: "http://$T/ok", timeout: 1s}
    - {name: infinite, url: "http://$T/infinite", timeout: 1s}
    - {name: never, url: "http://$T/never", timeout: 1s}
    - {name: drip, url: "http://$T/drip", timeout: 1s}
    - {name: huge-headers, url: "http://$T/huge-headers", timeout: 1s}
    - {name: secret, url: "http://user:hunter2@$T/ok?token=abc", timeout: 1s}
  textfile: {directory: $tmp/textfile}
YAML

./target/release/genmon-exporter --web.listen-address=127.0.0.1:0 --log.format=json --log.level=error \
  --web.max-requests=16 --config.file="$tmp/genmon.yaml" 2>"$tmp/log" &
EPID=$!
PIDS+=($EPID)
sleep 1
ADDR=$(ss -ltnp 2>/dev/null | awk -v p="pid=$EPID," 'index($0, p){print $4; exit}')
[ -n "$ADDR" ] || { echo "exporter did not start"; cat "$tmp/log"; exit 1; }
curl -sf -o /dev/null "http://$ADDR/metrics"

RSS_START=$(rss_mb "$EPID")
( sleep $((DUR / 2)); rss_mb "$EPID" >"$tmp/rss_mid" ) &
PIDS+=($!)
cat >"$tmp/hdr.lua" <<'LUA'
wrk.headers["X-Prometheus-Scrape-Timeout-Seconds"] = "10"
LUA
OUT=$(wrk -t4 -c16 -d"${DUR}s" --timeout 15s --latency -s "$tmp/hdr.lua" "http://$ADDR/metrics")
RSS_END=$(rss_mb "$EPID")
BODY=$(curl -s "http://$ADDR/metrics")
echo "$OUT"
echo
echo "| duration | requests | non-2xx | socket errors | p50 | p99 | RSS start MB | RSS middle MB | RSS end MB | peak RSS MB |"
echo "|---|---|---|---|---|---|---|---|---|---|"
REQS=$(awk '/requests in/{print $1}' <<<"$OUT")
NON2XX=$(awk '/Non-2xx/{print $NF}' <<<"$OUT"); NON2XX=${NON2XX:-0}
SOCK=$(awk '/Socket errors/{gsub(",",""); print $4+$6+$8+$10}' <<<"$OUT"); SOCK=${SOCK:-0}
P50=$(awk '$1=="50%"{print $2}' <<<"$OUT"); P99=$(awk '$1=="99%"{print $2}' <<<"$OUT")
echo "| ${DUR}s | $REQS | $NON2XX | $SOCK | $P50 | $P99 | $RSS_START | $(cat "$tmp/rss_mid") | $RSS_END | $(hwm_mb "$EPID") |"
echo
grep -E '^probe_success|^node_textfile_scrape_error|^soak_ok' <<<"$BODY"
if grep -q hunter2 <<<"$BODY"; then echo "FAIL: credentials in /metrics"; exit 1; fi
[ "$NON2XX" = 0 ] && [ "$SOCK" = 0 ] || { echo "FAIL: errors during the soak"; exit 1; }
