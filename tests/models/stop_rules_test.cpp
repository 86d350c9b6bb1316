// Each hypervisor's stop rule, triggered by a workload built for it (hypervisor-mechanics.md
// 1.2, 1.3, 2.2).
#include <catch2/catch.hpp>
#include <string>

#include "models/migration/presets.h"
#include "models/migration/stop_rules.h"
#include "tests/support.h"

using migsim::test::Json;
using migsim::test::run_yaml;

namespace {

std::string scenario(const std::string& hypervisor, const std::string& workload,
                     const std::string& memory = "256MiB",
                     const std::string& migration_extra = "") {
  return "vm: {memory: " + memory + "}\nworkload: " + workload +
         "\nhost: {hypervisor: " + hypervisor + "}\nmigration: {algorithm: pre_copy" +
         migration_extra + "}\n";
}

std::vector<Json> live_rounds(const Json& r) {
  std::vector<Json> out;
  for (const auto& x : r["rounds"])
    if (!x["final"].get<bool>()) out.push_back(x);
  return out;
}

}  // namespace

TEST_CASE("Xen legacy stops after 29 live rounds when the guest never quiets down",
          "[stop-rule][xen-legacy]") {
  // memtester rewrites its buffer faster than any round, so every round has >= 50 pages.
  const Json r = run_yaml(scenario("xen-legacy", "{type: memtester, buffer: 32MiB}"));
  CHECK(r["metrics"]["stop_reason"] == "max_rounds");
  CHECK(r["metrics"]["live_rounds"] == 29);
  CHECK(r["metrics"]["rounds"] == 30);
  for (const auto& x : live_rounds(r))
    CHECK(x["pages_sent"].get<int>() + x["pages_skipped"].get<int>() >= 50);
  const Json capped = run_yaml(
      scenario("xen-legacy", "{type: memtester, buffer: 32MiB}", "256MiB", ", max_rounds: 7"));
  CHECK(capped["metrics"]["live_rounds"] == 7);
}

TEST_CASE("Xen legacy stops when a round sent plus skipped fewer than 50 pages",
          "[stop-rule][xen-legacy]") {
  // 1 MiB/s against ~112 MiB/s: rounds shrink ~110x each, 65536 -> ~580 -> ~5 pages.
  const Json r = run_yaml(scenario("xen-legacy", "{type: sequential, dirty_rate: 1MiB/s}"));
  CHECK(r["metrics"]["stop_reason"] == "min_dirty_pages");
  const auto live = live_rounds(r);
  REQUIRE(live.size() >= 2);
  for (std::size_t i = 0; i < live.size(); ++i) {
    const int count = live[i]["pages_sent"].get<int>() + live[i]["pages_skipped"].get<int>();
    if (i + 1 < live.size())
      CHECK(count >= 50);
    else
      CHECK(count < 50);
  }
}

TEST_CASE("Xen legacy stops once more than 3x memory has been sent", "[stop-rule][xen-legacy]") {
  // Dirtying at 95% of goodput: rounds barely shrink, so the byte cap binds before 29 rounds.
  const Json r = run_yaml(scenario("xen-legacy", "{type: sequential, dirty_rate: 106MiB/s}"));
  CHECK(r["metrics"]["stop_reason"] == "max_factor");
  const double pages = r["metrics"]["guest_pages"].get<double>();
  double sent = 0;
  const auto live = live_rounds(r);
  CHECK(live.size() < 29);
  for (std::size_t i = 0; i < live.size(); ++i) {
    sent += live[i]["pages_sent"].get<double>();
    if (i + 1 < live.size())
      CHECK(sent <= 3 * pages);
    else
      CHECK(sent > 3 * pages);
  }
}

TEST_CASE("Xen legacy skips pages re-dirtied before their batch, v2 does not",
          "[stop-rule][skip]") {
  const std::string hot = "{type: hotcold, rate: 200000/s, hot_fraction: 0.05, hot_share: 0.95}";
  const Json skip = run_yaml(scenario("xen-legacy", hot));
  const Json no_skip = run_yaml(scenario("xen-legacy", hot, "256MiB", ", skip_redirtied: false"));
  const Json v2 = run_yaml(scenario("xen-v2", hot));
  CHECK(skip["metrics"]["pages_skipped"].get<double>() > 0);
  CHECK(no_skip["metrics"]["pages_skipped"] == 0);
  CHECK(v2["metrics"]["pages_skipped"] == 0);
  // Skipping the writable working set saves re-sends: the same rules without skip re-send more
  // (and here even hit the 3x cap first).
  CHECK(skip["metrics"]["bytes_resent"].get<double>() <
        no_skip["metrics"]["bytes_resent"].get<double>());
  for (const Json* r : {&skip, &no_skip, &v2}) CHECK((*r)["metrics"]["stale_pages"] == 0);
}

TEST_CASE("Xen v2 makes at most 5 live sends", "[stop-rule][xen-v2]") {
  const Json r = run_yaml(scenario("xen-v2", "{type: memtester, buffer: 32MiB}"));
  CHECK(r["metrics"]["stop_reason"] == "max_rounds");
  CHECK(r["metrics"]["live_rounds"] == 5);
}

TEST_CASE("Xen v2 stops once a round had 50 or fewer dirty pages", "[stop-rule][xen-v2]") {
  const Json r = run_yaml(scenario("xen-v2", "{type: sequential, dirty_rate: 1MiB/s}"));
  CHECK(r["metrics"]["stop_reason"] == "min_dirty_pages");
  const auto live = live_rounds(r);
  for (std::size_t i = 0; i < live.size(); ++i) {
    if (i + 1 < live.size())
      CHECK(live[i]["pages_sent"].get<int>() > 50);
    else
      CHECK(live[i]["pages_sent"].get<int>() <= 50);
  }
}

TEST_CASE("QEMU switches over exactly when the expected downtime falls under the limit",
          "[stop-rule][qemu]") {
  // Link-bound (941.5 Mbit/s goodput < 128 MiB/s cap), so the measured bandwidth is the goodput;
  // the expected downtime is computed here from each sync's pending pages, not taken from migsim.
  const double goodput = 941500000.0 / 8.0;
  for (const std::string limit : {"300ms", "100ms", "30ms"}) {
    INFO("downtime_limit " << limit);
    const Json r = run_yaml(scenario("qemu", "{type: sequential, dirty_rate: 40MiB/s}", "512MiB",
                                     ", downtime_limit: " + limit));
    const double limit_s = std::stod(limit) / 1000.0;
    CHECK(r["metrics"]["stop_reason"] == "downtime_limit");
    const auto live = live_rounds(r);
    REQUIRE(live.size() >= 2);
    for (std::size_t i = 0; i < live.size(); ++i) {
      const double expected = live[i]["pages_pending"].get<double>() * 4096 / goodput;
      CHECK(live[i]["expected_downtime_s"].get<double>() == Approx(expected).epsilon(1e-6));
      if (i + 1 < live.size())
        CHECK(expected > limit_s);
      else
        CHECK(expected <= limit_s);
    }
  }
}

TEST_CASE("a live round with nothing pending ends the live phase even with every rule off",
          "[stop-rule]") {
  const Json r = run_yaml(scenario("qemu", "{type: idle}", "64MiB", ", downtime_limit: 0s"));
  CHECK(r["metrics"]["stop_reason"] == "nothing_pending");
  CHECK(r["metrics"]["live_rounds"] == 2);
  CHECK(r["metrics"]["stale_pages"] == 0);
}

TEST_CASE("QEMU never converging is forced over at max_time, like virsh --timeout",
          "[stop-rule][qemu]") {
  // A 256 MiB buffer rewritten continuously needs >2 s of downtime: QEMU would run forever.
  const Json r =
      run_yaml(scenario("qemu", "{type: memtester, buffer: 256MiB}", "512MiB", ", max_time: 30s"));
  CHECK(r["metrics"]["stop_reason"] == "max_time");
  CHECK(r["metrics"]["total_time_s"].get<double>() >= 30.0);
  CHECK(r["metrics"]["stale_pages"] == 0);
}

TEST_CASE("QEMU's live rounds respect max_bandwidth, the final copy does not",
          "[stop-rule][qemu]") {
  const Json r = run_yaml(scenario("qemu", "{type: idle}", "256MiB", ", max_bandwidth: 32MiB/s"));
  const auto live = live_rounds(r);
  REQUIRE_FALSE(live.empty());
  CHECK(live[0]["mbps"].get<double>() <= 32.0 * 1048576 * 8 / 1e6 + 1e-6);
  CHECK(r["rounds"].back()["mbps"].get<double>() > 900.0);
}

TEST_CASE("a deadline that passes during a dirty-log fetch is reported as max_time",
          "[stop-rule][qemu]") {
  // Rounds of a 4 MiB guest take ~40 ms and each fetch 1 s, so the deadline almost surely falls
  // inside a fetch: the next round starts past it and sends nothing while pages are pending.
  // That round once reported "nothing_pending".
  for (const char* max_time : {"10.5s", "20.3s", "7.7s"}) {
    INFO(max_time);
    const Json r = run_yaml(
        "vm: {memory: 4MiB}\nworkload: {type: uniform, rate: 1000000/s}\n"
        "host: {hypervisor: qemu, log_fetch_base: 1s}\n"
        "migration: {algorithm: pre_copy, downtime_limit: 0s, max_bandwidth: 0bit/s, max_time: " +
        std::string(max_time) + "}\n");
    CHECK(r["metrics"]["stop_reason"] == "max_time");
    const auto live = live_rounds(r);
    REQUIRE(live.size() >= 2);
    CHECK(live[live.size() - 2]["pages_pending"].get<std::uint64_t>() > 0);
  }
}

TEST_CASE("a round that only skipped pages is no progress, not nothing pending", "[stop-rule]") {
  // Every pending page is re-dirtied before its batch: Xen legacy skips them all.
  const Json r = run_yaml(
      "vm: {memory: 4MiB}\nworkload: {type: sequential, dirty_rate: 1TiB/s}\n"
      "host: {hypervisor: xen-legacy}\n"
      "migration: {algorithm: pre_copy, max_rounds: 0, min_dirty_pages: 0, max_factor: 0, "
      "max_time: 5s}\n");
  CHECK(r["metrics"]["stop_reason"] != "nothing_pending");
  CHECK(r["metrics"]["stale_pages"] == 0);
}

TEST_CASE("the largest declared values run without overflow", "[stop-rule][limits]") {
  // 4 TiB of 1 GiB pages (4096 pages: cheap), the largest framing, every page rewritten all the
  // time, the round cap at its maximum: bytes and times stay finite, positive and consistent.
  for (const char* link : {"1Tbit/s", "1Mbit/s"}) {
    INFO(link);
    const Json r = run_yaml(
        "vm: {memory: 4TiB, page_size: 1GiB}\n"
        "workload: {type: uniform, rate: 1000000000000/s}\n"
        "link: {bandwidth: " +
        std::string(link) +
        ", efficiency: 1}\n"
        "host: {hypervisor: xen-legacy, state_size: 1TiB}\n"
        "migration: {algorithm: pre_copy, max_rounds: 10000, min_dirty_pages: 0, max_factor: 0, "
        "page_header_bytes: 4096, batch_header_bytes: 4096, batch_pages: 1048576, "
        "skip_redirtied: false}\n");
    const Json& m = r["metrics"];
    const std::int64_t sum =
        m["bytes_first_pass"].get<std::int64_t>() + m["bytes_resent"].get<std::int64_t>() +
        m["bytes_framing"].get<std::int64_t>() + m["bytes_state"].get<std::int64_t>();
    CHECK(m["bytes_total"].get<std::int64_t>() == sum);
    CHECK(m["bytes_framing"].get<std::int64_t>() > 0);
    CHECK(m["total_time_s"].get<double>() > 0.0);
    CHECK(m["total_time_s"].get<double>() < 1e9);
    CHECK(m["downtime_s"].get<double>() <= m["total_time_s"].get<double>());
    CHECK(m["live_rounds"].get<std::int64_t>() <= 10000);
    CHECK(m["stale_pages"] == 0);
  }
}

TEST_CASE("QEMU counts the sync that starts dirty logging, as its dirty-sync-count does",
          "[qemu]") {
  // hypervisor-mechanics.md 2.3: ram_init_bitmaps syncs once when logging starts, then one sync
  // closes the pass and ram_save_complete syncs again: 3 for an idle 256 MiB guest at 125 MB/s.
  const Json r = run_yaml(
      "vm: {memory: 256MiB}\nworkload: {type: idle}\n"
      "link: {bandwidth: 1Gbit/s, efficiency: 1.0, latency: 0.1ms}\nhost: {hypervisor: qemu}\n"
      "migration: {algorithm: pre_copy}\n");
  CHECK(r["metrics"]["dirty_sync_count"] == 3);
  CHECK(r["metrics"]["live_rounds"] == 1);
  // stop_and_copy never logs: no sync at all.
  const Json s = run_yaml(
      "vm: {memory: 256MiB}\nworkload: {type: idle}\nhost: {hypervisor: qemu}\n"
      "migration: {algorithm: stop_and_copy}\n");
  CHECK(s["metrics"]["dirty_sync_count"] == 0);
}

TEST_CASE("QEMU's scan resumes where it stopped, Xen's restarts at page 0 each pass",
          "[qemu][xen-legacy]") {
  const auto resolved = [](const std::string& hypervisor) {
    return run_yaml(scenario(hypervisor, "{type: idle}", "16MiB"))["scenario"]["migration"];
  };
  CHECK(resolved("qemu")["rescan_each_pass"] == false);
  CHECK(resolved("xen-legacy")["rescan_each_pass"] == true);
  CHECK(resolved("xen-v2")["rescan_each_pass"] == true);
  // Both scans send every page's latest version. (Without skipping, QEMU sends its whole pending
  // set each round whatever the order, so the metrics do not depend on where a pass starts.)
  const std::string hot = "{type: hotcold, rate: 20000/s, hot_fraction: 0.05, hot_share: 0.9}";
  const std::string extra = ", downtime_limit: 0s, max_rounds: 6, max_bandwidth: 0bit/s";
  for (const char* rescan : {"false", "true"}) {
    const Json r =
        run_yaml(scenario("qemu", hot, "64MiB", extra + ", rescan_each_pass: " + rescan));
    CHECK(r["metrics"]["stale_pages"] == 0);
    CHECK(r["metrics"]["live_rounds"] == 6);
  }
}

TEST_CASE("the stop policy judges a round by each hypervisor's rules, called directly",
          "[stop-rule][policy]") {
  using migsim::migration::migration_preset;
  using migsim::migration::RoundRecord;
  using migsim::migration::StopPolicy;
  using migsim::migration::StopReason;
  using migsim::sim::Duration;
  const auto round = [](int index, std::uint64_t sent, std::uint64_t skipped) {
    RoundRecord r;
    r.index = index;
    r.start = Duration::s(1);
    r.pages_sent = sent;
    r.pages_skipped = skipped;
    return r;
  };
  const std::uint64_t guest = 65536;
  const StopPolicy legacy(migration_preset("xen-legacy").stop);
  CHECK(legacy.after_round(round(28, 1000, 0), 100000, guest) == StopReason::kNone);
  CHECK(legacy.after_round(round(29, 1000, 0), 100000, guest) == StopReason::kMaxRounds);
  CHECK(legacy.after_round(round(3, 40, 9), 100000, guest) == StopReason::kMinDirtyPages);
  CHECK(legacy.after_round(round(3, 40, 10), 100000, guest) == StopReason::kNone);
  CHECK(legacy.after_round(round(3, 1000, 0), 3 * guest + 1, guest) == StopReason::kMaxFactor);
  CHECK(legacy.after_round(round(3, 1000, 0), 3 * guest, guest) == StopReason::kNone);

  const StopPolicy v2(migration_preset("xen-v2").stop);
  CHECK(v2.after_round(round(5, 1000, 0), 1000, guest) == StopReason::kMaxRounds);
  CHECK(v2.after_round(round(2, 50, 0), 1000, guest) == StopReason::kMinDirtyPages);
  CHECK(v2.after_round(round(2, 51, 0), 1000, guest) == StopReason::kNone);

  const StopPolicy qemu(migration_preset("qemu").stop);
  CHECK(qemu.after_round(round(9000, 5, 0), 100 * guest, guest) == StopReason::kNone);
  // 300 ms at 100 MB/s: 30 MB fits, 30 MB + 1 B does not.
  CHECK(qemu.fits_downtime(migsim::sim::Bytes{30000000}, 1e8));
  CHECK_FALSE(qemu.fits_downtime(migsim::sim::Bytes{30000001}, 1e8));
  CHECK_FALSE(legacy.fits_downtime(migsim::sim::Bytes{0}, 1e8));  // no downtime limit
  // Guards: the deadline first, then an empty round, then time standing still.
  CHECK(qemu.guard(round(4, 0, 0), Duration::s(3600), 7) == StopReason::kMaxTime);
  CHECK(qemu.guard(round(4, 0, 0), Duration::s(10), 0) == StopReason::kNothingPending);
  CHECK(qemu.guard(round(4, 0, 0), Duration::s(10), 7) == StopReason::kNoProgress);
  CHECK(qemu.guard(round(4, 0, 5), Duration::s(10), 7) == StopReason::kNone);
  CHECK(qemu.guard(round(4, 3, 0), Duration::s(1), 7) == StopReason::kNoProgress);
  CHECK(legacy.guard(round(10000, 3, 0), Duration::s(10), 7) == StopReason::kRoundGuard);
  CHECK(legacy.guard(round(4, 3, 0), Duration::s(100000000), 7) == StopReason::kTimeGuard);
  CHECK(qemu.past_deadline(Duration::s(3600)));
  CHECK_FALSE(legacy.past_deadline(Duration::s(3600)));
  // Nothing bounds a live phase with neither a round cap nor a deadline.
  auto unbounded = migration_preset("qemu").stop;
  unbounded.max_time = Duration{};
  CHECK_THROWS_AS(StopPolicy(unbounded), migsim::sim::ParamError);
}
