// One complete migration run (build the models, simulate, write the record), as
// `migsim run` does per replicate. Targets on the 2-core reference machine, single thread:
// 1 GiB VM under memtester over gigabit <= 2 ms (pre_copy, three_stage, post_copy); 64 GiB over
// 10 gigabit <= 200 ms (pre_copy, post_copy); a 1 GiB desktop storage_assisted run <= 3 ms.
#include <benchmark/benchmark.h>

#include <string>

#include "scenarios/run.h"
#include "scenarios/scenario.h"

using namespace migsim;

namespace {

scenarios::ScenarioPoint point(const std::string& yaml) {
  auto pts = scenarios::expand_scenario(scenarios::parse_yaml(yaml, "<bench>"), "<bench>");
  return std::move(pts.at(0));
}

void run(benchmark::State& state, const std::string& yaml) {
  const auto p = point(yaml);
  std::int64_t replicate = 0;
  double rounds = 0;
  std::string line;
  for (auto _ : state) {
    // What `migsim run` does per run: simulate, write the results line, keep the head.
    const std::int64_t r = replicate++ % 5;
    const auto result = scenarios::simulate(p, r);
    line.clear();
    scenarios::append_record_line(p, r, result, line);
    auto head = scenarios::record_head(p, r, result);
    rounds += static_cast<double>(result.report.rounds.size());
    benchmark::DoNotOptimize(line);
    benchmark::DoNotOptimize(head);
  }
  state.counters["rounds"] = rounds / static_cast<double>(state.iterations());
  state.counters["guest_pages"] = static_cast<double>(p.vm.memory.count() / p.vm.page_size.count());
}

std::string memtester(const std::string& memory, const std::string& buffer, const std::string& link,
                      const std::string& hypervisor, const std::string& algorithm = "pre_copy") {
  return "vm: {memory: " + memory + "}\nworkload: {type: memtester, buffer: " + buffer +
         ", bandwidth: 2GiB/s}\nlink: {preset: " + link + "}\nhost: {hypervisor: " + hypervisor +
         "}\nmigration: {algorithm: " + algorithm + "}\n";
}

void BM_PreCopy_1GiB_Memtester_Gigabit(benchmark::State& s) {
  run(s, memtester("1GiB", "64MiB", "gigabit", "xen-legacy"));
}
void BM_PreCopy_1GiB_Memtester_Gigabit_Qemu(benchmark::State& s) {
  run(s, memtester("1GiB", "64MiB", "gigabit", "qemu"));
}
void BM_PreCopy_64GiB_Memtester_10Gigabit(benchmark::State& s) {
  run(s, memtester("64GiB", "1GiB", "10gigabit", "xen-legacy"));
}
void BM_ImprovedPreCopy_1GiB_Memtester_Gigabit(benchmark::State& s) {
  run(s, memtester("1GiB", "64MiB", "gigabit", "xen-legacy", "improved_pre_copy"));
}
void BM_ThreeStage_1GiB_Memtester_Gigabit(benchmark::State& s) {
  run(s, memtester("1GiB", "64MiB", "gigabit", "xen-legacy", "three_stage"));
}
void BM_PostCopy_1GiB_Memtester_Gigabit(benchmark::State& s) {
  run(s, memtester("1GiB", "64MiB", "gigabit", "qemu", "post_copy"));
}
void BM_Hybrid_1GiB_Memtester_Gigabit(benchmark::State& s) {
  run(s, memtester("1GiB", "64MiB", "gigabit", "qemu", "hybrid"));
}
void BM_PostCopy_64GiB_Memtester_10Gigabit(benchmark::State& s) {
  run(s, memtester("64GiB", "1GiB", "10gigabit", "qemu", "post_copy"));
}
void BM_PreCopy_Idle_Scaling(benchmark::State& s) {
  run(s, "vm: {memory: " + std::to_string(s.range(0)) +
             "GiB}\nworkload: {type: idle}\nlink: {preset: 10gigabit}\n"
             "host: {hypervisor: xen-legacy}\nmigration: {algorithm: pre_copy}\n");
}
void BM_PreCopy_1GiB_Uniform(benchmark::State& s) {
  run(s,
      "vm: {memory: 1GiB}\nworkload: {type: uniform, rate: 50000/s}\nhost: {hypervisor: "
      "xen-legacy}\n"
      "migration: {algorithm: pre_copy}\n");
}

BENCHMARK(BM_PreCopy_1GiB_Memtester_Gigabit)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_PreCopy_1GiB_Memtester_Gigabit_Qemu)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_PreCopy_1GiB_Uniform)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_PreCopy_64GiB_Memtester_10Gigabit)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ImprovedPreCopy_1GiB_Memtester_Gigabit)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ThreeStage_1GiB_Memtester_Gigabit)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_PostCopy_1GiB_Memtester_Gigabit)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Hybrid_1GiB_Memtester_Gigabit)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_PostCopy_64GiB_Memtester_10Gigabit)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PreCopy_Idle_Scaling)->Arg(1)->Arg(4)->Arg(16)->Arg(64)->Unit(benchmark::kMillisecond);

void BM_StorageAssisted_1GiB_Desktop(benchmark::State& s) {
  run(s,
      "vm: {memory: 1GiB}\nworkload: {type: desktop}\nstorage: {preset: nas}\n"
      "host: {hypervisor: xen-legacy}\nmigration: {algorithm: storage_assisted}\n");
}
void BM_PreCopy_1GiB_Desktop(benchmark::State& s) {
  run(s,
      "vm: {memory: 1GiB}\nworkload: {type: desktop}\nhost: {hypervisor: xen-legacy}\n"
      "migration: {algorithm: pre_copy}\n");
}
void BM_MemoryCompare_1GiB_Desktop(benchmark::State& s) {
  run(s,
      "vm: {memory: 1GiB}\nworkload: {type: desktop, active_fraction: 0.1}\n"
      "host: {hypervisor: xen-legacy}\nmigration: {algorithm: memory_compare}\n");
}
void BM_PreCopy_1GiB_Mixed_Adaptive(benchmark::State& s) {
  run(s,
      "vm: {memory: 1GiB, zero_fraction: 0.05, text_fraction: 0.3, sparse_fraction: 0.1, "
      "random_fraction: 0.15, content_layout: runs}\nworkload: {type: uniform, rate: 20000/s}\n"
      "host: {hypervisor: qemu}\nmigration: {algorithm: pre_copy, compression: {policy: "
      "adaptive}}\n");
}

}  // namespace
BENCHMARK(BM_StorageAssisted_1GiB_Desktop)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_PreCopy_1GiB_Desktop)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_MemoryCompare_1GiB_Desktop)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_PreCopy_1GiB_Mixed_Adaptive)->Unit(benchmark::kMicrosecond);

namespace {

// Issue 8's target: 16 concurrent 4 GiB memtester migrations on one 10 Gbit link <= 1 s
// (one simulation, all 17 records written).
void run_batch(benchmark::State& state, const std::string& yaml) {
  const auto p = point(yaml);
  std::int64_t replicate = 0;
  std::string lines;
  double rounds = 0;
  for (auto _ : state) {
    const std::int64_t r = replicate++ % 5;
    const auto result = scenarios::simulate_point(p, r);
    lines.clear();
    scenarios::append_point_lines(p, r, result, lines);
    auto heads = scenarios::point_heads(p, r, result);
    for (const auto& vm : result.vms) rounds += static_cast<double>(vm.report.rounds.size());
    benchmark::DoNotOptimize(lines);
    benchmark::DoNotOptimize(heads);
  }
  state.counters["rounds"] = rounds / static_cast<double>(state.iterations());
}

std::string sixteen(const std::string& hypervisor) {
  return "vm: {memory: 4GiB}\nworkload: {type: memtester}\nlink: {preset: 10gigabit}\n"
         "host: {hypervisor: " +
         hypervisor + "}\nmigration: {algorithm: pre_copy}\nvms: [{count: 16}]\n";
}

// Xen stops after its round limit; QEMU (no convergence at a 16th of the link) runs rounds
// until its one-hour max_time: 16 x 3600 s simulated.
void BM_Batch_16x4GiB_Memtester_10Gigabit_Xen(benchmark::State& s) {
  run_batch(s, sixteen("xen-v2"));
}
void BM_Batch_16x4GiB_Memtester_10Gigabit_Qemu(benchmark::State& s) {
  run_batch(s, sixteen("qemu"));
}
BENCHMARK(BM_Batch_16x4GiB_Memtester_10Gigabit_Xen)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Batch_16x4GiB_Memtester_10Gigabit_Qemu)->Unit(benchmark::kMillisecond);

}  // namespace
