// Sequential writer: writes the pages of a region in order at a constant dirty rate, wrapping at
// the end. The distinct dirty set grows exactly linearly (D x t) until it covers the region:
// the reference workload for the closed-form pre-copy model (seed-papers.md 9a).
#include "workloads/workload.h"

namespace migsim::workloads {
namespace {

struct SequentialParams {
  sim::BitRate dirty_rate = sim::BitRate::bytes_per_second(std::int64_t{20} << 20);
  Region region;
  double start = 0.0;

  template <class V>
  void visit(V& v) {
    v(sim::param("dirty_rate", dirty_rate, "bytes of distinct pages written per second")
          .at_least(sim::BitRate{})
          .at_most(sim::limits::kMaxMemoryRate));
    region.visit(v);
    v(sim::param("start", start, "where in the region the writer starts, as a fraction of it")
          .at_least(0.0)
          .at_most(1.0));
  }
};

class Sequential final : public vm::GuestActivity {
 public:
  Sequential(const SequentialParams& p, const WorkloadContext& ctx)
      : region_(p.region.resolve(ctx)),
        bytes_per_s_(p.dirty_rate.bps() / 8),
        page_bytes_(ctx.page_size.count()),
        // Position in bytes from the region start; kept exact in integer arithmetic.
        start_bytes_(static_cast<__int128>(p.start * static_cast<double>(region_.count)) *
                     page_bytes_) {}

  void advance(Duration from, Duration to, vm::GuestMemory& memory) override {
    if (bytes_per_s_ == 0) return;
    // Pages touched: from the page holding byte position(from) to the one holding position(to)-1.
    const __int128 a = position(from), b = position(to);
    if (b <= a) return;
    const __int128 first = a / page_bytes_;
    const __int128 last = (b - 1) / page_bytes_;  // inclusive
    const __int128 n = region_.count;
    if (last - first + 1 >= n) {
      memory.write_range(region_.first, region_.count);
      return;
    }
    const auto f = static_cast<std::uint64_t>(first % n);
    const auto len = static_cast<std::uint64_t>(last - first + 1);
    if (f + len <= region_.count) {
      memory.write_range(region_.first + f, len);
    } else {
      memory.write_range(region_.first + f, region_.count - f);
      memory.write_range(region_.first, len - (region_.count - f));
    }
  }

 private:
  __int128 position(Duration t) const {
    return start_bytes_ + static_cast<__int128>(bytes_per_s_) * t.count_ns() / 1000000000;
  }

  Region::Pages region_;
  std::int64_t bytes_per_s_;
  std::int64_t page_bytes_;
  __int128 start_bytes_;
};

}  // namespace

void register_sequential(WorkloadRegistry& r) {
  r.add(make_entry<SequentialParams, Sequential>(
      "sequential", "writes a region's pages in order at a constant dirty_rate, wrapping around"));
}

}  // namespace migsim::workloads
