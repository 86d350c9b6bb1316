// Random accesses as independent Poisson streams, each of reads and writes uniform over a page
// range: what `uniform`, `hotcold` and `read_heavy` are made of. In an interval t a page of a
// stream's n pages is written with p = 1 - exp(-write_rate t / n), independently of the others
// (seed-papers.md 9c). At the destination, accesses to the m missing pages of a stream form a
// Poisson process of rate (read_rate + write_rate) m / n, so the next miss is exponential and
// its page uniform among the missing ones: drawn in O(log blocks), whatever the rates.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "workloads/workload.h"

namespace migsim::workloads {

struct PoissonStream {
  Region::Pages pages;
  double read_rate = 0.0;   // reads per second over the range
  double write_rate = 0.0;  // writes per second over the range
};

class PoissonActivity : public vm::GuestActivity {
 public:
  // Writes draw from stream '<section>.<name>', misses from '<section>.<name>.misses'.
  PoissonActivity(std::vector<PoissonStream> streams, const WorkloadContext& ctx,
                  std::string_view name);

  void advance(Duration from, Duration to, vm::GuestMemory& memory) override;
  std::optional<vm::Miss> next_miss(Duration from, const vm::GuestMemory& memory) override;
  bool memoryless() const override { return true; }

 private:
  std::vector<PoissonStream> streams_;
  sim::RandomStream writes_;
  sim::RandomStream misses_;
};

}  // namespace migsim::workloads
