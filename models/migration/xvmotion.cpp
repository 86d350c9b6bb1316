// XvMotion (Mashtizadeh et al., USENIX ATC 2014): memory and disk over long distance in one
// migration. The disk goes first, in a single bulk pass, while an I/O mirror keeps the blocks
// already copied coherent (synchronous as in Storage vMotion, or asynchronous with a bounded
// queue, throttling the guest's writes when it fills); then vMotion's iterative memory
// pre-copy, converging by SDPS (stun during page send: the vCPUs are slowed when they dirty
// memory faster than the network sends it); all over the migration's TCP streams.
// seed-papers.md section 5; hypervisor-mechanics.md section 3.
#include <algorithm>
#include <stdexcept>
#include <string>

#include "models/migration/algorithm.h"
#include "models/migration/disk_mirror.h"
#include "models/migration/live_rounds.h"
#include "models/storage/disk.h"

namespace migsim::migration {
namespace {

struct SdpsParams {
  bool sdps = true;
  double sdps_target = 0.8;
  double sdps_min_speed = 0.02;

  template <class V>
  void visit(V& v) {
    v(sim::param("sdps", sdps,
                 "stun during page send: after each round, slow the vCPUs in proportion when "
                 "they dirtied pages faster than the round sent them (vSphere 5.0+)"));
    v(sim::param("sdps_target", sdps_target,
                 "SDPS aims at a dirty rate of this fraction of the send rate")
          .at_least(0.01)
          .at_most(1.0));
    v(sim::param("sdps_min_speed", sdps_min_speed,
                 "the slowest SDPS makes the vCPUs (fraction of real time they run)")
          .at_least(0.001)
          .at_most(1.0));
  }
};

struct XvMotionParams {
  LiveCopyParams live;
  storage::DiskParams disk;
  MirrorParams mirror;
  SdpsParams sdps;

  template <class V>
  void visit(V& v) {
    disk.visit(v);
    mirror.visit(v);
    sdps.visit(v);
    live.stop.visit(v);
    live.visit_round_options(v);
    live.format.visit(v);
  }
  // vMotion's memory phase: iterate until what is left fits well inside the switch-over target
  // (under 1 s; 200 ms here, an estimate), with no rate cap, no round cap and SDPS to converge; the
  // stream format of the host's preset. The one-hour deadline stands in for an operator's timeout.
  static XvMotionParams for_hypervisor(std::string_view hypervisor) {
    XvMotionParams p;
    p.live = LiveCopyParams::for_hypervisor(hypervisor);
    p.live.stop = StopRules{0, 0, 0.0, Duration::ms(200), Duration::s(3600)};
    p.live.skip_redirtied = false;
    p.live.max_bandwidth = BitRate{};
    return p;
  }
};

class XvMotion final : public Algorithm {
 public:
  explicit XvMotion(const XvMotionParams& p) : p_(p), stop_(p.live.stop) {
    p_.live.check();
    p_.disk.check();
  }

  sim::Process run(MigrationContext& ctx, MigrationReport& report) override {
    MigrationSession s(ctx, p_.live.format, report);
    storage::VirtualDisk disk(p_.disk, ctx.seed, ctx.replicate);
    DiskMirror mirror(ctx, disk, p_.mirror);
    const Duration throttled_before = ctx.guest.throttled();

    // 1. The disk: one bulk pass; the mirror covers what the guest writes behind it.
    mirror.start_guest_io();
    co_await mirror.bulk_copy();

    // 2. Memory pre-copy; SDPS after every round.
    LiveRoundHooks hooks;
    Duration round_start = s.elapsed();
    std::uint64_t sent_before = report.pages_sent;
    hooks.after_fetch = [&] {
      if (!p_.sdps.sdps) return;
      const double span = (s.elapsed() - round_start).seconds();
      const auto sent = static_cast<double>(report.pages_sent - sent_before);
      const auto dirtied = static_cast<double>(s.last_fetch().dirty_count);
      round_start = s.elapsed();
      sent_before = report.pages_sent;
      if (span <= 0.0) return;
      // Proportional: the speed that would have brought the dirty rate to the target share of
      // the send rate, had dirtying scaled with the vCPUs' speed.
      double speed = ctx.guest.speed();
      if (dirtied > 0.0)
        speed *= p_.sdps.sdps_target * sent / dirtied;
      else
        speed = 1.0;
      ctx.guest.set_speed(s.now(), std::clamp(speed, p_.sdps.sdps_min_speed, 1.0));
    };
    report.stop_reason = co_await run_live_rounds(s, p_.live, stop_, hooks);

    // 3. Switch-over: the guest stops (its disk writes with it); the last pages, the mirror's
    // outstanding writes and the device state reach the destination before it resumes.
    co_await s.suspend();
    ctx.guest.set_speed(s.now(), 1.0);
    co_await s.final_copy();
    co_await mirror.landed();
    co_await s.transfer_state_and_resume();
    mirror.stop_guest_io();

    report.disk_size = p_.disk.size;
    report.bytes_disk = mirror.bytes();
    report.disk_copy = mirror.copy_time();
    report.mirror_lag_max = mirror.lag_max();
    report.guest_io_throttled = mirror.io_throttled();
    report.vcpu_throttled = ctx.guest.throttled() - throttled_before;
    report.disk_write_latency_s = mirror.write_latency_mean_s();
    report.stale_blocks = disk.stale_blocks();
    if (report.stale_blocks > 0)
      throw std::logic_error("xvmotion: " + std::to_string(report.stale_blocks) +
                             " disk blocks are stale at the destination");
    s.finish();
  }

 private:
  XvMotionParams p_;
  StopPolicy stop_;
};

}  // namespace

void register_xvmotion(AlgorithmRegistry& registry) {
  registry.add(make_algorithm_entry<XvMotionParams, XvMotion>(
      "xvmotion",
      "memory and disk together over LAN or WAN: bulk disk copy with an I/O mirror (sync or "
      "async with a bounded queue, throttling guest writes), then memory pre-copy with SDPS",
      "Mashtizadeh et al., XvMotion, USENIX ATC 2014; Storage vMotion, ATC 2011",
      &XvMotionParams::for_hypervisor));
}

}  // namespace migsim::migration
