// Iterative pre-copy (Clark et al., NSDI 2005) with the stop rules of real hypervisors:
// Xen 3.x-4.5 xc_domain_save (29 rounds, sent+skipped < 50, 3x memory, PEEK skip), Xen 4.6+
// migration v2 (5 live sends, <= 50 dirty pages) and QEMU (remaining <= bandwidth x
// downtime-limit). hypervisor-mechanics.md 1.2, 1.3, 2.2; seed-papers.md 1a, 1b.
#include "models/migration/algorithm.h"
#include "models/migration/live_rounds.h"

namespace migsim::migration {
namespace {

class PreCopy final : public Algorithm {
 public:
  explicit PreCopy(const LiveCopyParams& p) : p_(p), stop_(p.stop) { p_.check(); }

  sim::Process run(MigrationContext& ctx, MigrationReport& report) override {
    MigrationSession s(ctx, p_.format, report);
    report.stop_reason = co_await run_live_rounds(s, p_, stop_);
    co_await s.suspend();
    co_await s.final_copy();
    co_await s.transfer_state_and_resume();
    s.finish();
  }

 private:
  LiveCopyParams p_;
  StopPolicy stop_;
};

}  // namespace

void register_pre_copy(AlgorithmRegistry& registry) {
  registry.add(make_algorithm_entry<LiveCopyParams, PreCopy>(
      "pre_copy",
      "iterative pre-copy with Xen legacy, Xen v2 or QEMU stop rules (from host.hypervisor)",
      "Clark et al. 2005; Xen xc_domain_save / migration v2; QEMU migration/ram.c",
      &LiveCopyParams::for_hypervisor));
}

}  // namespace migsim::migration
