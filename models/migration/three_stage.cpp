// Three-stage memory copy, TSMC (Song, Liu, Yin, Gao 2014; seed-papers.md 6), on Xen 4.1.4:
//   1. one full copy of memory while the guest runs, with dirty logging (no iterative rounds);
//   2. suspend; send the dirty bitmap and the CPU state; resume at the destination;
//   3. the source pushes the dirty pages every `push_interval`, `push_batch_pages` at a time,
//      while a guest access to a dirty page not yet there faults and fetches it on demand,
//      with `prepull_pages` neighbours; done when every page is current.
// Every page is sent at most twice. The paper's downtime grows with memory more than a raw
// bitmap (pages / 8 bytes) explains, so the suspend-phase payload also has a per-dirty-page
// term, `dirty_page_overhead_bytes`, calibrated in scenarios/ (not given by the paper).
#include "models/migration/algorithm.h"
#include "models/migration/live_rounds.h"
#include "models/migration/post_switch.h"

namespace migsim::migration {
namespace {

struct ThreeStageParams {
  StreamFormat format;
  std::int64_t dirty_page_overhead_bytes = 0;
  Duration push_interval = Duration::ms(10);
  std::int64_t push_batch_pages = 256;
  std::int64_t prepull_pages = 8;

  template <class V>
  void visit(V& v) {
    v(sim::param("dirty_page_overhead_bytes", dirty_page_overhead_bytes,
                 "bytes sent during the suspension per page dirty after stage 1, on top of the "
                 "bitmap (pages/8 bytes) and the CPU state: the paper's downtime grows with "
                 "memory size faster than a raw bitmap explains; calibrated, not from the paper")
          .at_least(0)
          .at_most(sim::limits::kMaxRecordBytes)
          .counting("bytes"));
    v(sim::param("push_interval", push_interval,
                 "the source pushes one batch of dirty pages every interval (the paper's "
                 "\"preset time interval\", value not given); 0 = back to back")
          .at_least(Duration{})
          .at_most(Duration::s(3600)));
    v(sim::param("push_batch_pages", push_batch_pages, "pages per push")
          .at_least(1)
          .at_most(sim::limits::kMaxBatchPages)
          .counting("pages"));
    v(sim::param("prepull_pages", prepull_pages,
                 "pending pages around a faulted page sent with it (half before, half after; "
                 "the paper's prepull, window not given)")
          .at_least(0)
          .at_most(sim::limits::kMaxBatchPages)
          .counting("pages"));
    format.visit(v);
  }
  static ThreeStageParams for_hypervisor(std::string_view hypervisor) {
    ThreeStageParams p;
    p.format = migration_preset(hypervisor).format;
    return p;
  }
};

class ThreeStage final : public Algorithm {
 public:
  explicit ThreeStage(const ThreeStageParams& p) : p_(p), stage1_(one_pass()) {}

  sim::Process run(MigrationContext& ctx, MigrationReport& report) override {
    MigrationSession s(ctx, p_.format, report);
    // Stage 1: copy all memory once, recording the pages dirtied meanwhile.
    LiveCopyParams full_copy;
    full_copy.skip_redirtied = false;
    full_copy.format = p_.format;
    (void)co_await run_live_rounds(s, full_copy, stage1_);
    report.stop_reason = StopReason::kSinglePass;

    // Stage 2: suspend; the dirty bitmap, its per-page overhead and the CPU state go across.
    // Stage 3: periodic push and on-demand copy with prepull.
    co_await s.suspend();
    PostSwitchOptions o;
    o.push_interval = p_.push_interval;
    o.push_batch_pages = static_cast<std::uint64_t>(p_.push_batch_pages);
    o.push_order = PushOrder::kLinear;
    o.window = static_cast<std::uint64_t>(p_.prepull_pages);
    co_await switch_to_destination(s, /*fetch_log=*/true, p_.dirty_page_overhead_bytes, o);
  }

 private:
  static StopRules one_pass() {
    StopRules r;
    r.max_rounds = 1;
    r.min_dirty_pages = 0;
    r.max_factor = 0.0;
    return r;
  }
  ThreeStageParams p_;
  StopPolicy stage1_;
};

}  // namespace

void register_three_stage(AlgorithmRegistry& registry) {
  registry.add(make_algorithm_entry<ThreeStageParams, ThreeStage>(
      "three_stage",
      "TSMC: one full copy, suspend with the dirty bitmap, then push + on-demand fetch at the "
      "destination",
      "Song, Liu, Yin, Gao 2014, J. Applied Mathematics 297127 (seed-papers.md 6)",
      &ThreeStageParams::for_hypervisor, /*resumes_early=*/true));
}

}  // namespace migsim::migration
