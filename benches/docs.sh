#!/usr/bin/env bash
# Time `genmon docs` on the benchmark spec (`genmon bench-spec`: 200
# dashboards × 20 panels, 2000 alert rules) against `genmon check` of the
# same spec, so the catalog's own cost shows: wall time, CPU and peak RSS
# (GNU time), pages and bytes written. Best of $RUNS (default 5).
# Usage: benches/docs.sh; GENMON_BUILD=0 skips the build (profile `up`).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${RUNS:-5}"
if [ "${GENMON_BUILD:-1}" != 0 ]; then
  cargo build --locked --profile up --bin genmon 2>&1 | tail -1
fi
bin=target/up/genmon
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$bin" bench-spec >"$tmp/spec.yaml"
best() { # label, command...
  local label=$1; shift
  local best_wall= best_line=
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -f '%e %U %S %M' -o "$tmp/t" "$@" >/dev/null 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
    read -r wall user sys rss <"$tmp/t"
    if [ -z "$best_wall" ] || awk -v a="$wall" -v b="$best_wall" 'BEGIN{exit !(a<b)}'; then
      best_wall=$wall
      best_line=$(printf '%-28s wall %6.2f s  cpu %6.2f s  peak RSS %6.1f MB' "$label" "$wall" "$(awk -v u="$user" -v s="$sys" 'BEGIN{print u+s}')" "$(awk -v k="$rss" 'BEGIN{print k/1024}')")
    fi
  done
  echo "$best_line"
}
best "genmon check" "$bin" check -f "$tmp/spec.yaml"
best "genmon docs --format json" "$bin" docs -f "$tmp/spec.yaml" --format json
best "genmon docs (site)" "$bin" docs -f "$tmp/spec.yaml" -o "$tmp/site"
echo "site: $(find "$tmp/site" -name '*.html' | wc -l) pages, $(du -sm "$tmp/site" | cut -f1) MB"
