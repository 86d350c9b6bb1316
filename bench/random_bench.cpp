// The pieces a random-write workload costs: one geometric gap per page that changes, and
// GuestMemory::write_random over memory where most pages are already settled.
#include <benchmark/benchmark.h>

#include <cstdint>

#include "models/vm/guest_memory.h"
#include "sim/random.h"

using namespace migsim;

namespace {

void BM_GeometricFill(benchmark::State& state) {
  sim::RandomStream rng(1, 0, "bench");
  const sim::RandomStream::Geometric g(0.03);
  std::uint64_t out[64];
  for (auto _ : state) {
    g.fill(rng, std::uint64_t{1} << 40, out, 64);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations() * 64);
}
BENCHMARK(BM_GeometricFill);

// A 4 GiB guest right after its dirty log was cleared (every page unsettled), written at
// probability p per page per interval until settled again: the dominant cost of a QEMU round
// under a high write rate. Items are pages that changed.
void BM_WriteRandomAfterLogClear(benchmark::State& state) {
  vm::VmParams params;
  params.memory = sim::Bytes{std::int64_t{4} << 30};
  vm::GuestMemory memory(params, 1, 0);
  sim::RandomStream rng(1, 0, "bench");
  const double p = static_cast<double>(state.range(0)) / 1000.0;
  std::int64_t changed = 0;
  for (auto _ : state) {
    state.PauseTiming();
    memory.clear_log();
    state.ResumeTiming();
    while (memory.unsettled_count(0, memory.pages()) > memory.pages() / 100) {
      const auto before = memory.unsettled_count(0, memory.pages());
      memory.write_random(0, memory.pages(), p, rng);
      changed += static_cast<std::int64_t>(before - memory.unsettled_count(0, memory.pages()));
    }
  }
  state.SetItemsProcessed(changed);
}
BENCHMARK(BM_WriteRandomAfterLogClear)->Arg(3)->Arg(34)->Arg(300)->Unit(benchmark::kMillisecond);

}  // namespace
