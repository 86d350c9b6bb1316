#include "models/migration/stop_rules.h"

namespace migsim::migration {

StopPolicy::StopPolicy(const StopRules& rules) : rules_(rules) {
  if (rules_.max_rounds == 0 && rules_.max_time.count_ns() == 0)
    throw sim::ParamError("max_rounds",
                          "pre_copy needs a bound on its live phase: set max_rounds or max_time "
                          "above 0");
}

StopReason StopPolicy::after_round(const RoundRecord& r, std::uint64_t pages_sent,
                                   std::uint64_t guest_pages) const {
  if (rules_.max_rounds > 0 && r.index >= rules_.max_rounds) return StopReason::kMaxRounds;
  if (rules_.min_dirty_pages > 0 &&
      r.pages_sent + r.pages_skipped < static_cast<std::uint64_t>(rules_.min_dirty_pages))
    return StopReason::kMinDirtyPages;
  if (rules_.max_factor > 0.0 &&
      static_cast<double>(pages_sent) > rules_.max_factor * static_cast<double>(guest_pages))
    return StopReason::kMaxFactor;
  return StopReason::kNone;
}

StopReason StopPolicy::guard(const RoundRecord& r, Duration elapsed, std::uint64_t pending) const {
  if (timed_out(elapsed)) return StopReason::kMaxTime;
  if (elapsed >= sim::limits::kMaxLivePhase) return StopReason::kTimeGuard;
  if (r.pages_sent + r.pages_skipped == 0)
    return pending == 0 ? StopReason::kNothingPending : StopReason::kNoProgress;
  if (elapsed == r.start) return StopReason::kNoProgress;
  if (r.index >= sim::limits::kMaxRounds) return StopReason::kRoundGuard;
  return StopReason::kNone;
}

bool StopPolicy::fits_downtime(sim::Bytes pending, double bytes_per_s) const {
  if (!uses_downtime_limit() || bytes_per_s <= 0.0) return false;
  return static_cast<double>(pending.count()) <= bytes_per_s * rules_.downtime_limit.seconds();
}

bool StopPolicy::past_deadline(Duration elapsed) const {
  return timed_out(elapsed) || elapsed >= sim::limits::kMaxLivePhase;
}

}  // namespace migsim::migration
