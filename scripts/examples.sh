#!/usr/bin/env bash
# Runs the seed-paper comparisons in scenarios/examples/ and draws a figure for each:
#   jo-egger-desktop       storage-assisted migration vs pre-copy over the page-cache share
#   huawei-memory-compare  memory comparison vs pre-copy over how much of the old image changed
#   huawei-compression     codecs and the adaptive policy over the link rate
#   wan-streams            a WAN migration over 1 to 16 TCP streams
# Usage: scripts/examples.sh [OUT_DIR]   (default: results/examples; needs a release build)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-results/examples}
migsim=build/release/cli/migsim
plot() {  # name, x key, metrics
  /usr/bin/python3 analysis/plot_results.py "$out/$1/results.jsonl" --out "$out/$1/figure" \
    --x "$2" --metrics "$3"
}
for name in jo-egger-desktop huawei-memory-compare huawei-compression wan-streams; do
  "$migsim" run "scenarios/examples/$name.yaml" --out "$out/$name" --jobs 2
done
plot jo-egger-desktop workload.cache_fraction total_time_s,switch_time_s,downtime_s,bytes_storage
plot huawei-memory-compare migration.memory_compare.changed_fraction \
  total_time_s,bytes_total,downtime_s,pages_matched
plot huawei-compression link.bandwidth total_time_s,bytes_total,downtime_s,cpu_compress_s
plot wan-streams migration.streams total_time_s,downtime_s,bytes_total,live_rounds
