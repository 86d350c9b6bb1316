// Hot/cold accesses: random page writes at `rate` and reads at `read_rate`, a share `hot_share`
// of each to a hot set (the first `hot_fraction` of the region) and the rest to the cold
// remainder; each part is a uniform Poisson stream (seed-papers.md 9c, sum of two saturating
// terms). The hot set is the writable working set that Xen's skip rule and Ma et al.'s improved
// pre-copy target.
#include <algorithm>
#include <cmath>

#include "workloads/poisson.h"

namespace migsim::workloads {
namespace {

struct HotColdParams {
  sim::Rate rate{20000.0};
  sim::Rate read_rate{0.0};
  double hot_fraction = 0.1;
  double hot_share = 0.9;
  Region region;

  template <class V>
  void visit(V& v) {
    v(sim::param("rate", rate, "page writes per second, hot and cold together")
          .at_least(sim::Rate{0.0})
          .at_most(sim::Rate{sim::limits::kMaxEventRate}));
    v(sim::param("read_rate", read_rate,
                 "page reads per second, hot and cold together (split like the writes)")
          .at_least(sim::Rate{0.0})
          .at_most(sim::Rate{sim::limits::kMaxEventRate}));
    v(sim::param("hot_fraction", hot_fraction, "fraction of the region's pages that are hot")
          .above(0.0)
          .at_most(1.0));
    v(sim::param("hot_share", hot_share,
                 "fraction of the writes (and of the reads) that go to the hot pages")
          .at_least(0.0)
          .at_most(1.0));
    region.visit(v);
  }

  std::vector<PoissonStream> streams(const WorkloadContext& ctx) const {
    const Region::Pages all = region.resolve(ctx);
    const std::uint64_t hot = std::max<std::uint64_t>(
        1, static_cast<std::uint64_t>(std::llround(hot_fraction * static_cast<double>(all.count))));
    return {
        {{all.first, hot}, read_rate.per_second() * hot_share, rate.per_second() * hot_share},
        {{all.first + hot, all.count - hot},
         read_rate.per_second() * (1.0 - hot_share),
         rate.per_second() * (1.0 - hot_share)},
    };
  }
};

class HotCold final : public PoissonActivity {
 public:
  HotCold(const HotColdParams& p, const WorkloadContext& ctx)
      : PoissonActivity(p.streams(ctx), ctx, "hotcold") {}
};

}  // namespace

void register_hotcold(WorkloadRegistry& r) {
  r.add(make_entry<HotColdParams, HotCold>(
      "hotcold",
      "random page writes and reads, `hot_share` of them to the first `hot_fraction` of a region"));
}

}  // namespace migsim::workloads
