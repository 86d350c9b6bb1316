// XvMotion: memory and disk over distance (seed-papers.md section 5; its claims are
// qualitative, so are these bounds).
#include <catch2/catch.hpp>
#include <string>

#include "tests/support.h"

using migsim::test::Json;
using migsim::test::run_yaml;

namespace {

Json xvmotion(const std::string& link, const std::string& extra, const std::string& workload,
              const std::string& write_rate = "20MB/s") {
  return run_yaml("vm: {memory: 512MiB}\nworkload: " + workload + "\nlink: {preset: " + link +
                  "}\nhost: {hypervisor: qemu}\nmigration: {algorithm: xvmotion, disk_size: "
                  "2GiB, disk_write_rate: " +
                  write_rate + extra + "}\n");
}
double metric(const Json& r, const char* name) {
  return r["metrics"][name].get<double>();
}

}  // namespace

TEST_CASE("xvmotion over a metro link takes within 1.5x its LAN time, downtime within 2x",
          "[xvmotion]") {
  for (const char* workload :
       {"{type: hotcold}", "{type: memtester, buffer: 128MiB}", "{type: idle}"}) {
    INFO(workload);
    const Json lan = xvmotion("gigabit", "", workload);
    const Json metro = xvmotion("metro", "", workload);
    CHECK(metric(metro, "total_time_s") <= 1.5 * metric(lan, "total_time_s"));
    CHECK(metric(metro, "downtime_s") <= 2.0 * metric(lan, "downtime_s"));
    for (const Json* r : {&lan, &metro}) {
      CHECK(metric(*r, "stale_pages") == 0);
      CHECK(metric(*r, "stale_blocks") == 0);
      // The whole disk was copied once, plus the mirrored writes.
      CHECK(metric(*r, "bytes_disk") >= 2.0 * (1 << 30));
      CHECK(metric(*r, "bytes_total") >= metric(*r, "bytes_disk"));
      CHECK(metric(*r, "disk_copy_s") < metric(*r, "total_time_s"));
    }
    // Mirrored writes share the streams with the copy: it cannot beat the link alone.
    CHECK(metric(lan, "disk_copy_s") > 2.0 * (1 << 30) * 8 / 941.5e6);
  }
}

TEST_CASE("with no guest writes the disk copy runs at the link's goodput", "[xvmotion]") {
  const Json r = xvmotion("gigabit", "", "{type: idle}", "0B/s");
  // 2 GiB at 941.5 Mbit/s, plus the last block's latency and slow start's first round trips.
  const double expect = 2.0 * (1 << 30) * 8 / 941.5e6;
  CHECK(metric(r, "disk_copy_s") == Approx(expect).margin(0.002));
  CHECK(metric(r, "bytes_disk") == 2.0 * (1 << 30));
  CHECK(metric(r, "mirror_lag_max_bytes") == 0);
  CHECK(metric(r, "guest_io_throttled_s") == 0);
}

TEST_CASE(
    "synchronous mirroring over WAN shows the write latency penalty, asynchronous "
    "mirroring removes it",
    "[xvmotion]") {
  const std::string w = "{type: hotcold}";
  const Json sync_wan = xvmotion("wan", ", mirror: sync", w);
  const Json async_wan = xvmotion("wan", ", mirror: async", w);
  const Json sync_lan = xvmotion("gigabit", ", mirror: sync", w);
  // A mirrored synchronous write waits a round trip (100 ms on the wan preset); an
  // asynchronous one only the local disk (1 ms).
  CHECK(metric(sync_wan, "disk_write_latency_s") > 0.05);
  CHECK(metric(async_wan, "disk_write_latency_s") == Approx(0.001));
  CHECK(metric(sync_lan, "disk_write_latency_s") < 0.002);
  // The latency caps the guest's writes (io_depth x write_size / latency is below 20 MB/s).
  CHECK(metric(sync_wan, "guest_io_throttled_s") > 0.5 * metric(sync_wan, "disk_copy_s"));
  CHECK(metric(sync_lan, "guest_io_throttled_s") == 0.0);
  // The async mirror's outstanding bytes never exceed its queue.
  CHECK(metric(async_wan, "mirror_lag_max_bytes") <= 64 << 20);
  for (const Json* r : {&sync_wan, &async_wan}) {
    CHECK(metric(*r, "stale_blocks") == 0);
    CHECK(metric(*r, "stale_pages") == 0);
  }
}

TEST_CASE(
    "a small async mirror queue throttles the guest's writes, SDPS slows a guest that "
    "outruns the link",
    "[xvmotion]") {
  const Json roomy = xvmotion("wan", "", "{type: idle}", "60MB/s");
  const Json tight = xvmotion("wan", ", mirror_queue: 256KiB", "{type: idle}", "60MB/s");
  // The queue bounds what is outstanding; a roomy one lets more out at once.
  CHECK(metric(tight, "mirror_lag_max_bytes") <= 256 << 10);
  CHECK(metric(roomy, "mirror_lag_max_bytes") > 256 << 10);
  CHECK(metric(tight, "guest_io_throttled_s") > 0.0);
  // A guest dirtying 80 MB/s over a 100 Mbit/s link never converges by itself; SDPS slows its
  // vCPUs until it does.
  const auto slow = [](const char* sdps) {
    return run_yaml(std::string("vm: {memory: 256MiB}\nworkload: {type: uniform, rate: "
                                "20000/s}\n") +
                    "link: {bandwidth: 100Mbit/s}\nhost: {hypervisor: qemu}\n"
                    "migration: {algorithm: xvmotion, disk_size: 64MiB, sdps: " +
                    sdps + "}\n");
  };
  const Json with = slow("true"), without = slow("false");
  CHECK(metric(with, "vcpu_throttled_s") > 0.0);
  CHECK(metric(without, "vcpu_throttled_s") == 0.0);
  CHECK(metric(with, "total_time_s") < metric(without, "total_time_s"));
}
