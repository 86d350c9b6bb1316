#!/usr/bin/env bash
# Runs the seed-paper comparisons in scenarios/examples/ and draws a figure for each:
#   jo-egger-desktop       storage-assisted migration vs pre-copy over the page-cache share
#   huawei-memory-compare  memory comparison vs pre-copy over how much of the old image changed
#   huawei-compression     codecs and the adaptive policy over the link rate
#   wan-streams            a WAN migration over 1 to 16 TCP streams
#   evacuation             8 VMs leave a host one, 2, 4 or 8 at a time (makespan, downtime)
#   xvmotion-metro-lan     memory and disk over LAN, metro and WAN, sync vs async mirror
#   recorded-traces        four algorithms on traces recorded from memtester, a build, redis
#   downtime-spread        the CDF of downtime over 40 replications (declared figures)
#   dirty-rate-heatmap     pre-copy over write rate x link rate, as heatmaps (declared figures)
# Usage: scripts/examples.sh [OUT_DIR]   (default: results/examples; needs a release build)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-results/examples}
migsim=build/release/cli/migsim
plot() {  # name, x key, metrics
  /usr/bin/python3 analysis/plot_results.py "$out/$1/results.jsonl" --out "$out/$1/figure" \
    --x "$2" --metrics "$3"
}
for name in jo-egger-desktop huawei-memory-compare huawei-compression wan-streams evacuation \
  xvmotion-metro-lan recorded-traces downtime-spread dirty-rate-heatmap; do
  "$migsim" run "scenarios/examples/$name.yaml" --out "$out/$name" --jobs 2
done
plot jo-egger-desktop workload.cache_fraction total_time_s,switch_time_s,downtime_s,bytes_storage
plot huawei-memory-compare migration.memory_compare.changed_fraction \
  total_time_s,bytes_total,downtime_s,pages_matched
plot huawei-compression link.bandwidth total_time_s,bytes_total,downtime_s,cpu_compress_s
plot wan-streams migration.streams total_time_s,downtime_s,bytes_total,live_rounds
plot() {  # name, x key, metrics, figure name
  /usr/bin/python3 analysis/plot_results.py "$out/$1/results.jsonl" --out "$out/$1/$4" \
    --x "$2" --metrics "$3"
}
plot evacuation schedule.max_concurrent makespan_s,downtime_max_s,total_time_mean_s figure-batch
plot evacuation schedule.max_concurrent downtime_s,total_time_s figure-vms
plot xvmotion-metro-lan link.preset total_time_s,downtime_s,disk_write_latency_s,guest_io_throttled_s \
  figure
plot recorded-traces workload.path total_time_s,downtime_s,bytes_total,guest_stall_s figure
# Examples that declare their figures (`figures:`): a downtime CDF, a heatmap of a 2-D sweep.
build/release/cli/migsim plot "$out/downtime-spread/results.jsonl"
build/release/cli/migsim plot "$out/dirty-rate-heatmap/results.jsonl"
