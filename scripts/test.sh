#!/usr/bin/env bash
# Builds everything (release preset, tests included) and runs every test under ctest.
# Long-running tests carry the ctest label "long" and are excluded; run them with
#   ctest --preset release -L long
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release -j 2
ctest --preset release -LE long
