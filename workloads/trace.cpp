// Trace replay: the guest does again what a recorded or imported trace says (trace_file.h). A
// frame's written pages are spread evenly over the frame in stored order; at the destination its
// read pages are read the same way, and the next fault is the first page either list reaches
// that is missing. Guest time g plays trace time start + g / time_scale; a trace shorter than the
// migration loops (`loop: true`) or leaves the guest idle at its end. The parsed trace is shared by
// every run of the process (shared_trace), and replay walks its encoded body with a cursor, so
// the cost follows the pages in the frames replayed, never the size of memory.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <optional>

#include "workloads/trace_file.h"
#include "workloads/workload.h"

namespace migsim::workloads {
namespace {

struct TraceParams {
  std::string path;
  double time_scale = 1.0;
  Duration start{};
  bool loop = true;
  std::string remap = "none";

  template <class V>
  void visit(V& v) {
    v(sim::param("path", path,
                 "the trace file (migsim record / import / trace synth), relative to the "
                 "scenario file"));
    v(sim::param("time_scale", time_scale,
                 "guest seconds per trace second: 2 replays at half speed, 0.5 at double")
          .at_least(1e-6)
          .at_most(1e6));
    v(sim::param("start", start, "where in the trace replay begins")
          .at_least(Duration{})
          .at_most(Duration::s(std::int64_t{1} << 32)));
    v(sim::param("loop", loop,
                 "at the trace's end start again from its beginning; false = the guest goes idle"));
    v(sim::param("remap", remap,
                 "a trace recorded for another memory size: none = an error; scale = trace page p "
                 "covers guest pages [p*G/T, (p+1)*G/T); wrap = guest page p mod G")
          .one_of({"none", "scale", "wrap"}));
  }
};

std::string describe_size(std::uint64_t pages, std::uint64_t page_size) {
  return sim::format_bytes(Bytes{static_cast<std::int64_t>(pages * page_size)}) + " (" +
         std::to_string(pages) + " pages of " +
         sim::format_bytes(Bytes{static_cast<std::int64_t>(page_size)}) + ")";
}

std::shared_ptr<const Trace> load(const TraceParams& p, const WorkloadContext& ctx) {
  if (p.path.empty())
    throw sim::ParamError("path", "a trace workload needs `path`: the trace file to replay");
  std::filesystem::path file(p.path);
  if (file.is_relative() && !ctx.base_dir.empty())
    file = std::filesystem::path(ctx.base_dir) / file;
  std::shared_ptr<const Trace> t;
  try {
    t = shared_trace(file.string());
  } catch (const TraceError& e) {
    throw sim::ParamError("path", e.what());
  }
  const TraceHeader& h = t->header();
  if (t->frames() == 0) throw sim::ParamError("path", file.string() + ": the trace has no frames");
  const std::uint64_t trace_bytes = h.pages * h.page_size;
  const std::uint64_t guest_bytes = ctx.pages * static_cast<std::uint64_t>(ctx.page_size.count());
  const Remap remap = p.remap == "scale"  ? Remap::kScale
                      : p.remap == "wrap" ? Remap::kWrap
                                          : Remap::kNone;
  if (remap == Remap::kNone &&
      (h.pages != ctx.pages || h.page_size != static_cast<std::uint64_t>(ctx.page_size.count())))
    throw sim::ParamError(
        "remap", file.string() + " was recorded for " + describe_size(h.pages, h.page_size) +
                     " of memory; the VM has " +
                     describe_size(ctx.pages, static_cast<std::uint64_t>(ctx.page_size.count())) +
                     (trace_bytes == guest_bytes ? " (another page size)" : "") +
                     ". Set remap: scale or remap: wrap to lay it onto this VM");
  if (p.start.count_ns() >= t->duration_ns())
    throw sim::ParamError("start", "start " + sim::format_duration(p.start) +
                                       " is at or past the trace's end (" +
                                       sim::format_duration(Duration::ns(t->duration_ns())) + ")");
  return remapped(t, ctx.pages, remap);
}

class TraceReplay final : public vm::GuestActivity {
 public:
  TraceReplay(const TraceParams& p, const WorkloadContext& ctx)
      : trace_(load(p, ctx)),
        interval_(trace_->header().interval_ns),
        frames_(trace_->frames()),
        scale_(p.time_scale),
        start_(p.start.count_ns()),
        loop_(p.loop),
        writes_(seek(start_, false)),
        reads_(trace_->header().has_reads ? std::optional<Cursor>(seek(start_, true))
                                          : std::nullopt) {}

  void advance(Duration from, Duration to, vm::GuestMemory& memory) override {
    const std::int64_t a = trace_time(from), b = trace_time(to);
    if (reads_ && memory.side() == vm::Side::kDestination) {
      play(*reads_, a, [](std::uint64_t, std::uint64_t) {});  // catch up after the source phase
      play(*reads_, b, [&](std::uint64_t f, std::uint64_t n) { memory.read_range(f, n); });
    }
    play(writes_, b, [&](std::uint64_t f, std::uint64_t n) { memory.write_range(f, n); });
  }

  std::optional<vm::Miss> next_miss(Duration from, const vm::GuestMemory& memory) override {
    if (memory.missing_count() == 0) return std::nullopt;
    const std::int64_t now = trace_time(from);
    // One whole pass of the trace from now touches every page it ever will.
    const std::int64_t horizon =
        loop_ ? now + trace_->duration_ns() + interval_ : trace_->duration_ns();
    Cursor w = writes_;
    play(w, now, [](std::uint64_t, std::uint64_t) {});
    std::optional<Found> best = find_missing(w, horizon, memory, false);
    if (reads_) {
      Cursor r = *reads_;
      play(r, now, [](std::uint64_t, std::uint64_t) {});
      const std::optional<Found> fr = find_missing(r, best ? best->at + 1 : horizon, memory, true);
      if (fr && (!best || fr->at < best->at)) best = fr;
    }
    if (!best) return std::nullopt;
    vm::Miss miss;
    miss.at = std::max(from, guest_time_before(best->at));
    miss.page = best->page;
    miss.write = !best->read;
    return miss;
  }

  storage::DiskLoad disk_load() const override {
    const TraceDisk d = trace_->disk_total();
    const double seconds = static_cast<double>(trace_->duration_ns()) / 1e9 * scale_;
    return {static_cast<double>(d.read_bytes + d.write_bytes) / seconds,
            static_cast<double>(d.requests) / seconds};
  }

  std::vector<std::pair<std::string, double>> facts() const override {
    return {{"trace_distinct_pages", static_cast<double>(trace_->distinct_written())},
            {"trace_duration_s", static_cast<double>(trace_->duration_ns()) / 1e9},
            {"trace_wraps", loop_ ? static_cast<double>(writes_.frame / frames_) : 0.0}};
  }

 private:
  // Where one list (written or read pages) has got to: an absolute frame number (passes x
  // frames + frame), the pages of it already played, and the decoder inside its runs.
  struct Cursor {
    std::uint64_t frame = 0;
    std::uint64_t done = 0;
    RunDecoder runs;
    PageRun rest{};  // what is left of the run being played
    bool reads = false;
  };
  struct Found {
    std::int64_t at;
    std::uint64_t page;
    bool read;
  };

  // Trace time (absolute: passes included) reached at guest time g.
  std::int64_t trace_time(Duration g) const {
    const std::int64_t ns = g.count_ns();
    if (scale_ == 1.0) return start_ + ns;
    return start_ + static_cast<std::int64_t>(std::floor(static_cast<long double>(ns) /
                                                         static_cast<long double>(scale_)));
  }
  // The latest guest time whose trace time is at most t.
  Duration guest_time_before(std::int64_t t) const {
    if (scale_ == 1.0) return Duration::ns(t - start_);
    auto g = static_cast<std::int64_t>(std::ceil(static_cast<long double>(t - start_ + 1) *
                                                 static_cast<long double>(scale_))) -
             1;
    while (g > 0 && trace_time(Duration::ns(g)) > t) --g;
    while (trace_time(Duration::ns(g + 1)) <= t) ++g;
    return Duration::ns(std::max<std::int64_t>(g, 0));
  }

  std::uint64_t list_at(std::uint64_t frame, bool reads) const {
    const Trace::FrameIndex& fi = trace_->frame(frame % frames_);
    return reads ? fi.reads_at : fi.writes_at;
  }
  std::uint64_t list_pages(std::uint64_t frame, bool reads) const {
    const Trace::FrameIndex& fi = trace_->frame(frame % frames_);
    return reads ? fi.read_pages : fi.write_pages;
  }
  bool ended(const Cursor& c) const { return !loop_ && c.frame >= frames_; }

  Cursor seek(std::int64_t t, bool reads) const {
    const auto frame = static_cast<std::uint64_t>(t / interval_);
    Cursor c{frame, 0, RunDecoder(trace_->body().data(), list_at(frame, reads)), {}, reads};
    play(c, t, [](std::uint64_t, std::uint64_t) {});
    return c;
  }

  void next_frame(Cursor& c, std::int64_t t) const {
    ++c.frame;
    c.done = 0;
    c.rest = {};
    // Two or more whole passes ahead: every page of a pass is touched in this one interval, so
    // playing one pass stands for all of them (writes within an interval are a set).
    if (loop_ && c.frame % frames_ == 0) {
      const std::int64_t ahead = t - static_cast<std::int64_t>(c.frame) * interval_;
      const std::int64_t pass = trace_->duration_ns();
      if (ahead >= 2 * pass) c.frame += static_cast<std::uint64_t>(ahead / pass - 1) * frames_;
    }
    if (!ended(c)) c.runs = RunDecoder(trace_->body().data(), list_at(c.frame, c.reads));
  }

  // Plays the pages whose time is before trace time t (page j of a frame's n at frame start +
  // floor(j * interval / n)), calling fn(first, count) for each piece of a run.
  template <class F>
  void play(Cursor& c, std::int64_t t, F&& fn) const {
    while (!ended(c)) {
      const std::int64_t t0 = static_cast<std::int64_t>(c.frame) * interval_;
      if (t <= t0) return;
      const std::uint64_t n = list_pages(c.frame, c.reads);
      const bool whole = t - t0 >= interval_;
      const std::uint64_t limit =
          whole ? n
                : static_cast<std::uint64_t>((static_cast<__int128>(t - t0) * n + interval_ - 1) /
                                             interval_);
      while (c.done < limit) {
        if (c.rest.count == 0) c.rest = c.runs.next();
        const std::uint64_t m = std::min(c.rest.count, limit - c.done);
        fn(c.rest.first, m);
        c.rest.first += m;
        c.rest.count -= m;
        c.done += m;
      }
      if (!whole) return;
      next_frame(c, t);
    }
  }

  // The first page from the cursor on, before trace time `until`, that is missing.
  std::optional<Found> find_missing(Cursor c, std::int64_t until, const vm::GuestMemory& memory,
                                    bool reads) const {
    while (!ended(c)) {
      const std::int64_t t0 = static_cast<std::int64_t>(c.frame) * interval_;
      if (t0 >= until) return std::nullopt;
      const std::uint64_t n = list_pages(c.frame, c.reads);
      while (c.done < n) {
        if (c.rest.count == 0) c.rest = c.runs.next();
        const std::uint64_t q = memory.next_missing(c.rest.first, c.rest.first + c.rest.count);
        if (q < c.rest.first + c.rest.count) {
          const std::uint64_t j = c.done + (q - c.rest.first);
          const auto at = t0 + static_cast<std::int64_t>(static_cast<__int128>(j) * interval_ /
                                                         static_cast<__int128>(n));
          if (at >= until) return std::nullopt;
          return Found{at, q, reads};
        }
        c.done += c.rest.count;
        c.rest.count = 0;
      }
      next_frame(c, t0);
    }
    return std::nullopt;
  }

  std::shared_ptr<const Trace> trace_;
  std::int64_t interval_;
  std::uint64_t frames_;
  double scale_;
  std::int64_t start_;
  bool loop_;
  Cursor writes_;
  std::optional<Cursor> reads_;
};

}  // namespace

void register_trace(WorkloadRegistry& r) {
  r.add(make_entry<TraceParams, TraceReplay>(
      "trace",
      "replays a recorded or imported dirty-page trace (migsim record, migsim import), looping "
      "or stopping at its end"));
}

}  // namespace migsim::workloads
