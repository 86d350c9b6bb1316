// Sequential writer: writes the pages of a region in order at a constant dirty rate, wrapping at
// the end. The distinct dirty set grows exactly linearly (D x t) until it covers the region:
// the reference workload for the closed-form pre-copy model (seed-papers.md 9a). An optional
// read stream sweeps the region the same way at `read_rate`, from its own starting point.
#include <optional>

#include "workloads/workload.h"

namespace migsim::workloads {
namespace {

struct SequentialParams {
  sim::BitRate dirty_rate = sim::BitRate::bytes_per_second(std::int64_t{20} << 20);
  Region region;
  double start = 0.0;
  sim::BitRate read_rate{};
  double read_start = 0.5;

  template <class V>
  void visit(V& v) {
    v(sim::param("dirty_rate", dirty_rate, "bytes of distinct pages written per second")
          .at_least(sim::BitRate{})
          .at_most(sim::limits::kMaxMemoryRate));
    region.visit(v);
    v(sim::param("start", start, "where in the region the writer starts, as a fraction of it")
          .at_least(0.0)
          .at_most(1.0));
    v(sim::param("read_rate", read_rate,
                 "bytes per second of a sequential read stream over the region; 0 = none")
          .at_least(sim::BitRate{})
          .at_most(sim::limits::kMaxMemoryRate));
    v(sim::param("read_start", read_start,
                 "where in the region the read stream starts, as a fraction of it")
          .at_least(0.0)
          .at_most(1.0));
  }
};

// One pass that sweeps a region byte by byte at a constant rate, wrapping at its end.
class Sweep {
 public:
  Sweep(Region::Pages region, std::int64_t bytes_per_s, std::int64_t page_bytes, double start)
      : region_(region),
        bytes_per_s_(bytes_per_s),
        page_bytes_(page_bytes),
        // Position in bytes from the region start; kept exact in integer arithmetic.
        start_bytes_(static_cast<__int128>(start * static_cast<double>(region.count)) *
                     page_bytes) {}

  bool active() const { return bytes_per_s_ > 0 && region_.count > 0; }

  // Calls fn(first, count) for the page ranges touched in guest time [from, to): from the page
  // holding byte position(from) to the one holding position(to) - 1.
  template <class F>
  void touched(Duration from, Duration to, F&& fn) const {
    if (!active()) return;
    const __int128 a = position(from), b = position(to);
    if (b <= a) return;
    const __int128 first = a / page_bytes_;
    const __int128 last = (b - 1) / page_bytes_;  // inclusive
    const __int128 n = region_.count;
    if (last - first + 1 >= n) {
      fn(region_.first, region_.count);
      return;
    }
    const auto f = static_cast<std::uint64_t>(first % n);
    const auto len = static_cast<std::uint64_t>(last - first + 1);
    if (f + len <= region_.count) {
      fn(region_.first + f, len);
    } else {
      fn(region_.first + f, region_.count - f);
      fn(region_.first, len - (region_.count - f));
    }
  }

  // The guest time at or after `from` when the sweep first touches a missing page, and the page.
  std::optional<vm::Miss> next_miss(Duration from, const vm::GuestMemory& memory,
                                    bool write) const {
    if (!active() || memory.missing_in(region_.first, region_.count) == 0) return std::nullopt;
    const __int128 pos = position(from);
    const __int128 page_abs = pos / page_bytes_;  // the page the next byte falls in
    const auto c = static_cast<std::uint64_t>(page_abs % region_.count);
    const std::uint64_t end = region_.first + region_.count;
    std::uint64_t q = memory.next_missing(region_.first + c, end);
    std::uint64_t distance = q - (region_.first + c);
    if (q == end) {
      q = memory.next_missing(region_.first, region_.first + c);
      distance = region_.count - c + (q - region_.first);
    }
    vm::Miss miss;
    miss.page = q;
    miss.write = write;
    if (distance == 0) {
      miss.at = from;
      return miss;
    }
    // The latest time at which the sweep has not yet reached the missing page's first byte.
    const __int128 target = (page_abs + distance) * page_bytes_;
    const __int128 t =
        ((target - start_bytes_ + 1) * 1000000000 + bytes_per_s_ - 1) / bytes_per_s_ - 1;
    miss.at = Duration::ns(static_cast<std::int64_t>(t));
    if (miss.at < from) miss.at = from;
    return miss;
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

class Sequential final : public vm::GuestActivity {
 public:
  Sequential(const SequentialParams& p, const WorkloadContext& ctx)
      : writer_(p.region.resolve(ctx), p.dirty_rate.bps() / 8, ctx.page_size.count(), p.start),
        reader_(p.region.resolve(ctx), p.read_rate.bps() / 8, ctx.page_size.count(), p.read_start) {
  }

  void advance(Duration from, Duration to, vm::GuestMemory& memory) override {
    if (memory.side() == vm::Side::kDestination)
      reader_.touched(from, to, [&](std::uint64_t f, std::uint64_t n) { memory.read_range(f, n); });
    writer_.touched(from, to, [&](std::uint64_t f, std::uint64_t n) { memory.write_range(f, n); });
  }

  std::optional<vm::Miss> next_miss(Duration from, const vm::GuestMemory& memory) override {
    const auto w = writer_.next_miss(from, memory, true);
    const auto r = reader_.next_miss(from, memory, false);
    if (!w) return r;
    if (!r) return w;
    return r->at < w->at ? r : w;
  }

 private:
  Sweep writer_, reader_;
};

}  // namespace

void register_sequential(WorkloadRegistry& r) {
  r.add(make_entry<SequentialParams, Sequential>(
      "sequential",
      "writes a region's pages in order at a constant dirty_rate, wrapping around; optionally "
      "reads them in order at read_rate"));
}

}  // namespace migsim::workloads
