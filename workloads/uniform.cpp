// Uniform random accesses: Poisson streams of writes at `rate` and reads at `read_rate`, each
// to a uniformly random page of a region. In an interval t each page is written independently
// with p = 1 - exp(-rate t / N), so the dirty set saturates as N (1 - e^{-rate t / N})
// (seed-papers.md 9c). Reads change nothing at the source; at the destination they fault on
// missing pages like writes do.
#include "workloads/poisson.h"

namespace migsim::workloads {
namespace {

struct UniformParams {
  sim::Rate rate{20000.0};
  sim::Rate read_rate{0.0};
  Region region;

  template <class V>
  void visit(V& v) {
    v(sim::param("rate", rate, "page writes per second (each to a uniformly random page)")
          .at_least(sim::Rate{0.0})
          .at_most(sim::Rate{sim::limits::kMaxEventRate}));
    v(sim::param("read_rate", read_rate,
                 "page reads per second (each to a uniformly random page of the region)")
          .at_least(sim::Rate{0.0})
          .at_most(sim::Rate{sim::limits::kMaxEventRate}));
    region.visit(v);
  }
};

class Uniform final : public PoissonActivity {
 public:
  Uniform(const UniformParams& p, const WorkloadContext& ctx)
      : PoissonActivity({{p.region.resolve(ctx), p.read_rate.per_second(), p.rate.per_second()}},
                        ctx, "uniform") {}
};

}  // namespace

void register_uniform(WorkloadRegistry& r) {
  r.add(make_entry<UniformParams, Uniform>(
      "uniform",
      "random page writes at `rate` and reads at `read_rate` per second, uniform over a region"));
}

}  // namespace migsim::workloads
