// After every migration the destination holds every page's latest version; every algorithm
// terminates under every workload; and the check itself catches a broken algorithm.
#include <catch2/catch.hpp>
#include <string>

#include "models/host/hypervisor.h"
#include "models/migration/algorithm.h"
#include "models/migration/session.h"
#include "models/network/link.h"
#include "tests/support.h"
#include "workloads/workload.h"

using namespace migsim;
using migsim::test::Json;

TEST_CASE("every algorithm under every workload and hypervisor ends with nothing stale",
          "[invariant]") {
  const std::vector<std::string> workloads{
      "{type: idle}",
      "{type: sequential, dirty_rate: 30MiB/s}",
      "{type: sequential, dirty_rate: 500MiB/s}",
      "{type: uniform, rate: 30000/s}",
      "{type: uniform, rate: 3000000/s}",
      "{type: hotcold, rate: 100000/s}",
      "{type: memtester, buffer: 16MiB}",
      "{type: memtester, buffer: 60MiB, bandwidth: 200MiB/s}",
      "{type: uniform, rate: 20000/s, read_rate: 500000/s}",
      "{type: hotcold, rate: 50000/s, read_rate: 200000/s, hot_share: 0.99}",
      "{type: sequential, dirty_rate: 30MiB/s, read_rate: 2GiB/s}",
      "{type: read_heavy}",
      // A desktop: launches and file reads through the page cache (on-storage pages), edits.
      "{type: desktop, active_fraction: 0.9, file_read_rate: 200/s, launch_rate: 2/s}",
      "{type: uniform, rate: 20000/s, read_rate: 200000/s}\n"
      "background: {type: desktop, cache_fraction: 0.7, file_read_rate: 500/s}",
      // Disk I/O carried by another workload.
      "{type: read_heavy, disk: {read_rate: 2000/s, read_size: 32KiB, write_rate: 200/s}}",
      // A workload with a background: a deterministic sweep and a memoryless stream together.
      "{type: memtester, buffer: 16MiB, offset: 8MiB, bandwidth: 200MiB/s}\n"
      "background: {type: uniform, rate: 50000/s, read_rate: 100000/s, size: 8MiB}",
  };
  // Every registered algorithm (one added later is covered without an edit here). A run that
  // lets the guest touch a page its host lacks, or ends with a stale page, throws.
  for (const auto& entry : migration::algorithms().entries()) {
    const std::string algorithm(entry.name);
    for (const std::string hv : {"xen-legacy", "xen-v2", "qemu"}) {
      for (const auto& w : workloads) {
        for (int rep = 0; rep < 2; ++rep) {
          INFO(algorithm << " " << hv << " " << w << " replicate " << rep);
          Json r;
          REQUIRE_NOTHROW(
              r = test::run_yaml("vm: {memory: 64MiB, zero_fraction: 0.2}\nworkload: " + w +
                                     "\nhost: {hypervisor: " + hv +
                                     "}\nmigration: {algorithm: " + algorithm +
                                     (algorithm == "pre_copy" || algorithm == "improved_pre_copy"
                                          ? ", max_time: 600s"
                                          : "") +
                                     "}\n",
                                 rep));
          const Json& m = r["metrics"];
          CHECK(m["stale_pages"] == 0);
          // Every page crossed at least once, or the destination already held it.
          CHECK(m["pages_sent"].get<double>() + m.value("pages_matched", 0.0) >=
                m["guest_pages"].get<double>());
          CHECK(m["guest_work_s"].get<double>() <= m["total_time_s"].get<double>());
          if (entry.resumes_early && m["stop_reason"] != "min_dirty_pages" &&
              m["stop_reason"] != "downtime_limit" && m["stop_reason"] != "max_factor") {
            // The post-switch phase moved every page that was missing: nothing was sent twice
            // after the switch, so pages sent after it are at most the guest's pages.
            CHECK(m["pages_pushed"].get<double>() + m["pages_demand"].get<double>() +
                      m["pages_prepulled"].get<double>() <=
                  m["guest_pages"].get<double>());
          }
        }
      }
    }
  }
}

namespace {

struct Writer final : vm::GuestActivity {
  void advance(sim::Duration, sim::Duration to, vm::GuestMemory& m) override {
    if (to > sim::Duration::ms(50)) m.write_page(7);  // one late write
  }
  std::optional<vm::Miss> next_miss(sim::Duration, const vm::GuestMemory&) override {
    return std::nullopt;
  }
};

// A broken migration: copies memory once while the guest runs, never resends.
sim::Process broken(migration::MigrationContext& ctx, migration::MigrationReport& report) {
  migration::MigrationSession s(ctx, migration::StreamFormat{}, report);
  s.start_dirty_logging();
  s.begin_round();
  while (s.pending_pages() > 0) co_await s.transmit(s.take_batch(false));
  co_await s.suspend();
  co_await s.transfer_state_and_resume();
  s.finish();
}

// A 64 MiB guest running `activity` on a default link, with a hypervisor's host costs.
struct Rig {
  Rig(vm::GuestActivity& activity, const char* hypervisor)
      : memory(params(), 1, 0),
        guest(memory, activity),
        path(sim, net::LinkParams{}),
        ctx{sim, guest, path.channel(), host::hypervisor_presets().find(hypervisor)->defaults} {}
  static vm::VmParams params() {
    vm::VmParams vp;
    vp.memory = sim::Bytes{64 << 20};
    return vp;
  }
  sim::Simulation sim;
  vm::GuestMemory memory;
  vm::Guest guest;
  net::PointToPoint path;
  migration::MigrationContext ctx;
  migration::MigrationReport report;
};

}  // namespace

TEST_CASE("the staleness check catches a migration that misses a re-dirtied page", "[invariant]") {
  Writer writer;
  Rig rig(writer, "xen-v2");
  rig.sim.spawn(broken(rig.ctx, rig.report));
  CHECK_THROWS_WITH(rig.sim.run(),
                    Catch::Contains("destination is stale: 1 pages") && Catch::Contains("page 7"));
}

namespace {

struct Idle final : vm::GuestActivity {
  void advance(sim::Duration, sim::Duration, vm::GuestMemory&) override {}
  std::optional<vm::Miss> next_miss(sim::Duration, const vm::GuestMemory&) override {
    return std::nullopt;
  }
};

sim::Process start_later(sim::Simulation& sim, sim::Duration delay, migration::Algorithm& algorithm,
                         migration::MigrationContext& ctx, migration::MigrationReport& report) {
  co_await sim.sleep(delay);
  sim.spawn(algorithm.run(ctx, report));
}

// One Xen legacy pre-copy of an idle 64 MiB guest, started `delay` into the simulation.
migration::MigrationReport migrate_after(sim::Duration delay) {
  Idle idle;
  Rig rig(idle, "xen-legacy");
  const auto& entry = *migration::algorithms().find("pre_copy");
  auto algorithm = entry.make(*entry.make_params("xen-legacy"));
  rig.sim.spawn(start_later(rig.sim, delay, *algorithm, rig.ctx, rig.report));
  rig.sim.run();
  return rig.report;
}

}  // namespace

TEST_CASE("times in a record count from the migration's start, not the simulation's",
          "[invariant]") {
  const auto at_zero = migrate_after(sim::Duration{});
  const auto later = migrate_after(sim::Duration::s(5));
  REQUIRE(at_zero.rounds.size() == later.rounds.size());
  CHECK(later.total_time == at_zero.total_time);
  CHECK(later.downtime == at_zero.downtime);
  for (std::size_t i = 0; i < later.rounds.size(); ++i) {
    CHECK(later.rounds[i].start == at_zero.rounds[i].start);
    CHECK(later.rounds[i].duration == at_zero.rounds[i].duration);
  }
  CHECK(at_zero.total_time < sim::Duration::s(5));  // so a shift by 5 s would show
}
