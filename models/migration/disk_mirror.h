// Moving a VM's disk beside its memory, over the migration's own streams: a single-pass bulk
// copy of the blocks in order, and an I/O mirror that keeps the blocks already copied coherent
// while the guest writes (Storage vMotion's I/O mirroring, Mashtizadeh et al. 2011; XvMotion's
// asynchronous mirror, 2014). A write to a block the copy has reached is mirrored; one to a
// block ahead of it goes to the source only and travels with the copy.
//   - sync: the guest's write completes when the destination has it, so its latency includes
//     the round trip; with io_depth writes outstanding the guest writes at most
//     io_depth x write_size / latency (Storage vMotion on a LAN).
//   - async: the write completes locally and the mirror forwards it, with at most
//     `mirror_queue` bytes outstanding; when the queue is full the guest's writes wait
//     (I/O throttling, XvMotion over WAN).
// Either way mirrored writes take at most mirror_share of the streams' goodput, so the copy
// converges: writes beyond that wait.
// Guest writes are applied every io_tick from the disk's write rate; the cost follows the writes.
#pragma once

#include <cstdint>
#include <list>
#include <string>
#include <utility>
#include <vector>

#include "models/migration/session.h"
#include "models/storage/disk.h"
#include "sim/simulation.h"

namespace migsim::migration {

struct MirrorParams {
  std::string mirror = "async";
  Bytes mirror_queue = Bytes{64 << 20};
  double mirror_share = 0.5;
  Duration io_tick = Duration::ms(10);

  template <class V>
  void visit(V& v) {
    v(sim::param("mirror", mirror,
                 "sync: a mirrored guest write completes when the destination has it (its "
                 "latency includes the RTT); async: it completes locally and the mirror "
                 "forwards it, at most mirror_queue bytes behind (XvMotion)")
          .one_of({"sync", "async"}));
    v(sim::param("mirror_queue", mirror_queue,
                 "async mirror: bytes of guest writes outstanding to the destination before the "
                 "guest's writes are throttled")
          .at_least(Bytes{4096})
          .at_most(Bytes{std::int64_t{64} << 30}));
    v(sim::param("mirror_share", mirror_share,
                 "most of the streams' goodput mirrored writes may take; the guest's writes "
                 "beyond it wait, so the bulk copy and the memory pre-copy still progress "
                 "(XvMotion's I/O throttling)")
          .at_least(0.01)
          .at_most(1.0));
    v(sim::param("io_tick", io_tick, "how often the guest's disk writes are applied")
          .at_least(Duration::ms(1))
          .at_most(Duration::s(1)));
  }
};

class DiskMirror {
 public:
  DiskMirror(MigrationContext& ctx, storage::VirtualDisk& disk, const MirrorParams& params);
  ~DiskMirror();
  DiskMirror(const DiskMirror&) = delete;
  DiskMirror& operator=(const DiskMirror&) = delete;

  // The guest's writes begin (now) and go on, while the guest runs, until stop().
  void start_guest_io();
  void stop_guest_io();
  // Copies every block once, in order; returns when the last copy has landed.
  sim::Task<void> bulk_copy();
  // Returns when every copy and mirrored write sent so far has landed at the destination
  // (later mirrored writes may still be on their way).
  sim::Task<void> landed();

  Bytes bytes() const { return Bytes{bytes_}; }
  Duration copy_time() const { return copy_time_; }
  Bytes lag_max() const { return Bytes{lag_max_}; }
  Duration io_throttled() const { return Duration::ns(std::llround(throttled_ns_)); }
  // Mean latency of the guest's writes while the migration ran (0 when it wrote none).
  double write_latency_mean_s() const { return writes_ > 0 ? latency_sum_s_ / writes_ : 0.0; }

 private:
  struct Transfer {
    DiskMirror* self;
    std::list<Transfer>::iterator at;
    std::vector<std::pair<std::uint64_t, std::uint32_t>> blocks;  // block, version
    std::int64_t bytes = 0;
    bool mirror = false;
    net::Flow* flow = nullptr;
    std::uint64_t seq = 0;  // order of sending
  };
  void send(Transfer t);
  static void on_departed(void* transfer);
  static void on_landed(void* transfer);
  static void on_tick(void* self);
  void io_tick();

  MigrationContext& ctx_;
  storage::VirtualDisk& disk_;
  MirrorParams p_;
  bool sync_;
  std::list<Transfer> in_flight_;
  std::size_t next_stream_ = 0;
  std::uint64_t cursor_ = 0;        // blocks the copy has taken
  std::size_t copies_leaving_ = 0;  // copies on their way out of the sender
  std::size_t copies_landing_ = 0;  // copies sent and not yet landed
  std::uint64_t sent_ = 0;          // transfers sent so far
  std::int64_t mirror_outstanding_ = 0;
  std::int64_t bytes_ = 0;
  std::int64_t lag_max_ = 0;
  double carry_ = 0.0;          // write bytes owed to the next tick
  double mirror_budget_ = 0.0;  // bytes the mirror may still send this tick
  double throttled_ns_ = 0.0;
  double latency_sum_s_ = 0.0;
  double writes_ = 0.0;  // guest writes done (a draw may stand for several)
  Duration copy_time_{};
  bool ticking_ = false;
  sim::Simulation::EventId tick_event_ = 0;
  sim::Signal progress_;
};

}  // namespace migsim::migration
