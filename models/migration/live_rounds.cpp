#include "models/migration/live_rounds.h"

namespace migsim::migration {
namespace {

// The smallest non-zero max_bandwidth: keeps simulated time far from overflow.
constexpr BitRate kMinCap = BitRate::bits_per_second(1000000);

bool fits_downtime(const StopPolicy& stop, const MigrationSession& s) {
  return stop.fits_downtime(s.pending_bytes(), s.measured_bandwidth());
}

}  // namespace

LiveCopyParams LiveCopyParams::for_hypervisor(std::string_view hypervisor) {
  const MigrationPreset& preset = migration_preset(hypervisor);
  LiveCopyParams p;
  p.stop = preset.stop;
  p.skip_redirtied = preset.skip_redirtied;
  p.max_bandwidth = preset.max_bandwidth;
  p.rescan_each_pass = preset.rescan_each_pass;
  p.format = preset.format;
  return p;
}

void LiveCopyParams::check() const {
  if (max_bandwidth.bps() > 0 && max_bandwidth.bps() < kMinCap.bps())
    throw sim::ParamError("max_bandwidth", "max_bandwidth " + sim::format_bit_rate(max_bandwidth) +
                                               " must be 0 (no cap) or at least " +
                                               sim::format_bit_rate(kMinCap));
}

sim::Task<StopReason> run_live_rounds(MigrationSession& s, const LiveCopyParams& p,
                                      const StopPolicy& stop, LiveRoundHooks hooks) {
  const std::uint64_t guest_pages = s.memory().pages();
  MigrationReport& report = s.report();

  // Log-dirty on (one fetch's cost); every page pending: round 1 is the full copy.
  co_await s.pause_guest_for(s.log_fetch_time());
  s.start_dirty_logging();
  s.begin_round();
  if (hooks.at_start) co_await hooks.at_start();

  bool deferred = false;  // a stop was put off by hooks.may_stop
  for (;;) {
    // A live round: send the pending set, batch by batch. With a downtime limit, the round
    // ends early (QEMU syncs) once what is pending would fit in the downtime.
    while (s.pending_pages() > 0 && !fits_downtime(stop, s) && !stop.past_deadline(s.elapsed())) {
      if (p.skip_redirtied) co_await s.pause_guest_for(s.log_fetch_time());  // PEEK
      const Batch b = s.take_batch(p.skip_redirtied);
      if (b.pages > 0 || b.hashed > 0) co_await s.transmit(b, p.max_bandwidth);
    }
    co_await s.drain();  // several streams: the round ends when its last batch has left
    StopReason reason = stop.after_round(s.round(), report.pages_sent, guest_pages);
    if (reason == StopReason::kNone) reason = stop.guard(s.round(), s.elapsed(), s.pending_pages());
    s.close_round();
    if (reason != StopReason::kNone && reason != StopReason::kRoundGuard &&
        reason != StopReason::kTimeGuard && hooks.may_stop) {
      if (!hooks.may_stop()) {
        // Not yet (storage loads outstanding): wait a little if nothing is left to send, then
        // go on with another round, within migsim's guards.
        if (s.pending_pages() == 0 && hooks.gate_wake != nullptr)
          co_await hooks.gate_wake->wait_until(s.now() + hooks.gate_poll);
        deferred = true;
        // Only migsim's hard guards end a deferred phase (an empty round is expected here).
        reason = s.elapsed() >= sim::limits::kMaxLivePhase    ? StopReason::kTimeGuard
                 : s.round().index >= sim::limits::kMaxRounds ? StopReason::kRoundGuard
                                                              : StopReason::kNone;
      } else if (deferred) {
        reason = StopReason::kStorageLoaded;
      }
    }
    if (reason != StopReason::kNone) co_return reason;

    co_await s.fetch_dirty_log(hooks.fetched);  // Xen CLEAN / QEMU sync
    if (hooks.after_fetch) hooks.after_fetch();
    s.record_fetch(s.last_fetch().dirty_count);
    if (stop.uses_downtime_limit() && fits_downtime(stop, s)) co_return StopReason::kDowntimeLimit;
    if (hooks.extra_stop)
      if (const StopReason own = hooks.extra_stop(); own != StopReason::kNone) co_return own;
    // A fresh pass: Xen rescans from page 0, QEMU resumes where its scan stopped.
    if (p.rescan_each_pass && s.pending_pages() == s.last_fetch().newly_pending) s.rewind();
    s.begin_round();
  }
}

}  // namespace migsim::migration
