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
  DemandPagingParams paging;  // QEMU: linear, no pre-paging

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
    paging.visit(v);
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
    // What the last round left, and what was dirtied since, is pulled at the destination.
    co_await switch_to_destination(s, /*fetch_log=*/true, 0, p_.paging.options());
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
