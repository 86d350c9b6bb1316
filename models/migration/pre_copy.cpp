// Iterative pre-copy (Clark et al., NSDI 2005) with the stop rules of real hypervisors:
// Xen 3.x-4.5 xc_domain_save (29 rounds, sent+skipped < 50, 3x memory, PEEK skip), Xen 4.6+
// migration v2 (5 live sends, <= 50 dirty pages) and QEMU (remaining <= bandwidth x
// downtime-limit). hypervisor-mechanics.md 1.2, 1.3, 2.2; seed-papers.md 1a, 1b.
#include <algorithm>
#include <string>

#include "models/migration/algorithm.h"

namespace migsim::migration {
namespace {

struct PreCopyParams {
  std::int64_t max_rounds = 29;
  std::int64_t min_dirty_pages = 50;
  double max_factor = 3.0;
  bool skip_redirtied = true;
  Duration downtime_limit{};
  BitRate max_bandwidth{};
  Duration max_time{};
  bool rescan_each_pass = true;
  StreamFormat format;

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
    v(sim::param("skip_redirtied", skip_redirtied,
                 "before each batch, PEEK the dirty log and skip pending pages dirtied again "
                 "since the round began: the next round sends them (Xen legacy to_skip)"));
    v(sim::param("downtime_limit", downtime_limit,
                 "switch over when pending bytes <= measured bandwidth x this, checked "
                 "between batches with a dirty-log sync (QEMU downtime-limit, 300 ms); 0 = off")
          .at_least(Duration{})
          .at_most(Duration::s(2000)));
    v(sim::param("max_bandwidth", max_bandwidth,
                 "rate cap for the live rounds; the final copy is not capped; 0 = link rate "
                 "(QEMU max-bandwidth 128 MiB/s; Xen has none)")
          .at_least(BitRate{})
          .at_most(sim::limits::kMaxLinkRate));
    v(sim::param("max_time", max_time,
                 "force the switch-over after this long, like virsh migrate --timeout "
                 "(suspend); 0 = never. Needed when no other rule bounds the rounds")
          .at_least(Duration{})
          .at_most(sim::limits::kMaxLivePhase));
    v(sim::param("rescan_each_pass", rescan_each_pass,
                 "a live round that begins a fresh pass over the pending pages scans from page 0 "
                 "(Xen: every iteration walks pfn 0..p2m_size); false: the scan resumes after "
                 "the last page sent (QEMU find_dirty_block: last_seen_block/last_page)"));
    format.visit(v);
  }

  static PreCopyParams for_hypervisor(std::string_view hypervisor) {
    PreCopyParams p;
    p.format = stream_format_for(hypervisor);
    if (hypervisor == "xen-v2") {
      // RELEASE-4.6.0 xc_sr_save.c: max_iterations = 5; continue while dirty_count > 50.
      p.max_rounds = 5;
      p.min_dirty_pages = 51;
      p.max_factor = 0.0;
      p.skip_redirtied = false;
    } else if (hypervisor == "qemu") {
      // migration/options.c: downtime-limit 300 ms, max-bandwidth 128 MiB/s; no round cap.
      p.max_rounds = 0;
      p.min_dirty_pages = 0;
      p.max_factor = 0.0;
      p.skip_redirtied = false;
      p.downtime_limit = Duration::ms(300);
      p.max_bandwidth = BitRate::bytes_per_second(std::int64_t{128} << 20);
      p.max_time = Duration::s(3600);
      p.rescan_each_pass = false;
    }
    return p;
  }
};

// The smallest non-zero max_bandwidth: keeps simulated time far from overflow.
constexpr BitRate kMinCap = BitRate::bits_per_second(1000000);

class PreCopy final : public Algorithm {
 public:
  explicit PreCopy(const PreCopyParams& p) : p_(p) {
    // max_factor alone is no bound: when every pending page is skipped nothing is sent.
    if (p_.max_rounds == 0 && p_.max_time.count_ns() == 0)
      throw sim::ParamError("max_rounds",
                            "pre_copy needs a bound on its live phase: set max_rounds or max_time "
                            "above 0");
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
      while (s.pending_pages() > 0 && !fits_downtime(s) && !past_deadline(s)) {
        if (p_.skip_redirtied) co_await s.pause_guest_for(s.log_fetch_time());  // PEEK
        const Batch b = s.take_batch(p_.skip_redirtied);
        if (b.pages > 0) co_await s.transmit(b, p_.max_bandwidth);
      }
      report.stop_reason = round_rule(s.round(), report, guest_pages);
      if (report.stop_reason == StopReason::kNone) report.stop_reason = progress_rule(s);
      s.close_round();
      if (report.stop_reason != StopReason::kNone) break;

      co_await s.fetch_dirty_log();  // Xen CLEAN / QEMU sync
      s.record_fetch(s.last_fetch().dirty_count);
      if (p_.downtime_limit.count_ns() > 0 && fits_downtime(s)) {
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
  // Xen's rules, judged on the live round just finished (xc_domain_save.c L1510-1556).
  StopReason round_rule(const RoundRecord& r, const MigrationReport& report,
                        std::uint64_t guest_pages) const {
    if (p_.max_rounds > 0 && r.index >= p_.max_rounds) return StopReason::kMaxRounds;
    if (p_.min_dirty_pages > 0 &&
        r.pages_sent + r.pages_skipped < static_cast<std::uint64_t>(p_.min_dirty_pages))
      return StopReason::kMinDirtyPages;
    if (p_.max_factor > 0.0 &&
        static_cast<double>(report.pages_sent) > p_.max_factor * static_cast<double>(guest_pages))
      return StopReason::kMaxFactor;
    return StopReason::kNone;
  }

  // What ends the live phase whatever the hypervisor's rules say, so every run terminates: the
  // max_time deadline, migsim's own caps on time and rounds, nothing left to pre-copy, or a round
  // in which nothing moved (time stood still, or every pending page was skipped). Deadlines come
  // first: a round cut short by one is labelled by it, not by what it did not get to send.
  StopReason progress_rule(MigrationSession& s) const {
    const RoundRecord& r = s.round();
    if (timed_out(s)) return StopReason::kMaxTime;
    if (s.elapsed() >= sim::limits::kMaxLivePhase) return StopReason::kTimeGuard;
    if (r.pages_sent + r.pages_skipped == 0)
      return s.pending_pages() == 0 ? StopReason::kNothingPending : StopReason::kNoProgress;
    if (s.elapsed() == r.start) return StopReason::kNoProgress;
    if (r.index >= sim::limits::kMaxRounds) return StopReason::kRoundGuard;
    return StopReason::kNone;
  }

  // QEMU: pending bytes <= measured bandwidth x downtime limit (migration.c L3046, L3126).
  bool fits_downtime(const MigrationSession& s) const {
    if (p_.downtime_limit.count_ns() == 0 || s.measured_bandwidth() <= 0.0) return false;
    return static_cast<double>(s.pending_bytes().count()) <=
           s.measured_bandwidth() * p_.downtime_limit.seconds();
  }

  bool timed_out(const MigrationSession& s) const {
    return p_.max_time.count_ns() > 0 && s.elapsed() >= p_.max_time;
  }
  bool past_deadline(const MigrationSession& s) const {
    return timed_out(s) || s.elapsed() >= sim::limits::kMaxLivePhase;
  }

  PreCopyParams p_;
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
