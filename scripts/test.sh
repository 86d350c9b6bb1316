#!/usr/bin/env bash
# Builds everything (release preset, tests included), runs every test under ctest, then the
# fuzz smoke run (scripts/fuzz.sh 30).
# Long-running tests carry the ctest label "long" and are excluded; run them with
#   ctest --preset release -L long
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release -j 2
ctest --preset release -LE long

# Fuzz smoke run: each libFuzzer target from its corpus for 30 s (ASan + UBSan). Skip it with
# MIGSIM_SKIP_FUZZ=1 for a quicker local loop; CI always runs it.
if [ "${MIGSIM_SKIP_FUZZ:-0}" != 1 ]; then
  scripts/fuzz.sh 30
fi
