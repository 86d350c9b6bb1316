// Post-copy (Hines & Gopalan, VEE 2009; QEMU postcopy-ram, hypervisor-mechanics.md 2.8):
// `precopy_rounds` live pre-copy passes first (0 = pure post-copy), then suspend, send the CPU
// state and the bitmap of pages still pending, and resume at the destination. The source then
// pushes the pending pages in the background (`push_order`: linear, or pivot = around the
// latest fault in both directions, Hines' active push with bubbling) while the guest's faults
// fetch pages on demand, each with a `prepage_pages` window of pending neighbours. Every page
// crosses the link once after the switch; done when every page is current.
#include "models/migration/algorithm.h"
#include "models/migration/live_rounds.h"
#include "models/migration/post_switch.h"

namespace migsim::migration {
namespace {

struct PostCopyParams {
  std::int64_t precopy_rounds = 0;
  DemandPagingParams paging{"pivot", 16, 64};
  Duration push_start{};
  BitRate max_bandwidth{};
  StreamFormat format;

  template <class V>
  void visit(V& v) {
    v(sim::param("precopy_rounds", precopy_rounds,
                 "live pre-copy passes before the switch (the first sends every page); 0 = pure "
                 "post-copy")
          .at_least(0)
          .at_most(kMaxPassesBeforeSwitch)
          .counting("rounds"));
    paging.visit(v);
    v(sim::param("push_start", push_start,
                 "the background push begins this long after the resume (0 = at once); a long "
                 "delay leaves demand paging alone, to study faults")
          .at_least(Duration{})
          .at_most(Duration::s(100000)));
    v(sim::param("max_bandwidth", max_bandwidth, "rate cap for the pre-copy passes; 0 = link rate")
          .at_least(BitRate{})
          .at_most(sim::limits::kMaxLinkRate));
    format.visit(v);
  }
  static PostCopyParams for_hypervisor(std::string_view hypervisor) {
    PostCopyParams p;
    p.format = migration_preset(hypervisor).format;
    return p;
  }
};

class PostCopy final : public Algorithm {
 public:
  explicit PostCopy(const PostCopyParams& p) : p_(p), live_(passes(p)), stop_(live_.stop) {
    live_.check();
  }

  sim::Process run(MigrationContext& ctx, MigrationReport& report) override {
    MigrationSession s(ctx, p_.format, report);
    const bool logging = p_.precopy_rounds > 0;
    report.stop_reason = StopReason::kPostCopy;
    if (logging) {
      const StopReason r = co_await run_live_rounds(s, live_, stop_);
      if (r != StopReason::kMaxRounds) report.stop_reason = r;  // a guard ended the passes
    }
    co_await s.suspend();
    PostSwitchOptions o = p_.paging.options();
    o.push_start = p_.push_start;
    co_await switch_to_destination(s, logging, 0, o);
  }

 private:
  // `precopy_rounds` passes that send everything pending, unthrottled but for max_bandwidth.
  static LiveCopyParams passes(const PostCopyParams& p) {
    LiveCopyParams live;
    live.stop.max_rounds = std::max<std::int64_t>(1, p.precopy_rounds);
    live.stop.min_dirty_pages = 0;
    live.stop.max_factor = 0.0;
    live.skip_redirtied = false;
    live.rescan_each_pass = false;
    live.max_bandwidth = p.max_bandwidth;
    live.format = p.format;
    return live;
  }

  PostCopyParams p_;
  LiveCopyParams live_;
  StopPolicy stop_;
};

}  // namespace

void register_post_copy(AlgorithmRegistry& registry) {
  registry.add(make_algorithm_entry<PostCopyParams, PostCopy>(
      "post_copy",
      "resume at the destination first, then push pages and fetch faulted ones on demand",
      "Hines & Gopalan, VEE 2009 (seed-papers.md 8); QEMU postcopy-ram",
      &PostCopyParams::for_hypervisor, /*resumes_early=*/true));
}

}  // namespace migsim::migration
