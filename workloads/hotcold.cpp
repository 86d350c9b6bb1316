// Hot/cold writer: random page writes at `rate`, a share `hot_share` of them to a hot set
// (the first `hot_fraction` of the region) and the rest to the cold remainder; each part is a
// uniform Poisson writer (seed-papers.md 9c, sum of two saturating terms). The hot set is the
// writable working set that Xen's skip rule and Ma et al.'s improved pre-copy target.
#include <cmath>

#include "workloads/workload.h"

namespace migsim::workloads {
namespace {

struct HotColdParams {
  sim::Rate rate{20000.0};
  double hot_fraction = 0.1;
  double hot_share = 0.9;
  Region region;

  template <class V>
  void visit(V& v) {
    v(sim::param("rate", rate, "page writes per second, hot and cold together")
          .at_least(sim::Rate{0.0})
          .at_most(sim::Rate{sim::limits::kMaxEventRate}));
    v(sim::param("hot_fraction", hot_fraction, "fraction of the region's pages that are hot")
          .above(0.0)
          .at_most(1.0));
    v(sim::param("hot_share", hot_share, "fraction of the writes that go to the hot pages")
          .at_least(0.0)
          .at_most(1.0));
    region.visit(v);
  }
};

class HotCold final : public vm::GuestActivity {
 public:
  HotCold(const HotColdParams& p, const WorkloadContext& ctx)
      : region_(p.region.resolve(ctx)),
        hot_pages_(std::max<std::uint64_t>(
            1, static_cast<std::uint64_t>(
                   std::llround(p.hot_fraction * static_cast<double>(region_.count))))),
        hot_rate_(p.rate.per_second() * p.hot_share),
        cold_rate_(p.rate.per_second() * (1.0 - p.hot_share)),
        rng_(ctx.stream("workload.hotcold")) {}

  void advance(Duration from, Duration to, vm::GuestMemory& memory) override {
    const double t = (to - from).seconds();
    memory.write_random(region_.first, hot_pages_,
                        -std::expm1(-hot_rate_ * t / static_cast<double>(hot_pages_)), rng_);
    const std::uint64_t cold = region_.count - hot_pages_;
    if (cold > 0)
      memory.write_random(region_.first + hot_pages_, cold,
                          -std::expm1(-cold_rate_ * t / static_cast<double>(cold)), rng_);
  }

 private:
  Region::Pages region_;
  std::uint64_t hot_pages_;
  double hot_rate_, cold_rate_;
  sim::RandomStream rng_;
};

}  // namespace

void register_hotcold(WorkloadRegistry& r) {
  r.add(make_entry<HotColdParams, HotCold>(
      "hotcold",
      "random page writes, `hot_share` of them to the first `hot_fraction` of a region"));
}

}  // namespace migsim::workloads
