// The event kernel alone: processes that sleep in a loop, so every event is a heap push/pop and
// a coroutine resume. Target: >= 10 million events per second on one thread.
#include <benchmark/benchmark.h>

#include "sim/simulation.h"

using namespace migsim::sim;

namespace {

Process ticker(Simulation& sim, Duration period, int ticks) {
  for (int i = 0; i < ticks; ++i) co_await sim.sleep(period);
}

void BM_KernelEvents(benchmark::State& state) {
  const int processes = static_cast<int>(state.range(0));
  const int ticks = 1000000 / processes;
  std::uint64_t events = 0;
  for (auto _ : state) {
    Simulation sim;
    for (int p = 0; p < processes; ++p) sim.spawn(ticker(sim, Duration::ns(100 + p % 7), ticks));
    sim.run();
    events += sim.events_processed();
  }
  state.counters["events_per_s"] =
      benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_KernelEvents)->Arg(1)->Arg(16)->Arg(1024)->Unit(benchmark::kMillisecond);

}  // namespace
