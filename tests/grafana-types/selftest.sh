#!/usr/bin/env bash
# Self-test for check.mjs: the good fixture must pass, and every bad fixture
# (each with exactly one defect) must fail, with an error that names the defect.
# Usage: bash tests/grafana-types/selftest.sh   (after: cd tests/grafana-types && npm ci)
set -u
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$HERE"

if [ ! -d node_modules/@grafana/schema ] || [ ! -d node_modules/typescript ]; then
  echo "selftest: node_modules missing: run npm ci in tests/grafana-types" >&2
  exit 2
fi

# bad fixture -> pattern that check.mjs's output must contain (grep -E)
declare -A EXPECT=(
  [unknown-top-level-property]="unknownTopLevel: TS2353"
  [refresh-number]="refresh: TS2322: Type 'number' is not assignable to type 'string'"
  [timeseries-legend-unknown-option]="type=timeseries .*options\.legend\.showLegendz: TS2353"
  [tooltip-mode-bogus]="options\.tooltip\.mode: TS2322: Type '\"bogus\"'"
  [custom-unknown-property]="fieldConfig\.defaults\.custom\.lineWidthz: TS2353"
  [schemaversion-string]="schemaVersion: TS2322: Type 'string' is not assignable to type 'number'"
)

pass=0; fail=0
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# good: whole directory must pass
if out="$(node check.mjs fixtures/good 2>&1)"; then
  echo "PASS good: $out"; pass=$((pass+1))
else
  echo "FAIL good: expected exit 0, got failure:"; echo "$out" | sed 's/^/    /'; fail=$((fail+1))
fi

# wrong usage / missing dir must be a setup error (exit 2), not a pass
node check.mjs "$tmp/does-not-exist" >/dev/null 2>&1; rc=$?
if [ "$rc" -eq 2 ]; then echo "PASS missing-dir: exit 2"; pass=$((pass+1)); else echo "FAIL missing-dir: expected exit 2, got $rc"; fail=$((fail+1)); fi

shopt -s nullglob
bad_files=(fixtures/bad/*.json)
if [ "${#bad_files[@]}" -ne "${#EXPECT[@]}" ]; then
  echo "FAIL fixtures: ${#bad_files[@]} bad fixtures but ${#EXPECT[@]} expectations"; fail=$((fail+1))
fi
for f in "${bad_files[@]}"; do
  name="$(basename "$f" .json)"
  pat="${EXPECT[$name]:-}"
  d="$tmp/$name"; mkdir -p "$d"; cp "$f" "$d/"
  out="$(node check.mjs "$d" 2>&1)"; rc=$?
  if [ "$rc" -eq 0 ]; then
    echo "FAIL bad/$name: expected a type error, but check passed"; fail=$((fail+1))
  elif [ "$rc" -ne 1 ]; then
    echo "FAIL bad/$name: expected exit 1, got $rc:"; echo "$out" | sed 's/^/    /'; fail=$((fail+1))
  elif [ -z "$pat" ]; then
    echo "FAIL bad/$name: no expectation in selftest.sh"; fail=$((fail+1))
  elif ! grep -Eq -- "$pat" <<<"$out"; then
    echo "FAIL bad/$name: failed, but not with /$pat/:"; echo "$out" | sed 's/^/    /'; fail=$((fail+1))
  elif [ "$(grep -c ': TS[0-9]*: ' <<<"$out")" -ne 1 ]; then
    echo "FAIL bad/$name: expected exactly one error:"; echo "$out" | sed 's/^/    /'; fail=$((fail+1))
  else
    echo "PASS bad/$name: $(grep -E -- "$pat" <<<"$out" | head -1 | sed 's/^[^:]*: //' | cut -c1-150)"; pass=$((pass+1))
  fi
done

echo "grafana-types selftest: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
