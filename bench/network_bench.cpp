// The flow network alone: N senders, each pushing 4 MiB batches back to back with a short pause
// every 16 batches (a dirty-log fetch), so flows keep starting and stopping. Shared: all N
// cross one 10 Gbit/s link (every re-share solves N flows). Separate: each has its own link
// (every re-share solves one). Cost per batch should follow the flows a change affects.
#include <benchmark/benchmark.h>

#include <vector>

#include "models/network/network.h"

using namespace migsim;
using sim::BitRate;
using sim::Bytes;
using sim::Duration;

namespace {

sim::Process sender(sim::Simulation& sim, net::Flow& flow, int batches) {
  for (int i = 0; i < batches; ++i) {
    co_await flow.send(Bytes{4 << 20});
    if (i % 16 == 15) co_await sim.sleep(Duration::us(200));
  }
}

void run(benchmark::State& state, bool shared) {
  const int flows = static_cast<int>(state.range(0));
  const int batches = 16384 / flows;
  std::uint64_t reshares = 0, sent = 0;
  for (auto _ : state) {
    sim::Simulation sim;
    net::Network net(sim);
    net::TcpParams tcp;
    std::vector<net::Network::LinkId> links;
    for (int i = 0; i < (shared ? 1 : flows); ++i)
      links.push_back(net.add_link(BitRate::bits_per_second(9415000000), Duration::us(50), 0.0,
                                   "l" + std::to_string(i)));
    for (int i = 0; i < flows; ++i)
      sim.spawn(sender(sim, net.open_flow({links[shared ? 0 : i]}, tcp), batches));
    sim.run();
    reshares += net.reshares();
    sent += static_cast<std::uint64_t>(flows) * static_cast<std::uint64_t>(batches);
  }
  state.counters["batches_per_s"] =
      benchmark::Counter(static_cast<double>(sent), benchmark::Counter::kIsRate);
  state.counters["reshares"] =
      static_cast<double>(reshares) / static_cast<double>(state.iterations());
}

void BM_Network_SharedLink(benchmark::State& state) {
  run(state, true);
}
void BM_Network_SeparateLinks(benchmark::State& state) {
  run(state, false);
}
BENCHMARK(BM_Network_SharedLink)->Arg(1)->Arg(16)->Arg(256)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Network_SeparateLinks)->Arg(1)->Arg(16)->Arg(256)->Unit(benchmark::kMillisecond);

}  // namespace
