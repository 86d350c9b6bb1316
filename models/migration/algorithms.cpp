#include <stdexcept>
#include <string>

#include "models/migration/algorithm.h"

namespace migsim::migration {

const AlgorithmRegistry& algorithms() {
  static const AlgorithmRegistry registry = [] {
    AlgorithmRegistry r;
    register_pre_copy(r);
    register_stop_and_copy(r);
    return r;
  }();
  return registry;
}

StreamFormat stream_format_for(std::string_view hypervisor) {
  // Xen legacy: int batch count (4 B) + 8 B pfn_type per page (xc_domain_save.c L1377, L1386).
  if (hypervisor == "xen-legacy") return StreamFormat{8, 4, 1024, false, 9};
  // Xen v2: rhdr (8 B) + page-data header (8 B) per record, 8 B pfn per page
  // (xg_sr_stream_format.h).
  if (hypervisor == "xen-v2") return StreamFormat{8, 16, 1024, false, 9};
  // QEMU: be64 offset|flags per page, zero page = 8 + 1 B, 8 B EOS per iterate call (ram.c).
  if (hypervisor == "qemu") return StreamFormat{8, 8, 1024, true, 9};
  throw std::invalid_argument("no stream format for hypervisor " + std::string(hypervisor));
}

}  // namespace migsim::migration

namespace migsim::migration {

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
  }
  return "?";
}

}  // namespace migsim::migration
