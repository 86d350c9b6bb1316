// The live phase of every pre-copy-style algorithm: rounds of sending the pending pages while
// the guest runs, each closed by a dirty-log fetch, until the stop policy (or an algorithm's
// own rule) ends it (Clark et al. 2005; xc_domain_save; QEMU's migration_iteration_run).
// pre_copy, improved_pre_copy, post_copy's pre-copy passes and hybrid compose it; each adds
// its own rule through the hooks.
#pragma once

#include <functional>
#include <string_view>

#include "models/migration/presets.h"
#include "models/migration/session.h"
#include "models/migration/stop_rules.h"

namespace migsim::migration {

struct LiveCopyParams {
  StopRules stop;
  bool skip_redirtied = true;
  BitRate max_bandwidth{};
  bool rescan_each_pass = true;
  StreamFormat format;

  template <class V>
  void visit(V& v) {
    stop.visit(v);
    visit_round_options(v);
    format.visit(v);
  }
  template <class V>
  void visit_round_options(V& v) {
    v(sim::param("skip_redirtied", skip_redirtied,
                 "before each batch, PEEK the dirty log and skip pending pages dirtied again "
                 "since the round began: the next round sends them (Xen legacy to_skip)"));
    v(sim::param("max_bandwidth", max_bandwidth,
                 "rate cap for the live rounds; the final copy is not capped; 0 = link rate "
                 "(QEMU max-bandwidth 128 MiB/s; Xen has none)")
          .at_least(BitRate{})
          .at_most(sim::limits::kMaxLinkRate));
    v(sim::param("rescan_each_pass", rescan_each_pass,
                 "a live round that begins a fresh pass over the pending pages scans from page 0 "
                 "(Xen: every iteration walks pfn 0..p2m_size); false: the scan resumes after "
                 "the last page sent (QEMU find_dirty_block: last_seen_block/last_page)"));
  }

  // The hypervisor's defaults (presets.cpp).
  static LiveCopyParams for_hypervisor(std::string_view hypervisor);
  // Throws sim::ParamError on inconsistent values.
  void check() const;
};

// What an algorithm adds to the live rounds.
struct LiveRoundHooks {
  // Runs once when dirty logging is on and every page is pending, before the first batch of
  // round 1 (storage_assisted sends its map entries first).
  std::function<sim::Task<void>()> at_start;
  // Each closing fetch also ORs the pages it found into this bitmap (the round's dirty set).
  sim::Bitmap* fetched = nullptr;
  // Called after the fetch that closes a live round, before the round records what is pending
  // and before the stop checks that follow.
  std::function<void()> after_fetch;
  // The algorithm's own reason to end the live phase after a round (kNone: go on). Checked
  // after the hypervisor's rules and migsim's guards.
  std::function<StopReason()> extra_stop;
  // When set and false, a stop the rules call for is put off: the live phase goes on (another
  // fetch, another round) until it turns true, waiting on `gate_wake` (up to `gate_poll`)
  // whenever there is nothing to send. The round guard still ends the phase.
  std::function<bool()> may_stop;
  sim::Wakeup* gate_wake = nullptr;
  Duration gate_poll = Duration::ms(100);
};

// Turns on dirty logging (round 1 sends everything) and runs live rounds until something ends
// the phase; returns why. The last round is closed; pages dirtied since its fetch are pending
// in the log for the final copy.
sim::Task<StopReason> run_live_rounds(MigrationSession& s, const LiveCopyParams& p,
                                      const StopPolicy& stop, LiveRoundHooks hooks = {});

}  // namespace migsim::migration
