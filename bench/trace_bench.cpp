// Trace replay against the synthetic workload it was recorded from (issue 9's target: replaying
// a 1-hour trace of a 4 GiB guest costs at most 2x the same migration under `uniform` with the
// same distinct pages). The trace (uniform, 20,000 writes/s over 4 GiB, 100 ms frames, 1 hour)
// is synthesised once into the temp directory and parsed once per process, as a sweep does.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <string>

#include "scenarios/run.h"
#include "scenarios/scenario.h"
#include "workloads/trace_file.h"

using namespace migsim;

namespace {

const char* const kUniform = "{type: uniform, rate: 20000/s}";

std::string scenario(const std::string& workload, const std::string& algorithm) {
  return "vm: {memory: 4GiB}\nworkload: " + workload +
         "\nlink: {preset: gigabit}\nhost: {hypervisor: xen-v2}\nmigration: {algorithm: " +
         algorithm + "}\n";
}

scenarios::ScenarioPoint point(const std::string& yaml) {
  auto pts = scenarios::expand_scenario(scenarios::parse_yaml(yaml, "<bench>"), "<bench>");
  return std::move(pts.at(0));
}

const std::string& trace_path() {
  static const std::string path = [] {
    const std::string p =
        (std::filesystem::temp_directory_path() / "migsim-bench-uniform-4GiB-1h.trace").string();
    if (!std::filesystem::exists(p)) {
      const auto t = scenarios::synthesize_trace(point(scenario(kUniform, "pre_copy")), 0,
                                                 sim::Duration::ms(100), 36000);
      workloads::write_trace(p, *t);
    }
    return p;
  }();
  return path;
}

void run(benchmark::State& state, const std::string& yaml) {
  const auto p = point(yaml);
  std::int64_t replicate = 0;
  for (auto _ : state) {
    const auto result = scenarios::simulate(p, replicate++ % 5);
    benchmark::DoNotOptimize(result);
  }
}

void BM_Uniform_4GiB_PreCopy(benchmark::State& s) {
  run(s, scenario(kUniform, "pre_copy"));
}
void BM_Replay_4GiB_1h_PreCopy(benchmark::State& s) {
  run(s, scenario("{type: trace, path: " + trace_path() + "}", "pre_copy"));
}
void BM_Replay_4GiB_1h_PreCopy_From_30min(benchmark::State& s) {
  run(s, scenario("{type: trace, path: " + trace_path() + ", start: 1800s}", "pre_copy"));
}
void BM_Uniform_4GiB_PostCopy(benchmark::State& s) {
  run(s, scenario(kUniform, "post_copy"));
}
void BM_Replay_4GiB_1h_PostCopy(benchmark::State& s) {
  run(s, scenario("{type: trace, path: " + trace_path() + "}", "post_copy"));
}
// The one-off cost a sweep pays per process: read, check and index the file.
void BM_Parse_4GiB_1h_Trace(benchmark::State& s) {
  const std::string& p = trace_path();
  for (auto _ : s) benchmark::DoNotOptimize(workloads::read_trace(p));
  s.counters["file_MiB"] = static_cast<double>(std::filesystem::file_size(p)) / (1 << 20);
}

}  // namespace

BENCHMARK(BM_Uniform_4GiB_PreCopy)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Replay_4GiB_1h_PreCopy)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Replay_4GiB_1h_PreCopy_From_30min)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Uniform_4GiB_PostCopy)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Replay_4GiB_1h_PostCopy)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Parse_4GiB_1h_Trace)->Unit(benchmark::kMillisecond);
