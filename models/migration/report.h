// What a migration run measured. Names follow QEMU's query-migrate where they overlap
// (total-time, downtime, transferred, duplicate, normal, dirty-sync-count, expected-downtime).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sim/units.h"

namespace migsim::migration {

using sim::Bytes;
using sim::Duration;

// Which rule ended the live phase. Shared by every algorithm so tests and analyses reason about
// one vocabulary; the record holds the string form.
enum class StopReason {
  kNone,            // still running
  kMaxRounds,       // Xen: the round cap (DEF_MAX_ITERS, SPP_MAX_ITERATIONS)
  kMinDirtyPages,   // Xen: the last live round had few pages to send
  kMaxFactor,       // Xen legacy: pages sent exceed max_factor x guest pages
  kDowntimeLimit,   // QEMU: what is pending fits the downtime limit
  kMaxTime,         // the user's deadline (virsh migrate --timeout)
  kNothingPending,  // a live round found nothing left to send
  kNoProgress,      // a live round in which time stood still, or that sent nothing while pages
                    // stayed pending (every pending page was skipped)
  kRoundGuard,      // migsim's cap on live rounds (sim::limits::kMaxRounds)
  kTimeGuard,       // migsim's cap on the live phase (sim::limits::kMaxLivePhase)
  kStopAndCopy,     // no live phase at all
  kSinglePass,      // one live pass by design (three-stage copy's stage 1)
  kPostCopy,        // the guest resumed at the destination and pulled the rest (post-copy,
                    // or hybrid when the pre-copy rounds did not converge)
  kStorageLoaded,   // the rules had called for a stop, put off until the destination had
                    // loaded what was mapped to storage (storage_assisted, VEE'13)
};
std::string_view to_string(StopReason r);

struct RoundRecord {
  int index = 0;             // 1 = first (full) pass
  bool final = false;        // the stop-and-copy round, guest paused
  bool post_switch = false;  // after the guest resumed at the destination (push and demand)
  Duration start{};          // from migration start
  Duration duration{};       // until the dirty-log fetch that closed it (final: last page sent)
  std::uint64_t pages_sent = 0;
  std::uint64_t pages_skipped = 0;  // re-dirtied before their batch (Xen legacy to_skip)
  std::uint64_t pages_zero = 0;     // sent as zero-page records
  std::uint64_t pages_dirtied = 0;  // distinct pages the guest dirtied during the round
  Bytes bytes{};                    // on the wire, framing included
  double bandwidth_bps = 0.0;       // achieved: bytes x 8 / duration
  std::uint64_t pages_pending = 0;  // pending after the fetch that closed it (QEMU remaining)
  Duration expected_downtime{};     // pages pending after the round / measured bandwidth
  std::uint64_t hot_pages = 0;      // improved_pre_copy: pages held back for the final round
  std::uint64_t pages_pushed = 0;   // post-switch: pages the source pushed
  std::uint64_t pages_demand = 0;   // post-switch: pages sent for faults (and their neighbours)
  std::uint64_t faults = 0;         // post-switch: faults the guest took
};

struct MigrationReport {
  // Simulated time the migration started at (0 alone; later when a schedule queued it).
  Duration start{};
  Duration total_time{};
  Duration switch_time{};  // migration start until the guest runs at the destination
  Duration downtime{};
  Duration downtime_suspend{};
  Duration downtime_final_copy{};  // final dirty-log fetch + remaining pages
  Duration downtime_state{};       // device/vCPU state + the last byte's latency
  Duration downtime_resume{};

  Bytes bytes_first_pass{};  // page payload sent for the first time
  Bytes bytes_resent{};      // page payload of pages sent before
  Bytes bytes_framing{};     // page and batch headers, zero-page records
  Bytes bytes_state{};
  Bytes bytes_hash{};  // memory_compare: page hashes sent and the destination's answers
  Bytes bytes_disk{};  // xvmotion: the disk's bulk copy and mirrored writes
  Bytes bytes_total() const {
    return bytes_first_pass + bytes_resent + bytes_framing + bytes_state + bytes_request +
           bytes_hash + bytes_disk;
  }
  // xvmotion: the disk and its copy, the mirror, and the throttles that made both converge.
  Bytes disk_size{};
  Duration disk_copy{};
  Bytes mirror_lag_max{};             // async mirror: most guest-write bytes outstanding at once
  Duration guest_io_throttled{};      // time the guest's disk writes were held below their rate
  Duration vcpu_throttled{};          // vCPU time SDPS took from the guest
  double disk_write_latency_s = 0.0;  // mean latency of the guest's writes during migration
  std::uint64_t stale_blocks = 0;     // blocks older at the destination than at the source
  // Compression (every algorithm): page bytes that went through a codec, before it, and the
  // CPU seconds the source spent compressing (all cores).
  Bytes bytes_before_compression{};
  double cpu_compress_s = 0.0;
  // storage_assisted: what the destination read from shared storage instead of the network.
  Bytes bytes_storage{};
  std::uint64_t pages_from_storage = 0;
  std::uint64_t storage_requests = 0;
  // memory_compare: pages the destination already held (hash matched), not sent.
  std::uint64_t pages_matched = 0;

  std::uint64_t pages_sent = 0;
  std::uint64_t pages_zero = 0;  // QEMU "duplicate"
  std::uint64_t pages_skipped = 0;
  std::uint64_t dirty_syncs = 0;               // dirty-log fetches that fed the pending set
  StopReason stop_reason = StopReason::kNone;  // which rule ended the live phase
  std::vector<RoundRecord> rounds;

  // The guest at the destination (post-copy family).
  bool resumed_before_complete = false;  // the guest ran at the destination during migration
  std::uint64_t faults = 0;              // accesses that stalled on a missing page (QEMU
                                         // postcopy-requests, when every fault sends one)
  std::uint64_t pages_demand = 0;        // faulted pages sent on request
  std::uint64_t pages_prepulled = 0;     // neighbours sent with them
  std::uint64_t pages_pushed = 0;        // pages sent by the background push after resume
  Bytes bytes_request{};                 // destination to source
  Duration guest_stall{};                // vCPU time blocked on missing pages
  Duration post_switch{};                // resume at the destination until every page is current
  // improved_pre_copy: pages held back for the final round when it began.
  std::uint64_t hot_pages_final = 0;
  // Guest time run from the migration's start to its end: total_time - guest_work is what the
  // application lost (log-fetch pauses, downtime, stalls).
  Duration guest_work{};
};

}  // namespace migsim::migration
