// A virtual-desktop user, Jo & Egger's setting (seed-papers.md 4): a knowledge worker whose
// guest alternates idle periods (think time) and bursts of activity. Memory has three parts:
//   - the OS working set, the bottom `os_fraction` of memory, written all the time at
//     `os_write_rate`;
//   - application memory above it: document edits write `edit_rate` text pages per second
//     over `edit_fraction` of memory while active; each application launch writes `launch_heap` of
//     new anonymous memory (at a cursor that wraps over the application region);
//   - the page cache, the top `cache_fraction` of memory: full of files when the migration
//     starts (on-storage runs of `file_size`), and each launch (`launch_read`) or file read
//     (`file_read_size`, `file_read_rate` while active) loads disk blocks into it at a cursor
//     that wraps over it (the oldest cached file makes room).
// Active and idle periods are exponential with means `active_time` and
// active_time x (1 - active_fraction) / active_fraction. Launches and file reads are Poisson
// events during active periods, drawn ahead of time with the pages they touch (so the same run
// happens wherever the guest runs); edits and OS writes are Poisson streams (memoryless), so the
// next miss at the destination is exact whichever comes first.
// Defaults are estimates for a light knowledge worker; README "Workloads" gives their sources.
#include <algorithm>
#include <cmath>
#include <deque>
#include <string>

#include "workloads/workload.h"

namespace migsim::workloads {
namespace {

struct DesktopParams {
  double cache_fraction = 0.5;
  Bytes file_size{std::int64_t{1} << 20};
  double active_fraction = 0.3;
  Duration active_time = Duration::s(5);
  sim::Rate file_read_rate{8.0};
  Bytes file_read_size{64 * 1024};
  sim::Rate launch_rate{0.02};
  Bytes launch_read{std::int64_t{16} << 20};
  Bytes launch_heap{std::int64_t{8} << 20};
  sim::Rate edit_rate{100.0};
  double edit_fraction = 0.008;
  sim::Rate os_write_rate{300.0};
  double os_fraction = 0.03;
  Bytes request_size{128 * 1024};

  template <class V>
  void visit(V& v) {
    v(sim::param("cache_fraction", cache_fraction,
                 "share of memory (the top) used as page cache, full of files at the start")
          .at_least(0.0)
          .at_most(0.95));
    v(sim::param("file_size", file_size, "extent of consecutive disk blocks per cached file")
          .at_least(Bytes{4096})
          .at_most(sim::limits::kMaxMemory));
    v(sim::param("active_fraction", active_fraction, "share of time the user is active")
          .above(0.0)
          .at_most(1.0));
    v(sim::param("active_time", active_time, "mean length of an active period (a burst)")
          .at_least(Duration::ms(1))
          .at_most(Duration::s(86400)));
    v(sim::param("file_read_rate", file_read_rate, "file reads per second while active")
          .at_least(sim::Rate{0.0})
          .at_most(sim::Rate{1e6}));
    v(sim::param("file_read_size", file_read_size, "bytes per file read (into the page cache)")
          .at_least(Bytes{4096})
          .at_most(sim::limits::kMaxMemory));
    v(sim::param("launch_rate", launch_rate, "application launches per second while active")
          .at_least(sim::Rate{0.0})
          .at_most(sim::Rate{1e3}));
    v(sim::param("launch_read", launch_read,
                 "bytes a launch reads from disk into the page cache (binaries, libraries)")
          .at_least(Bytes{0})
          .at_most(sim::limits::kMaxMemory));
    v(sim::param("launch_heap", launch_heap, "new application memory a launch writes")
          .at_least(Bytes{0})
          .at_most(sim::limits::kMaxMemory));
    v(sim::param("edit_rate", edit_rate, "text pages written per second while active (edits)")
          .at_least(sim::Rate{0.0})
          .at_most(sim::Rate{sim::limits::kMaxEventRate}));
    v(sim::param("edit_fraction", edit_fraction,
                 "share of memory holding the documents being edited (start of app memory)")
          .above(0.0)
          .at_most(0.5));
    v(sim::param("os_write_rate", os_write_rate,
                 "pages the OS writes per second, active or idle (timers, logs, services)")
          .at_least(sim::Rate{0.0})
          .at_most(sim::Rate{sim::limits::kMaxEventRate}));
    v(sim::param("os_fraction", os_fraction,
                 "share of memory in the OS working set (the bottom of memory)")
          .above(0.0)
          .at_most(0.5));
    v(sim::param("request_size", request_size,
                 "disk request size of the guest's reads (for its load on shared storage)")
          .at_least(Bytes{4096})
          .at_most(Bytes{std::int64_t{64} << 20}));
  }
};

class Desktop final : public vm::GuestActivity {
 public:
  Desktop(const DesktopParams& p, const WorkloadContext& ctx)
      : p_(p),
        writes_(ctx.stream("desktop")),
        misses_(ctx.stream("desktop.misses")),
        schedule_(ctx.stream("desktop.schedule")) {
    const auto pages_of = [&](Bytes b) {
      return static_cast<std::uint64_t>((b.count() + ctx.page_size.count() - 1) /
                                        ctx.page_size.count());
    };
    const std::uint64_t n = ctx.pages;
    cache_count_ =
        static_cast<std::uint64_t>(std::floor(p.cache_fraction * static_cast<double>(n)));
    cache_first_ = n - cache_count_;
    const auto share = [&](double f) {
      return std::max<std::uint64_t>(
          1, static_cast<std::uint64_t>(std::llround(f * static_cast<double>(n))));
    };
    os_count_ = share(p.os_fraction);
    edit_count_ = share(p.edit_fraction);
    if (os_count_ + edit_count_ >= cache_first_)
      throw sim::ParamError("os_fraction", "os_fraction + edit_fraction (" +
                                               sim::format_double(p.os_fraction + p.edit_fraction) +
                                               ") leave no application memory below the page cache "
                                               "(cache_fraction " +
                                               sim::format_double(p.cache_fraction) + ")");
    app_first_ = os_count_;
    app_count_ = cache_first_ - os_count_;
    file_pages_ = std::max<std::uint64_t>(1, pages_of(p.file_size));
    read_pages_ = pages_of(p.file_read_size);
    launch_read_pages_ = pages_of(p.launch_read);
    launch_heap_pages_ = pages_of(p.launch_heap);
    if (p.file_read_rate.per_second() > 0 && read_pages_ > cache_count_)
      throw sim::ParamError("file_read_size", "a file read of " +
                                                  sim::format_bytes(p.file_read_size) +
                                                  " does not fit in the page cache");
    if (p.launch_rate.per_second() > 0 && launch_read_pages_ > cache_count_)
      throw sim::ParamError("launch_read", "a launch reading " + sim::format_bytes(p.launch_read) +
                                               " does not fit in the page cache");
    if (p.launch_rate.per_second() > 0 && launch_heap_pages_ > app_count_ - edit_count_)
      throw sim::ParamError("launch_heap", "a launch writing " + sim::format_bytes(p.launch_heap) +
                                               " does not fit in application memory");
    idle_mean_ = p.active_fraction >= 1.0
                     ? 0.0
                     : p.active_time.seconds() * (1.0 - p.active_fraction) / p.active_fraction;
    // The phase at time 0 is drawn by the long-run shares, so a migration starts anywhere.
    next_active_ = schedule_.uniform01() < p.active_fraction;
  }

  void prepare(vm::GuestMemory& memory) override {
    memory.set_data_class(app_first_, edit_count_, vm::DataClass::kText);  // the documents
    // The page cache is full of files: runs of consecutive blocks, one per file.
    for (std::uint64_t p = cache_first_; p < cache_first_ + cache_count_; p += file_pages_)
      memory.store_to_disk(p, std::min(file_pages_, cache_first_ + cache_count_ - p));
  }

  void advance(Duration from, Duration to, vm::GuestMemory& memory) override {
    extend_to(to);
    for (const Phase& ph : phases_) {
      const Duration a = std::max(from, ph.start), b = std::min(to, ph.end);
      if (a >= b) continue;
      const double t = (b - a).seconds();
      write_stream(memory, app_first_, edit_count_, ph.active ? p_.edit_rate.per_second() : 0.0, t,
                   vm::DataClass::kText);
      write_stream(memory, 0, os_count_, p_.os_write_rate.per_second(), t, vm::DataClass::kBinary);
    }
    while (!events_.empty() && events_.front().at < to) {
      const Event& e = events_.front();
      if (e.at >= from) apply(e, memory);
      events_.pop_front();
    }
    while (phases_.size() > 1 && phases_.front().end <= to) phases_.pop_front();
  }

  std::optional<vm::Miss> next_miss(Duration from, const vm::GuestMemory& memory) override {
    // Looked ahead this far; beyond, the guest asks again (exact: events are fixed in advance
    // and the streams are memoryless).
    const Duration limit = from + Duration::s(60);
    if (memory.missing_count() == 0) return std::nullopt;
    // The Poisson streams, phase by phase (a fresh draw in each).
    std::optional<vm::Miss> miss;
    const std::uint64_t os_missing = memory.missing_in(0, os_count_);
    const std::uint64_t edit_missing = memory.missing_in(app_first_, edit_count_);
    extend_to(from);
    for (std::size_t i = 0; i < phases_.size() || extend_one(limit); ++i) {
      const Phase& ph = phases_[i];
      if (ph.end <= from) continue;
      const Duration a = std::max(from, ph.start);
      if (a >= limit) break;
      const double os_rate = p_.os_write_rate.per_second() * static_cast<double>(os_missing) /
                             static_cast<double>(os_count_);
      const double edit_rate = ph.active
                                   ? p_.edit_rate.per_second() * static_cast<double>(edit_missing) /
                                         static_cast<double>(edit_count_)
                                   : 0.0;
      const double rate = os_rate + edit_rate;
      if (rate <= 0.0) continue;
      const double wait = -sim::log_unit(1.0 - misses_.uniform01()) / rate;
      const Duration at = a + Duration::ns(static_cast<std::int64_t>(std::ceil(wait * 1e9)));
      if (at >= std::min(ph.end, limit)) continue;
      const bool os = misses_.uniform01() * rate < os_rate;
      const std::uint64_t page =
          os ? memory.kth_missing(0, os_count_, misses_.below(os_missing))
             : memory.kth_missing(app_first_, edit_count_, misses_.below(edit_missing));
      miss = vm::Miss{at, page, true};
      break;
    }
    // A scheduled launch or file read before it that touches a missing page comes first.
    const Duration until = miss ? miss->at : limit;
    for (const Event& e : events_) {
      if (e.at >= until) break;
      if (e.at < from) continue;
      if (const std::uint64_t p = first_missing(e, memory); p != vm::Miss::kNoPage)
        return vm::Miss{e.at, p, true};
    }
    if (miss) return miss;
    return vm::Miss{limit, vm::Miss::kNoPage, false};
  }
  bool memoryless() const override { return true; }

  storage::DiskLoad disk_load() const override {
    const double page = 4096.0;
    const double active = p_.active_fraction;
    const double bytes = active *
                         (p_.file_read_rate.per_second() * static_cast<double>(read_pages_) +
                          p_.launch_rate.per_second() * static_cast<double>(launch_read_pages_)) *
                         page;
    const double req = static_cast<double>(p_.request_size.count());
    const double requests =
        active *
        (p_.file_read_rate.per_second() * std::ceil(static_cast<double>(read_pages_) * page / req) +
         p_.launch_rate.per_second() *
             std::ceil(static_cast<double>(launch_read_pages_) * page / req));
    return {bytes, requests};
  }

  std::vector<std::pair<std::string, double>> facts() const override {
    return {{"cache_pages", static_cast<double>(cache_count_)},
            {"launches", static_cast<double>(launches_)},
            {"file_reads", static_cast<double>(file_reads_)}};
  }

 private:
  struct Phase {
    Duration start, end;
    bool active;
  };
  struct Event {
    Duration at;
    std::uint64_t cache_first, cache_count;  // disk blocks loaded into the page cache
    std::uint64_t heap_first, heap_count;    // new application memory written
  };

  void write_stream(vm::GuestMemory& memory, std::uint64_t first, std::uint64_t count, double rate,
                    double t, vm::DataClass c) {
    if (rate <= 0.0 || count == 0) return;
    vm::GuestMemory::WriteClass scope(memory, c);
    memory.write_random(first, count, -std::expm1(-rate * t / static_cast<double>(count)), writes_);
  }

  void apply(const Event& e, vm::GuestMemory& memory) {
    memory.load_from_disk(e.cache_first, e.cache_count);
    if (e.heap_count > 0) {
      vm::GuestMemory::WriteClass scope(memory, vm::DataClass::kBinary);
      memory.write_range(e.heap_first, e.heap_count);
      ++launches_;
    } else {
      ++file_reads_;
    }
  }

  std::uint64_t first_missing(const Event& e, const vm::GuestMemory& memory) const {
    std::uint64_t p = memory.next_missing(e.cache_first, e.cache_first + e.cache_count);
    if (p < e.cache_first + e.cache_count) return p;
    p = memory.next_missing(e.heap_first, e.heap_first + e.heap_count);
    if (p < e.heap_first + e.heap_count) return p;
    return vm::Miss::kNoPage;
  }

  void extend_to(Duration t) {
    while (phases_.empty() || phases_.back().end <= t) add_phase();
  }
  bool extend_one(Duration until) {
    if (!phases_.empty() && phases_.back().end >= until) return false;
    add_phase();
    return true;
  }

  // The next phase, with its launches and file reads (pages chosen now, in time order).
  void add_phase() {
    const Duration start = phases_.empty() ? Duration{} : phases_.back().end;
    const bool active = next_active_;
    next_active_ = !next_active_ || idle_mean_ == 0.0;
    const double mean = active ? p_.active_time.seconds() : idle_mean_;
    const double len = std::max(1e-6, -sim::log_unit(1.0 - schedule_.uniform01()) * mean);
    const Duration end = start + Duration::ns(static_cast<std::int64_t>(std::ceil(len * 1e9)));
    phases_.push_back({start, end, active});
    if (!active) return;
    const double total = p_.launch_rate.per_second() + p_.file_read_rate.per_second();
    if (total <= 0.0) return;
    for (double t = start.seconds();;) {
      t += -sim::log_unit(1.0 - schedule_.uniform01()) / total;
      const Duration at = Duration::ns(static_cast<std::int64_t>(std::ceil(t * 1e9)));
      if (at >= end) break;
      const bool launch = schedule_.uniform01() * total < p_.launch_rate.per_second();
      Event e{at, 0, 0, 0, 0};
      e.cache_count = launch ? launch_read_pages_ : read_pages_;
      if (cache_cursor_ + e.cache_count > cache_count_) cache_cursor_ = 0;
      e.cache_first = cache_first_ + cache_cursor_;
      cache_cursor_ += e.cache_count;
      if (launch && launch_heap_pages_ > 0) {
        const std::uint64_t heap_space = app_count_ - edit_count_;
        if (heap_cursor_ + launch_heap_pages_ > heap_space) heap_cursor_ = 0;
        e.heap_first = app_first_ + edit_count_ + heap_cursor_;
        e.heap_count = launch_heap_pages_;
        heap_cursor_ += launch_heap_pages_;
      }
      if (e.cache_count > 0 || e.heap_count > 0) events_.push_back(e);
    }
  }

  DesktopParams p_;
  sim::RandomStream writes_, misses_, schedule_;
  std::uint64_t cache_first_ = 0, cache_count_ = 0, os_count_ = 0, edit_count_ = 0;
  std::uint64_t app_first_ = 0, app_count_ = 0;
  std::uint64_t file_pages_ = 1, read_pages_ = 0, launch_read_pages_ = 0, launch_heap_pages_ = 0;
  std::uint64_t cache_cursor_ = 0, heap_cursor_ = 0;
  double idle_mean_ = 0.0;
  bool next_active_ = true;
  std::deque<Phase> phases_;
  std::deque<Event> events_;
  std::uint64_t launches_ = 0, file_reads_ = 0;
};

}  // namespace

void register_desktop(WorkloadRegistry& r) {
  r.add(make_entry<DesktopParams, Desktop>(
      "desktop",
      "a virtual-desktop user: idle and active periods, application launches and file reads "
      "through the page cache (on-storage pages), document edits, OS writes"));
}

}  // namespace migsim::workloads
