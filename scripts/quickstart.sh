#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to results: installs what is missing, builds the
# release preset, runs the default scenario suite (scenarios/default-suite/: TSMC's figures 4 and
# 5, one file per memtester regime), prints the summary table and draws the figures the files
# declare.
# Usage: scripts/quickstart.sh [OUT_DIR]   (default: results/default-suite)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-results/default-suite}

scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release -j 2 --target migsim
build/release/cli/migsim run scenarios/default-suite/tsmc-low-dirty.yaml \
  scenarios/default-suite/tsmc-high-dirty.yaml --out "$out" --jobs 2
# The figures the suite's files declare (`figures:`): TSMC figures 4 and 5, and one migration's
# rounds per regime, as PNG and PDF.
build/release/cli/migsim plot "$out/results.jsonl" --out "$out"
echo "results: $out/results.jsonl $out/results.csv $out/summary.txt; figures: $out/*.png, *.pdf"
# The seed-paper comparisons (Jo & Egger, Huawei), a figure each, under results/examples/.
scripts/examples.sh results/examples
