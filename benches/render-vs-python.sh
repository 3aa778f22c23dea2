#!/usr/bin/env bash
# Render benchmark: `genmon render` (release build) against the two Python
# libraries people use today (grafanalib, grafana-foundation-sdk), building the
# same work: DASHBOARDS dashboards x PANELS timeseries panels (+ RULES alert
# rules for genmon). Each tool runs N times as a whole process under
# /usr/bin/time; the table shows the medians. See benches/README.md.
#
# Environment:
#   N=3                 runs per tool (median reported)
#   SCALE=1             multiplies the dashboard count (200) for all three tools
#   PANELS=20           panels per dashboard
#   RULES=2000          alert rules in the genmon spec
#   GENMON_SPEC_CMD     untimed, run once before the genmon runs; writes $tmp/spec.yaml
#                       default: target/release/genmon bench-spec --dashboards $DASHBOARDS
#                                --panels $PANELS --rules $RULES > $tmp/spec.yaml
#   GENMON_BENCH_CMD    the timed genmon command; "" skips genmon (Python only)
#                       default: target/release/genmon render -f $tmp/spec.yaml -o $tmp/out
#                       Both commands run under `bash -c` with $tmp, $DASHBOARDS,
#                       $PANELS and $RULES exported; $tmp/out is emptied before each run.
#   GENMON_BUILD=1      `cargo build --release` first (only with the default commands)
#   PYTHON=python3      interpreter used to create .venv-bench
#
# Exits non-zero if any command fails (the table is still printed).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

N="${N:-3}"
SCALE="${SCALE:-1}"
PANELS="${PANELS:-20}"
RULES="${RULES:-2000}"
DASHBOARDS=$((200 * SCALE))
PYTHON="${PYTHON:-python3}"
VENV="$ROOT/.venv-bench"
PY_REQS=("grafanalib==0.7.1" "grafana_foundation_sdk==1769699379!11.6.0")

DEFAULT_SPEC_CMD='target/release/genmon bench-spec --dashboards "$DASHBOARDS" --panels "$PANELS" --rules "$RULES" > "$tmp/spec.yaml"'
DEFAULT_BENCH_CMD='target/release/genmon render -f "$tmp/spec.yaml" -o "$tmp/out"'
GENMON_SPEC_CMD="${GENMON_SPEC_CMD-$DEFAULT_SPEC_CMD}"
GENMON_BENCH_CMD="${GENMON_BENCH_CMD-$DEFAULT_BENCH_CMD}"

case "$N" in '' | *[!0-9]* | 0) echo "N must be a positive integer" >&2; exit 2 ;; esac
case "$SCALE" in '' | *[!0-9]* | 0) echo "SCALE must be a positive integer" >&2; exit 2 ;; esac

if [ ! -x /usr/bin/time ]; then
  echo "render-vs-python: /usr/bin/time not found: apt-get install -y time" >&2
  exit 2
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/genmon-bench.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
export tmp DASHBOARDS PANELS RULES

log() { echo "render-vs-python: $*" >&2; }

# ---------- Python environment ----------
stamp="$VENV/.genmon-bench-reqs"
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "${PY_REQS[*]}" ]; then
  log "setting up $VENV (${PY_REQS[*]})"
  [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "${PY_REQS[@]}"
  echo "${PY_REQS[*]}" >"$stamp"
fi

# ---------- measurement ----------
failed=0
declare -A WALL RSS STATUS

# run_tool NAME EXPECT_JSON CMD: runs CMD N times under /usr/bin/time,
# stores median wall seconds and median peak RSS (KB).
run_tool() {
  local name="$1" expect="$2" cmd="$3" i walls=() rsss=() out w m
  for ((i = 1; i <= N; i++)); do
    rm -rf "$tmp/out"; mkdir -p "$tmp/out"
    local t0 t1 rc=0
    t0="$(date +%s%N)"
    /usr/bin/time -f '%e %M' -o "$tmp/time.txt" bash -c "$cmd" >"$tmp/stdout" 2>"$tmp/stderr" || rc=$?
    t1="$(date +%s%N)"
    if [ "$rc" -ne 0 ]; then
      log "$name failed (run $i): $cmd"
      sed 's/^/    /' "$tmp/stderr" | tail -20 >&2
      STATUS[$name]="FAILED"; failed=1
      return 0
    fi
    if [ "$expect" -gt 0 ]; then
      local got; got="$(find "$tmp/out" -name '*.json' | wc -l)"
      if [ "$got" -ne "$expect" ]; then
        log "$name wrote $got dashboards, expected $expect"
        STATUS[$name]="FAILED"; failed=1
        return 0
      fi
    fi
    # wall: /usr/bin/time's %e has 10 ms resolution, too coarse for a fast
    # genmon; use the ns clock around the same process instead, to 0.1 ms
    # (whole milliseconds are 5 % of a 20 ms render). RSS: %M.
    read -r _ m < <(tail -1 "$tmp/time.txt")
    w="$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.4f", (b-a)/1e9}')"
    walls+=("$w"); rsss+=("$m")
    out="$(tail -1 "$tmp/stdout")"
    log "$name run $i/$N: ${w}s, ${m} KB${out:+  ($out)}"
  done
  WALL[$name]="$(printf '%s\n' "${walls[@]}" | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}')"
  RSS[$name]="$(printf '%s\n' "${rsss[@]}" | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}')"
  STATUS[$name]="ok"
}

tools=()
log "$DASHBOARDS dashboards x $PANELS panels, N=$N"

if [ -n "$GENMON_BENCH_CMD" ]; then
  tools+=("genmon")
  if [ "${GENMON_BUILD:-1}" = 1 ] && [ "$GENMON_BENCH_CMD" = "$DEFAULT_BENCH_CMD" ]; then
    log "cargo build --release"
    cargo build --release --quiet --bin genmon
  fi
  if [ -n "$GENMON_SPEC_CMD" ]; then
    log "generating spec (untimed): $GENMON_SPEC_CMD"
    if ! bash -c "$GENMON_SPEC_CMD"; then
      log "spec generation failed"
      STATUS[genmon]="FAILED"; failed=1
    fi
  fi
  [ "${STATUS[genmon]:-}" = FAILED ] || run_tool genmon 0 "$GENMON_BENCH_CMD"
else
  log "GENMON_BENCH_CMD is empty: skipping genmon"
fi

py_env="N_DASH=$DASHBOARDS N_PANEL=$PANELS"
tools+=("grafanalib" "grafana-foundation-sdk")
run_tool grafanalib "$DASHBOARDS" "$py_env '$VENV/bin/python' '$ROOT/benches/python/bench_grafanalib.py' \"\$tmp/out\""
run_tool grafana-foundation-sdk "$DASHBOARDS" "$py_env '$VENV/bin/python' '$ROOT/benches/python/bench_foundation_sdk.py' \"\$tmp/out\""

# ---------- report ----------
g="${WALL[genmon]:-}"
echo
echo "Render: $DASHBOARDS dashboards x $PANELS timeseries panels${GENMON_BENCH_CMD:+ (genmon: + $RULES alert rules)}, median of $N runs, $(nproc) cores"
echo
echo "| tool | median wall s | peak RSS MB | ratio vs genmon |"
echo "|---|---:|---:|---:|"
for t in "${tools[@]}"; do
  if [ "${STATUS[$t]:-}" != ok ]; then
    echo "| $t | FAILED | | |"
    continue
  fi
  w="${WALL[$t]}"; mb="$(awk -v k="${RSS[$t]}" 'BEGIN {printf "%.1f", k/1024}')"
  if [ -n "$g" ] && awk -v g="$g" 'BEGIN {exit !(g > 0)}'; then
    ratio="$(awk -v w="$w" -v g="$g" 'BEGIN {printf "%.2fx", w/g}')"
  elif [ -n "$g" ]; then
    ratio="(genmon < 0.01 s)"
  else
    ratio="n/a"
  fi
  echo "| $t | $w | $mb | $ratio |"
done

exit "$failed"
