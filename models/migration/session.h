// The machinery every migration algorithm shares: the pending-page set, batched sending with
// framing and byte accounting, dirty-log fetches (with their guest pause), suspend, state
// transfer and resume, and the round records. An algorithm file composes these into its
// protocol; it never touches bitmaps or byte counters directly.
#pragma once

#include <cstdint>

#include "models/host/hypervisor.h"
#include "models/migration/report.h"
#include "models/migration/stream.h"
#include "models/network/link.h"
#include "models/vm/guest.h"
#include "sim/bitmap.h"
#include "sim/simulation.h"

namespace migsim::migration {

using sim::BitRate;

// Everything an algorithm runs against. Owned by the caller; outlives the migration.
struct MigrationContext {
  sim::Simulation& sim;
  vm::Guest& guest;
  net::Link& link;
  host::HostParams host;
};

// Pages taken from the pending set for one batch.
struct Batch {
  std::uint64_t pages = 0;
  std::uint64_t zero_pages = 0;
  std::uint64_t skipped = 0;
  Bytes first_pass{};
  Bytes resent{};
  Bytes framing{};
  Bytes bytes() const { return first_pass + resent + framing; }
};

class MigrationSession {
 public:
  MigrationSession(MigrationContext& ctx, const StreamFormat& format, MigrationReport& report);

  vm::GuestMemory& memory() { return ctx_.guest.memory(); }
  Duration now() const { return ctx_.sim.now(); }
  // Time since this migration started: what records and deadlines use, so a simulation can
  // start several migrations at different times.
  Duration elapsed() const { return now() - start_; }
  Duration log_fetch_time() const { return log_fetch_time_; }

  // --- pending set ---
  // Turns on dirty logging: clears the log and marks every page pending (round 1 = full copy).
  // Counts as a dirty-log sync (QEMU's setup sync).
  void start_dirty_logging();
  // Every page pending, no logging (stop-and-copy: the guest is already stopped).
  void mark_all_pending();
  std::uint64_t pending_pages() const { return pending_count_; }
  Bytes pending_bytes() const { return page_size_ * static_cast<std::int64_t>(pending_count_); }
  // Restarts the scan at page 0 (Xen walks PFNs from 0 each round; QEMU resumes where it was).
  void rewind() { cursor_ = 0; }

  // --- awaitables ---
  // Pauses the guest (if running) for `d`; used for dirty-log fetches and PEEKs.
  struct GuestPause {
    MigrationSession* s;
    Duration d;
    bool paused_here = false;
    bool await_ready() const noexcept { return d.count_ns() == 0; }
    void await_suspend(std::coroutine_handle<> h);
    void await_resume();
  };
  GuestPause pause_guest_for(Duration d) { return GuestPause{this, d}; }
  // One dirty-log fetch: pays its cost (pausing the guest if the host does), then ORs the log into
  // the pending set and clears it (Xen CLEAN, QEMU sync). Result in last_fetch().
  sim::Task<void> fetch_dirty_log();
  const vm::LogFetch& last_fetch() const { return last_fetch_; }
  // The guest's writes so far, applied (call before looking at the log).
  void sync_guest() { ctx_.guest.sync(now()); }

  // Takes up to batch_pages pending pages from the cursor (wrapping at the end), captures their
  // content now and counts their bytes. With `skip_redirtied`, pending pages whose log bit is set
  // (dirtied again since the last fetch) are dropped instead: the next fetch brings them back.
  Batch take_batch(bool skip_redirtied);
  // Sends a batch; returns when its last byte has left. `cap` 0 = link rate.
  sim::Simulation::Sleep transmit(const Batch& b, BitRate cap = BitRate{});
  // Achieved rate of the most recent transmission, bytes per second (0 before any).
  double measured_bandwidth() const { return measured_bps_ / 8.0; }

  // --- rounds ---
  RoundRecord& begin_round(bool final = false);
  RoundRecord& round() { return report_.rounds.back(); }
  // Closes the current live round at now(): its duration and achieved bandwidth.
  void close_round();
  // Records the dirty-log fetch that followed the closed round: the pages dirtied during it and
  // the downtime expected for what is now pending.
  void record_fetch(std::uint64_t pages_dirtied);

  // --- switch-over ---
  // Downtime starts: pauses the guest, then pays suspend_time.
  sim::Task<void> suspend();
  // Final round with the guest paused: fetches the log (unless `fetch_log` is false: nothing was
  // logged), then sends every pending page unthrottled.
  sim::Task<void> final_copy(bool fetch_log = true);
  // Sends vCPU/device state, waits for the last byte to land, then pays resume_time.
  sim::Task<void> transfer_state_and_resume();
  // Every page ever pending has been sent and nothing is stale (or tracking is off).
  void finish();

 private:
  void account(const Batch& b);

  MigrationContext& ctx_;
  StreamFormat format_;
  MigrationReport& report_;
  Duration log_fetch_time_;
  Bytes page_size_;
  sim::Bitmap pending_;
  std::uint64_t pending_count_ = 0;
  Duration start_;  // simulated time when the migration began
  std::uint64_t cursor_ = 0;
  vm::LogFetch last_fetch_;
  double measured_bps_ = 0.0;
  Duration downtime_start_{};
  bool round_fetched_ = false;  // the current round's closing fetch has been recorded
};

}  // namespace migsim::migration
