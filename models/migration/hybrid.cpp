// Hybrid pre-/post-copy, QEMU's default use of post-copy (libvirt --postcopy-after-precopy):
// pre-copy with the hypervisor's rules; if they have not ended the live phase after
// `switch_after_rounds` rounds, switch to post-copy (suspend, state and the pending-page bitmap,
// resume at the destination, background push + demand paging). A pre-copy that converges
// first ends as plain pre-copy. hypervisor-mechanics.md 2.8; Hines & Gopalan 2009.
#include "models/migration/algorithm.h"
#include "models/migration/live_rounds.h"
#include "models/migration/post_switch.h"

namespace migsim::migration {
namespace {

struct HybridParams {
  LiveCopyParams live;
  std::int64_t switch_after_rounds = 1;
  std::string push_order = "linear";
  std::int64_t prepage_pages = 0;
  std::int64_t push_batch_pages = 64;

  template <class V>
  void visit(V& v) {
    live.stop.visit(v);
    live.visit_round_options(v);
    v(sim::param("switch_after_rounds", switch_after_rounds,
                 "switch to post-copy after this many live rounds that did not end the live "
                 "phase (libvirt --postcopy-after-precopy: after the first)")
          .at_least(1)
          .at_most(kMaxPassesBeforeSwitch)
          .counting("rounds"));
    v(sim::param("push_order", push_order,
                 "background push after the switch: linear = in page order from where the scan "
                 "is (QEMU); pivot = around the latest fault, both directions")
          .one_of({"linear", "pivot"}));
    v(sim::param("prepage_pages", prepage_pages,
                 "pending pages around a faulted page sent with it (QEMU: 0)")
          .at_least(0)
          .at_most(sim::limits::kMaxBatchPages)
          .counting("pages"));
    v(sim::param("push_batch_pages", push_batch_pages,
                 "pages per push batch after the switch; a demand page waits behind at most one")
          .at_least(1)
          .at_most(sim::limits::kMaxBatchPages)
          .counting("pages"));
    live.format.visit(v);
  }
  static HybridParams for_hypervisor(std::string_view hypervisor) {
    HybridParams p;
    p.live = LiveCopyParams::for_hypervisor(hypervisor);
    return p;
  }
};

class Hybrid final : public Algorithm {
 public:
  explicit Hybrid(const HybridParams& p) : p_(p), stop_(p.live.stop) { p_.live.check(); }

  sim::Process run(MigrationContext& ctx, MigrationReport& report) override {
    MigrationSession s(ctx, p_.live.format, report);
    LiveRoundHooks hooks;
    hooks.extra_stop = [&] {
      const auto live = static_cast<std::int64_t>(report.rounds.size());
      return live >= p_.switch_after_rounds ? StopReason::kPostCopy : StopReason::kNone;
    };
    report.stop_reason = co_await run_live_rounds(s, p_.live, stop_, hooks);
    co_await s.suspend();
    if (report.stop_reason != StopReason::kPostCopy) {  // pre-copy converged
      co_await s.final_copy();
      co_await s.transfer_state_and_resume();
      s.finish();
      co_return;
    }
    // The dirty log's last fetch (what the round left) is what the destination must pull.
    co_await s.fetch_dirty_log();
    s.record_fetch(s.last_fetch().dirty_count);
    const Bytes bitmap{static_cast<std::int64_t>((s.memory().pages() + 7) / 8)};
    co_await s.transfer_state_and_resume(bitmap, /*at_destination=*/true);
    PostSwitchOptions o;
    o.push_batch_pages = static_cast<std::uint64_t>(p_.push_batch_pages);
    o.push_order = p_.push_order == "pivot" ? PushOrder::kPivot : PushOrder::kLinear;
    o.window = static_cast<std::uint64_t>(p_.prepage_pages);
    o.request_bytes = Bytes{kRequestBytes};
    co_await run_post_switch(s, o);
    s.finish();
  }

 private:
  HybridParams p_;
  StopPolicy stop_;
};

}  // namespace

void register_hybrid(AlgorithmRegistry& registry) {
  registry.add(make_algorithm_entry<HybridParams, Hybrid>(
      "hybrid",
      "pre-copy with the hypervisor's rules, switching to post-copy when a round does not "
      "converge",
      "QEMU postcopy-ram with libvirt --postcopy-after-precopy; Hines & Gopalan 2009",
      &HybridParams::for_hypervisor, /*resumes_early=*/true));
}

}  // namespace migsim::migration
