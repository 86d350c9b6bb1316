// Read-heavy: a large working set read at random at `read_rate` and a small hot set written at
// `write_rate` (both uniform Poisson streams, from the start of a region). The case Ma et al.
// (seed-papers.md 3) say defeats pre-copy: the writes keep a few pages hot, while post-copy
// pays a fault for each distinct missing page the reads reach.
#include <algorithm>
#include <cmath>

#include "workloads/poisson.h"

namespace migsim::workloads {
namespace {

struct ReadHeavyParams {
  sim::Rate read_rate{200000.0};
  double read_fraction = 0.8;
  sim::Rate write_rate{20000.0};
  double write_fraction = 0.02;
  Region region;

  template <class V>
  void visit(V& v) {
    v(sim::param("read_rate", read_rate, "page reads per second over the read working set")
          .at_least(sim::Rate{0.0})
          .at_most(sim::Rate{sim::limits::kMaxEventRate}));
    v(sim::param("read_fraction", read_fraction,
                 "fraction of the region (from its start) the reads cover")
          .above(0.0)
          .at_most(1.0));
    v(sim::param("write_rate", write_rate, "page writes per second over the hot write set")
          .at_least(sim::Rate{0.0})
          .at_most(sim::Rate{sim::limits::kMaxEventRate}));
    v(sim::param("write_fraction", write_fraction,
                 "fraction of the region (from its start) the writes cover")
          .above(0.0)
          .at_most(1.0));
    region.visit(v);
  }

  std::vector<PoissonStream> streams(const WorkloadContext& ctx) const {
    const Region::Pages all = region.resolve(ctx);
    const auto part = [&](double f) {
      return Region::Pages{
          all.first,
          std::max<std::uint64_t>(
              1, static_cast<std::uint64_t>(std::llround(f * static_cast<double>(all.count))))};
    };
    return {{part(write_fraction), 0.0, write_rate.per_second()},
            {part(read_fraction), read_rate.per_second(), 0.0}};
  }
};

class ReadHeavy final : public PoissonActivity {
 public:
  ReadHeavy(const ReadHeavyParams& p, const WorkloadContext& ctx)
      : PoissonActivity(p.streams(ctx), ctx, "read_heavy") {}
};

}  // namespace

void register_read_heavy(WorkloadRegistry& r) {
  r.add(make_entry<ReadHeavyParams, ReadHeavy>(
      "read_heavy", "random reads over a large working set and writes to a small hot set"));
}

}  // namespace migsim::workloads
