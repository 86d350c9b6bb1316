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
  std::string push_order = "pivot";
  std::int64_t prepage_pages = 16;
  std::int64_t push_batch_pages = 64;
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
    v(sim::param("push_order", push_order,
                 "background push: linear = in page order from where the scan is; pivot = "
                 "around the latest fault, both directions (Hines' bubbling)")
          .one_of({"linear", "pivot"}));
    v(sim::param("prepage_pages", prepage_pages,
                 "pending pages around a faulted page sent with it (half before, half after)")
          .at_least(0)
          .at_most(sim::limits::kMaxBatchPages)
          .counting("pages"));
    v(sim::param("push_batch_pages", push_batch_pages,
                 "pages per push batch; a demand page waits behind at most one batch")
          .at_least(1)
          .at_most(sim::limits::kMaxBatchPages)
          .counting("pages"));
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
  explicit PostCopy(const PostCopyParams& p) : p_(p), passes_(passes(p)) {
    live_.skip_redirtied = false;
    live_.rescan_each_pass = false;
    live_.max_bandwidth = p.max_bandwidth;
    live_.format = p.format;
    live_.stop = passes_rules(p);
    live_.check();
  }

  sim::Process run(MigrationContext& ctx, MigrationReport& report) override {
    MigrationSession s(ctx, p_.format, report);
    const bool logging = p_.precopy_rounds > 0;
    if (logging) {
      const StopReason r = co_await run_live_rounds(s, live_, passes_);
      report.stop_reason = r == StopReason::kMaxRounds ? StopReason::kPostCopy : r;
    } else {
      report.stop_reason = StopReason::kPostCopy;
    }
    co_await s.suspend();
    if (logging) {
      co_await s.fetch_dirty_log();
      s.record_fetch(s.last_fetch().dirty_count);
    } else {
      s.mark_all_pending();  // nothing sent yet: every page is pending, nothing to log
    }
    const Bytes bitmap{static_cast<std::int64_t>((s.memory().pages() + 7) / 8)};
    co_await s.transfer_state_and_resume(bitmap, /*at_destination=*/true);

    PostSwitchOptions o;
    o.push_batch_pages = static_cast<std::uint64_t>(p_.push_batch_pages);
    o.push_order = p_.push_order == "pivot" ? PushOrder::kPivot : PushOrder::kLinear;
    o.window = static_cast<std::uint64_t>(p_.prepage_pages);
    o.push_start = p_.push_start;
    o.request_bytes = Bytes{kRequestBytes};
    co_await run_post_switch(s, o);
    s.finish();
  }

 private:
  static StopRules passes_rules(const PostCopyParams& p) {
    StopRules r;
    r.max_rounds = std::max<std::int64_t>(1, p.precopy_rounds);
    r.min_dirty_pages = 0;
    r.max_factor = 0.0;
    return r;
  }
  static StopPolicy passes(const PostCopyParams& p) { return StopPolicy(passes_rules(p)); }

  PostCopyParams p_;
  LiveCopyParams live_;
  StopPolicy passes_;
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
