// memtester 4.x running in the guest on a locked buffer, looping forever. One loop follows
// memtester.c / tests.c: Stuck Address (16 passes over the whole buffer, each a write then a
// read), then Random Value, Compare XOR/SUB/MUL/DIV/OR/AND, Sequential Increment, Solid Bits
// (64), Block Sequential (256), Checkerboard (64), Bit Spread (128), Bit Flip (512), Walking
// Ones (128), Walking Zeroes (128), 8-bit and 16-bit Writes (2 each, TEST_NARROW_WRITES). Each
// of these tests writes the two buffer halves in lockstep (*p1++ = *p2++) and then compares
// them (reads only); after each test memtester memsets the whole buffer (0xff).
// Modelled: the order and extent of writes and reads, and time = bytes moved / `bandwidth`
// (compare passes read both halves in lockstep; Stuck Address verifies the buffer in order;
// read-modify-write passes move every byte twice; narrow-write passes cost 8x (8-bit) or 4x
// (16-bit) on the half written narrowly). At the destination the first page a pass reaches that
// is missing is the next fault, found by scanning the missing-page bitmap from the pass's
// position. Not modelled: cache effects, the first-touch cost of log-dirty faults, rand_ul().
#include <algorithm>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "workloads/workload.h"

namespace migsim::workloads {
namespace {

struct MemtesterParams {
  Bytes buffer{std::int64_t{64} << 20};
  Bytes offset{};
  sim::BitRate bandwidth = sim::BitRate::bytes_per_second(std::int64_t{2} << 30);
  bool narrow_writes = true;
  bool random_phase = true;
  double phase = 0.0;

  template <class V>
  void visit(V& v) {
    v(sim::param("buffer", buffer, "memtester's buffer (memtester <size>)")
          .at_least(Bytes{8192})
          .at_most(sim::limits::kMaxMemory));
    v(sim::param("offset", offset, "where the buffer starts in guest memory; page-aligned")
          .at_least(Bytes{0})
          .at_most(sim::limits::kMaxMemory));
    v(sim::param("bandwidth", bandwidth,
                 "memory traffic memtester achieves in the guest (reads and writes)")
          .at_least(sim::BitRate::bytes_per_second(1 << 20))
          .at_most(sim::limits::kMaxMemoryRate));
    v(sim::param("narrow_writes", narrow_writes,
                 "include the 8-bit and 16-bit write tests (built with TEST_NARROW_WRITES)"));
    v(sim::param("random_phase", random_phase,
                 "start at a random point of memtester's loop, drawn from stream "
                 "'workload.memtester' (or 'background.memtester'; so replications differ); false "
                 "= start at `phase`"));
    v(sim::param("phase", phase,
                 "where in the loop the migration starts, as a fraction of one loop; used when "
                 "random_phase is false")
          .at_least(0.0)
          .at_most(1.0));
  }
};

class Memtester final : public vm::GuestActivity {
 public:
  Memtester(const MemtesterParams& p, const WorkloadContext& ctx) : page_(ctx.page_size.count()) {
    const std::int64_t memory = page_ * static_cast<std::int64_t>(ctx.pages);
    if (p.offset.count() % page_ != 0)
      throw sim::ParamError("offset",
                            "offset " + sim::format_bytes(p.offset) + " is not page-aligned");
    if (p.offset.count() >= memory)
      throw sim::ParamError("offset", "offset " + sim::format_bytes(p.offset) +
                                          " is beyond guest memory (" +
                                          sim::format_bytes(Bytes{memory}) + ")");
    // offset < memory <= 4 TiB and buffer <= 4 TiB: the sum cannot overflow.
    if (p.buffer.count() > memory - p.offset.count())
      throw sim::ParamError("buffer", "buffer " + sim::format_bytes(p.buffer) + " at offset " +
                                          sim::format_bytes(p.offset) + " does not fit in " +
                                          sim::format_bytes(Bytes{memory}) + " of guest memory");
    base_ = p.offset.count();
    // memtester splits the buffer into two halves of whole `unsigned long`s.
    half_ = (p.buffer.count() / 2) / 8 * 8;
    build_loop(p);
    sim::RandomStream rng = ctx.stream("memtester");
    phase_ = p.random_phase ? rng.uniform01() : p.phase;
    offset_ns_ = static_cast<std::int64_t>(phase_ * static_cast<double>(period_ns_));
  }

  void advance(Duration from, Duration to, vm::GuestMemory& memory) override {
    if (to <= from) return;
    if ((to - from).count_ns() >= period_ns_) {  // a whole loop: every buffer page is written
      touch(memory, 0, 2 * half_);
      return;
    }
    std::int64_t t0 = (from.count_ns() + offset_ns_) % period_ns_;
    std::int64_t remaining = (to - from).count_ns();
    auto it = segment_at(t0);
    while (remaining > 0) {
      const std::int64_t seg_end = it->start + it->length;
      const std::int64_t t1 = std::min(seg_end, t0 + remaining);
      if (mark(memory, *it, t0 - it->start, t1 - it->start)) return;  // whole buffer written
      remaining -= t1 - t0;
      t0 = t1;
      if (++it == segments_.end()) {
        it = segments_.begin();
        t0 = 0;
      }
    }
  }

  std::optional<vm::Miss> next_miss(Duration from, const vm::GuestMemory& memory) override {
    const auto first = static_cast<std::uint64_t>(base_ / page_);
    const auto last = static_cast<std::uint64_t>((base_ + 2 * half_ - 1) / page_);
    if (memory.missing_in(first, last - first + 1) == 0) return std::nullopt;
    std::int64_t t0 = (from.count_ns() + offset_ns_) % period_ns_;
    auto it = segment_at(t0);
    std::int64_t waited = 0;  // loop time from `from` to the start of the segment's remainder
    // Every segment covers the whole buffer, so a miss is found within one loop.
    for (std::size_t i = 0; i <= segments_.size(); ++i) {
      const std::int64_t a = t0 - it->start;
      if (const auto hit = first_miss(memory, *it, a)) {
        vm::Miss miss;
        miss.at = from + Duration::ns(waited + (hit->first - a));
        miss.page = hit->second;
        miss.write = it->kind == Kind::kWriteWhole || it->kind == Kind::kWritePair;
        return miss;
      }
      waited += it->length - a;
      if (++it == segments_.end()) it = segments_.begin();
      t0 = it->start;
    }
    throw std::logic_error("memtester: a missing buffer page was not reached in one loop");
  }

  std::vector<std::pair<std::string, double>> facts() const override {
    return {{"workload_phase", phase_},
            {"workload_loop_s", static_cast<double>(period_ns_) * 1e-9}};
  }

 private:
  // Whole: one pass over the buffer in order. Pair: the two halves in lockstep (*p1, *p2).
  enum class Kind { kReadWhole, kReadPair, kWritePair, kWriteWhole };
  struct Segment {
    std::int64_t start;   // ns from the loop start
    std::int64_t length;  // ns
    Kind kind;
  };

  void add(Kind kind, std::int64_t bytes_moved, std::int64_t bytes_per_s) {
    const __int128 ns = static_cast<__int128>(bytes_moved) * 1000000000 / bytes_per_s;
    if (period_ns_ + ns > kMaxLoopNs)
      throw sim::ParamError("bandwidth",
                            "one memtester loop over this buffer would last more than " +
                                sim::format_duration(sim::Duration::ns(kMaxLoopNs)) +
                                ": raise bandwidth or shrink buffer");
    segments_.push_back(
        Segment{period_ns_, std::max<std::int64_t>(static_cast<std::int64_t>(ns), 1), kind});
    period_ns_ += segments_.back().length;
  }
  static constexpr std::int64_t kMaxLoopNs = std::int64_t{1} << 60;  // ~36 years

  std::vector<Segment>::const_iterator segment_at(std::int64_t t) const {
    return std::upper_bound(segments_.begin(), segments_.end(), t,
                            [](std::int64_t x, const Segment& s) { return x < s.start; }) -
           1;
  }
  static bool whole(Kind k) { return k == Kind::kReadWhole || k == Kind::kWriteWhole; }

  // The first access of segment `s` at or after `a` ns into it to a missing page: (ns into the
  // segment, page). The pass touches buffer byte x at ns floor(x * length / span); the miss time
  // is the latest one at which the page's first byte is not yet touched.
  std::optional<std::pair<std::int64_t, std::uint64_t>> first_miss(const vm::GuestMemory& memory,
                                                                   const Segment& s,
                                                                   std::int64_t a) const {
    const std::int64_t span = whole(s.kind) ? 2 * half_ : half_;
    const auto x0 = static_cast<std::int64_t>(static_cast<__int128>(span) * a / s.length);
    std::optional<std::int64_t> best;  // first byte (relative to the pass) of the missing page
    std::uint64_t page = 0;
    const auto scan = [&](std::int64_t origin) {  // the pass over [origin, origin + span)
      const auto from = static_cast<std::uint64_t>((origin + x0) / page_);
      const auto end = static_cast<std::uint64_t>((origin + span - 1) / page_) + 1;
      const std::uint64_t q = memory.next_missing(from, end);
      if (q == end) return;
      const std::int64_t x = static_cast<std::int64_t>(q) * page_ - origin;
      if (!best || x < *best) {
        best = x;
        page = q;
      }
    };
    scan(base_);
    if (!whole(s.kind)) scan(base_ + half_);
    if (!best) return std::nullopt;
    if (*best <= x0) return std::make_pair(a, page);
    const auto t = static_cast<std::int64_t>(static_cast<__int128>(*best) * s.length / span);
    return std::make_pair(std::max(t, a), page);
  }

  void build_loop(const MemtesterParams& p) {
    const std::int64_t bw = std::max<std::int64_t>(1, p.bandwidth.bps() / 8);
    const std::int64_t whole = 2 * half_;
    for (int j = 0; j < 16; ++j) {  // Stuck Address: write then verify the whole buffer
      add(Kind::kWriteWhole, whole, bw);
      add(Kind::kReadWhole, whole, bw);
    }
    struct Test {
      int passes;
      std::int64_t write_cost;  // bytes moved by the write pass
    };
    const std::vector<Test> tests = [&] {
      std::vector<Test> t{
          {1, whole},                                                    // Random Value
          {1, 2 * whole}, {1, 2 * whole}, {1, 2 * whole},                // XOR SUB MUL
          {1, 2 * whole}, {1, 2 * whole}, {1, 2 * whole},                // DIV OR AND
          {1, whole},                                                    // Seq. Increment
          {64, whole},    {256, whole},   {64, whole},    {128, whole},  // Solid Block Check Spread
          {512, whole},   {128, whole},   {128, whole},                  // Flip Walk1 Walk0
      };
      if (p.narrow_writes) {
        t.push_back({2, half_ + 8 * half_});  // 8-bit Writes: one half in byte stores
        t.push_back({2, half_ + 4 * half_});  // 16-bit Writes
      }
      return t;
    }();
    for (const Test& t : tests) {
      for (int j = 0; j < t.passes; ++j) {
        add(Kind::kWritePair, t.write_cost, bw);
        add(Kind::kReadPair, whole, bw);  // compare_regions
      }
      add(Kind::kWriteWhole, whole, bw);  // memset(buf, 255, wantbytes)
    }
  }

  // Applies what segment `s` does between `a` and `b` ns into it: its writes, and at the
  // destination its reads (checked against what is held). True if it wrote the whole buffer
  // (every write pass covers it).
  bool mark(vm::GuestMemory& memory, const Segment& s, std::int64_t a, std::int64_t b) {
    const bool reads = s.kind == Kind::kReadWhole || s.kind == Kind::kReadPair;
    if (reads && memory.side() == vm::Side::kSource) return false;  // reads change nothing
    const std::int64_t span = whole(s.kind) ? 2 * half_ : half_;
    const auto lo = static_cast<std::int64_t>(static_cast<__int128>(span) * a / s.length);
    const auto hi =
        static_cast<std::int64_t>((static_cast<__int128>(span) * b + s.length - 1) / s.length);
    touch(memory, lo, hi, reads);
    if (!whole(s.kind)) touch(memory, half_ + lo, half_ + hi, reads);
    return !reads && a == 0 && b == s.length;
  }

  // Writes (or reads) buffer bytes [lo, hi).
  void touch(vm::GuestMemory& memory, std::int64_t lo, std::int64_t hi, bool read = false) {
    if (hi <= lo) return;
    const auto first = static_cast<std::uint64_t>((base_ + lo) / page_);
    const auto last = static_cast<std::uint64_t>((base_ + hi - 1) / page_);
    if (read)
      memory.read_range(first, last - first + 1);
    else
      memory.write_range(first, last - first + 1);
  }

  std::int64_t page_;
  std::int64_t base_ = 0;
  std::int64_t half_ = 0;
  std::vector<Segment> segments_;
  std::int64_t period_ns_ = 0;
  double phase_ = 0.0;
  std::int64_t offset_ns_ = 0;
};

}  // namespace

void register_memtester(WorkloadRegistry& r) {
  r.add(make_entry<MemtesterParams, Memtester>(
      "memtester", "memtester 4.x looping over a locked buffer (its real test sequence)"));
}

}  // namespace migsim::workloads
