// When a pre-copy's live phase ends: the stop rules of real hypervisors as one typed policy,
// shared by every algorithm with pre-copy rounds (pre_copy today; improved pre-copy and hybrid
// next). Xen 3.x-4.5 xc_domain_save: 29 rounds, sent+skipped < 50, 3x memory; Xen 4.6+
// migration v2: 5 live sends, <= 50 dirty pages; QEMU: remaining <= bandwidth x downtime-limit
// (hypervisor-mechanics.md 1.2, 1.3, 2.2). migsim's own guards end any live phase that stops
// making progress, so every run terminates.
#pragma once

#include <cstdint>

#include "models/migration/report.h"
#include "sim/limits.h"
#include "sim/params.h"
#include "sim/units.h"

namespace migsim::migration {

using sim::Duration;

struct StopRules {
  std::int64_t max_rounds = 29;
  std::int64_t min_dirty_pages = 50;
  double max_factor = 3.0;
  Duration downtime_limit{};
  Duration max_time{};

  template <class V>
  void visit(V& v) {
    v(sim::param("max_rounds", max_rounds,
                 "most live rounds, the first full pass included, before stop-and-copy; 0 = no "
                 "cap (Xen legacy DEF_MAX_ITERS 29; Xen v2 SPP_MAX_ITERATIONS 5)")
          .at_least(0)
          .at_most(sim::limits::kMaxRounds)
          .counting("rounds"));
    v(sim::param("min_dirty_pages", min_dirty_pages,
                 "stop when a live round had fewer pages than this to send, skipped ones "
                 "included; 0 = off (Xen legacy: sent+skipped < 50; Xen 4.6 v2: dirty_count <= "
                 "50, i.e. 51)")
          .at_least(0)
          .at_most(sim::limits::kMaxMemory.count() / sim::limits::kMinPageSize.count())
          .counting("pages"));
    v(sim::param("max_factor", max_factor,
                 "stop when pages sent exceed this many times the guest's pages; 0 = off "
                 "(Xen legacy DEF_MAX_FACTOR 3)")
          .at_least(0.0)
          .at_most(static_cast<double>(sim::limits::kMaxRounds)));
    v(sim::param("downtime_limit", downtime_limit,
                 "switch over when pending bytes <= measured bandwidth x this, checked "
                 "between batches with a dirty-log sync (QEMU downtime-limit, 300 ms); 0 = off")
          .at_least(Duration{})
          .at_most(Duration::s(2000)));
    v(sim::param("max_time", max_time,
                 "force the switch-over after this long, like virsh migrate --timeout "
                 "(suspend); 0 = never. Needed when no other rule bounds the rounds")
          .at_least(Duration{})
          .at_most(sim::limits::kMaxLivePhase));
  }
};

class StopPolicy {
 public:
  // Throws sim::ParamError when nothing bounds the live phase (max_factor alone is no bound:
  // when every pending page is skipped nothing is sent).
  explicit StopPolicy(const StopRules& rules);

  // The hypervisor's rules, judged on the live round just finished (xc_domain_save.c
  // L1510-1556): `pages_sent` counts every page sent so far, `guest_pages` the guest's pages.
  StopReason after_round(const RoundRecord& round, std::uint64_t pages_sent,
                         std::uint64_t guest_pages) const;
  // What ends the live phase whatever the rules say: the max_time deadline, migsim's caps on
  // time and rounds, nothing left to pre-copy, or a round in which nothing moved (time stood
  // still, or every pending page was skipped). Deadlines come first: a round cut short by one
  // is labelled by it, not by what it did not get to send. `elapsed` counts from the
  // migration's start; `pending` is what is left after the round.
  StopReason guard(const RoundRecord& round, Duration elapsed, std::uint64_t pending) const;
  // QEMU: pending bytes <= measured bandwidth x downtime limit (migration.c L3046, L3126).
  bool fits_downtime(sim::Bytes pending, double bytes_per_s) const;
  // The user's deadline or migsim's live-phase cap has passed: send no more live batches.
  bool past_deadline(Duration elapsed) const;
  bool uses_downtime_limit() const { return rules_.downtime_limit.count_ns() > 0; }

 private:
  bool timed_out(Duration elapsed) const {
    return rules_.max_time.count_ns() > 0 && elapsed >= rules_.max_time;
  }
  StopRules rules_;
};

}  // namespace migsim::migration
