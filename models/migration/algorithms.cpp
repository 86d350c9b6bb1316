#include "models/migration/algorithm.h"

namespace migsim::migration {

const AlgorithmRegistry& algorithms() {
  static const AlgorithmRegistry registry = [] {
    AlgorithmRegistry r;
    register_pre_copy(r);
    register_stop_and_copy(r);
    register_improved_pre_copy(r);
    register_three_stage(r);
    register_post_copy(r);
    register_hybrid(r);
    register_storage_assisted(r);
    register_memory_compare(r);
    register_xvmotion(r);
    return r;
  }();
  return registry;
}

std::string_view to_string(StopReason r) {
  switch (r) {
    case StopReason::kNone:
      return "none";
    case StopReason::kMaxRounds:
      return "max_rounds";
    case StopReason::kMinDirtyPages:
      return "min_dirty_pages";
    case StopReason::kMaxFactor:
      return "max_factor";
    case StopReason::kDowntimeLimit:
      return "downtime_limit";
    case StopReason::kMaxTime:
      return "max_time";
    case StopReason::kNothingPending:
      return "nothing_pending";
    case StopReason::kNoProgress:
      return "no_progress";
    case StopReason::kRoundGuard:
      return "round_guard";
    case StopReason::kTimeGuard:
      return "time_guard";
    case StopReason::kStopAndCopy:
      return "stop_and_copy";
    case StopReason::kSinglePass:
      return "single_pass";
    case StopReason::kPostCopy:
      return "post_copy";
    case StopReason::kStorageLoaded:
      return "storage_loaded";
  }
  return "?";
}

}  // namespace migsim::migration
