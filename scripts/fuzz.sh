#!/usr/bin/env bash
# Builds the libFuzzer targets (the `fuzz` preset: clang, ASan + UBSan) and runs each one from its
# seed corpus for SECONDS (default 30). Fails on any crash, sanitizer report, leak, timeout or
# out-of-memory; the input that caused it is kept in build/fuzz/artifacts/. README "Fuzzing"
# says how to turn a finding into a regression file and how to fuzz for longer.
# Usage: scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}

cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j 2 --target fuzz_scenario_loader fuzz_unit_parser

# Working corpora: the seeds below plus whatever earlier runs found (kept between runs).
work=build/fuzz/corpus
mkdir -p "$work/scenario_loader" "$work/unit_parser" build/fuzz/artifacts
# The loader target reads its first byte as the format: even = YAML, odd = JSON.
for f in scenarios/*.yaml scenarios/examples/*.yaml tests/bad_input/*.yaml; do
  [ -f "$f" ] && { printf '0'; cat "$f"; } >"$work/scenario_loader/seed-$(echo "$f" | tr / _)"
done
for f in scenarios/examples/*.json tests/bad_input/*.json; do
  [ -f "$f" ] && { printf '1'; cat "$f"; } >"$work/scenario_loader/seed-$(echo "$f" | tr / _)"
done
cp fuzz/corpus/unit_parser/* "$work/unit_parser/"

status=0
for target in scenario_loader unit_parser; do
  dict=fuzz/scenario.dict
  [ "$target" = unit_parser ] && dict=fuzz/unit.dict
  echo "fuzz: $target for ${seconds}s"
  if ! build/fuzz/fuzz/fuzz_$target "$work/$target" -dict="$dict" -max_total_time="$seconds" \
      -timeout=10 -rss_limit_mb=2048 -max_len=4096 -print_final_stats=1 \
      -artifact_prefix="build/fuzz/artifacts/$target-" >"build/fuzz/$target.log" 2>&1; then
    echo "fuzz: $target FAILED; log: build/fuzz/$target.log; input: build/fuzz/artifacts/" >&2
    tail -n 40 "build/fuzz/$target.log" >&2
    status=1
  else
    grep -E "^stat::number_of_executed_units|^stat::new_units_added" "build/fuzz/$target.log" |
      sed "s/^/fuzz: $target /"
  fi
done
exit $status
