// Iterative pre-copy (Clark et al., NSDI 2005) with the stop rules of real hypervisors:
// Xen 3.x-4.5 xc_domain_save (29 rounds, sent+skipped < 50, 3x memory, PEEK skip), Xen 4.6+
// migration v2 (5 live sends, <= 50 dirty pages) and QEMU (remaining <= bandwidth x
// downtime-limit). hypervisor-mechanics.md 1.2, 1.3, 2.2; seed-papers.md 1a, 1b.
#include <algorithm>
#include <string>

#include "models/migration/algorithm.h"
#include "models/migration/presets.h"
#include "models/migration/stop_rules.h"

namespace migsim::migration {
namespace {

struct PreCopyParams {
  StopRules stop;
  bool skip_redirtied = true;
  BitRate max_bandwidth{};
  bool rescan_each_pass = true;
  StreamFormat format;

  template <class V>
  void visit(V& v) {
    stop.visit(v);
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
    format.visit(v);
  }

  static PreCopyParams for_hypervisor(std::string_view hypervisor) {
    const MigrationPreset& preset = migration_preset(hypervisor);
    PreCopyParams p;
    p.stop = preset.stop;
    p.skip_redirtied = preset.skip_redirtied;
    p.max_bandwidth = preset.max_bandwidth;
    p.rescan_each_pass = preset.rescan_each_pass;
    p.format = preset.format;
    return p;
  }
};

// The smallest non-zero max_bandwidth: keeps simulated time far from overflow.
constexpr BitRate kMinCap = BitRate::bits_per_second(1000000);

class PreCopy final : public Algorithm {
 public:
  explicit PreCopy(const PreCopyParams& p) : p_(p), stop_(p.stop) {
    if (p_.max_bandwidth.bps() > 0 && p_.max_bandwidth.bps() < kMinCap.bps())
      throw sim::ParamError("max_bandwidth",
                            "max_bandwidth " + sim::format_bit_rate(p_.max_bandwidth) +
                                " must be 0 (no cap) or at least " + sim::format_bit_rate(kMinCap));
  }

  sim::Process run(MigrationContext& ctx, MigrationReport& report) override {
    MigrationSession s(ctx, p_.format, report);
    const std::uint64_t guest_pages = s.memory().pages();

    // Log-dirty on (one fetch's cost); every page pending: round 1 is the full copy.
    co_await s.pause_guest_for(s.log_fetch_time());
    s.start_dirty_logging();
    s.begin_round();

    for (;;) {
      // A live round: send the pending set, batch by batch. With a downtime limit, the round
      // ends early (QEMU syncs) once what is pending would fit in the downtime.
      while (s.pending_pages() > 0 && !fits_downtime(s) && !stop_.past_deadline(s.elapsed())) {
        if (p_.skip_redirtied) co_await s.pause_guest_for(s.log_fetch_time());  // PEEK
        const Batch b = s.take_batch(p_.skip_redirtied);
        if (b.pages > 0) co_await s.transmit(b, p_.max_bandwidth);
      }
      report.stop_reason = stop_.after_round(s.round(), report.pages_sent, guest_pages);
      if (report.stop_reason == StopReason::kNone)
        report.stop_reason = stop_.guard(s.round(), s.elapsed(), s.pending_pages());
      s.close_round();
      if (report.stop_reason != StopReason::kNone) break;

      co_await s.fetch_dirty_log();  // Xen CLEAN / QEMU sync
      s.record_fetch(s.last_fetch().dirty_count);
      if (stop_.uses_downtime_limit() && fits_downtime(s)) {
        report.stop_reason = StopReason::kDowntimeLimit;
        break;
      }
      // A fresh pass: Xen rescans from page 0, QEMU resumes where its scan stopped.
      if (p_.rescan_each_pass && s.pending_pages() == s.last_fetch().newly_pending) s.rewind();
      s.begin_round();
    }

    co_await s.suspend();
    co_await s.final_copy();
    co_await s.transfer_state_and_resume();
    s.finish();
  }

 private:
  bool fits_downtime(const MigrationSession& s) const {
    return stop_.fits_downtime(s.pending_bytes(), s.measured_bandwidth());
  }

  PreCopyParams p_;
  StopPolicy stop_;
};

}  // namespace

void register_pre_copy(AlgorithmRegistry& registry) {
  registry.add(AlgorithmEntry{
      "pre_copy",
      "iterative pre-copy with Xen legacy, Xen v2 or QEMU stop rules (from host.hypervisor)",
      [](std::string_view hypervisor) {
        return std::make_unique<sim::ParamSetOf<PreCopyParams>>(
            PreCopyParams::for_hypervisor(hypervisor));
      },
      [](const sim::ParamSet& params) -> std::unique_ptr<Algorithm> {
        return std::make_unique<PreCopy>(
            dynamic_cast<const sim::ParamSetOf<PreCopyParams>&>(params).value);
      }});
}

}  // namespace migsim::migration
