// Uniform random writer: a Poisson stream of writes at `rate`, each to a uniformly random page of
// a region. In an interval t each page is hit independently with p = 1 - exp(-rate t / N), so
// the dirty set saturates as N (1 - e^{-rate t / N}) (seed-papers.md 9c).
#include <cmath>

#include "workloads/workload.h"

namespace migsim::workloads {
namespace {

struct UniformParams {
  sim::Rate rate{20000.0};
  Region region;

  template <class V>
  void visit(V& v) {
    v(sim::param("rate", rate, "page writes per second (each to a uniformly random page)")
          .at_least(sim::Rate{0.0})
          .at_most(sim::Rate{sim::limits::kMaxEventRate}));
    region.visit(v);
  }
};

class Uniform final : public vm::GuestActivity {
 public:
  Uniform(const UniformParams& p, const WorkloadContext& ctx)
      : region_(p.region.resolve(ctx)),
        rate_(p.rate.per_second()),
        rng_(ctx.stream("workload.uniform")) {}

  void advance(Duration from, Duration to, vm::GuestMemory& memory) override {
    const double expected_writes = rate_ * (to - from).seconds();
    const double p = -std::expm1(-expected_writes / static_cast<double>(region_.count));
    memory.write_random(region_.first, region_.count, p, rng_);
  }

 private:
  Region::Pages region_;
  double rate_;
  sim::RandomStream rng_;
};

}  // namespace

void register_uniform(WorkloadRegistry& r) {
  r.add(make_entry<UniformParams, Uniform>(
      "uniform", "random page writes at `rate` per second, uniform over a region"));
}

}  // namespace migsim::workloads
