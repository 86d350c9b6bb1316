// Several migrations in one simulation: the `vms:` list, schedules, cross traffic, records.
#include <catch2/catch.hpp>
#include <cmath>
#include <string>

#include "tests/support.h"

using migsim::test::Json;
using migsim::test::run_yaml;
using migsim::test::run_yaml_all;

namespace {

double metric(const Json& record, const char* name) {
  return record["metrics"][name].get<double>();
}

// A link with no latency (no slow start) and exact goodput, and a host whose only switch-over
// costs are its suspend (10 ms) and resume (20 ms).
const std::string kIdeal =
    "link: {bandwidth: 1Gbit/s, latency: 0s, efficiency: 1.0}\n"
    "host: {hypervisor: xen-v2, suspend_time: 10ms, resume_time: 20ms, state_size: 64KiB,\n"
    "       log_fetch_base: 0s, log_fetch_per_gib: 0s}\n";

}  // namespace

TEST_CASE("a vms list of one VM gives the single scenario's metrics", "[multi-vm]") {
  const std::string body =
      "vm: {memory: 256MiB}\nworkload: {type: hotcold, rate: 20000/s}\n"
      "host: {hypervisor: qemu}\nmigration: {algorithm: pre_copy}\n";
  const Json alone = run_yaml(body);
  const auto batch = run_yaml_all(body + "vms: [{}]\n");
  REQUIRE(batch.size() == 2);
  CHECK(batch[0]["record"] == "vm");
  CHECK(batch[0]["vm_index"] == 0);
  CHECK(batch[0]["metrics"] == alone["metrics"]);
  CHECK(batch[0]["rounds"] == alone["rounds"]);
  CHECK(batch[1]["record"] == "batch");
  CHECK(metric(batch[1], "makespan_s") == metric(alone, "total_time_s"));
  CHECK(metric(batch[1], "downtime_max_s") == metric(alone, "downtime_s"));
}

TEST_CASE("N migrations sharing one link at once each take about N times as long as one alone",
          "[multi-vm]") {
  for (const char* algorithm : {"pre_copy", "stop_and_copy"}) {
    INFO(algorithm);
    const std::string body = std::string("vm: {memory: 512MiB}\nworkload: {type: idle}\n") +
                             "host: {hypervisor: xen-v2}\nmigration: {algorithm: " + algorithm +
                             "}\n";
    const double alone = metric(run_yaml(body), "total_time_s");
    for (int n : {2, 4, 8}) {
      INFO("n = " << n);
      const auto records = run_yaml_all(body + "vms: [{count: " + std::to_string(n) + "}]\n");
      REQUIRE(records.size() == static_cast<std::size_t>(n + 1));
      for (int i = 0; i < n; ++i) {
        CHECK(metric(records[i], "start_s") == 0.0);
        // The fixed costs (suspend, resume, log fetches) do not add up; the transfer does.
        CHECK(metric(records[i], "total_time_s") == Approx(n * alone).epsilon(0.02));
        CHECK(metric(records[i], "total_time_s") < n * alone);
      }
      CHECK(metric(records.back(), "makespan_s") == Approx(n * alone).epsilon(0.02));
    }
  }
}

TEST_CASE(
    "at most K at a time: makespan = ceil(N/K) x (suspend + resume) + N x bytes / goodput "
    "for idle guests under stop-and-copy",
    "[multi-vm]") {
  const int n = 5;
  for (int k : {1, 2, 3, 5, 0}) {
    INFO("max_concurrent = " << k);
    const auto records = run_yaml_all(
        "vm: {memory: 128MiB}\nworkload: {type: idle}\n" + kIdeal +
        "migration: {algorithm: stop_and_copy}\nschedule: {max_concurrent: " + std::to_string(k) +
        "}\nvms: [{count: " + std::to_string(n) + "}]\n");
    REQUIRE(records.size() == n + 1);
    double bytes = 0;
    for (int i = 0; i < n; ++i) bytes += metric(records[i], "bytes_total");
    const int per_wave = k == 0 ? n : k;
    const int waves = (n + per_wave - 1) / per_wave;
    const double expect = waves * (0.010 + 0.020) + bytes * 8 / 1e9;
    // Each transfer rounds up to the next nanosecond.
    CHECK(metric(records.back(), "makespan_s") == Approx(expect).margin(1e-6));
    // A VM starts when the wave before it ends.
    for (int i = 0; i < n; ++i) {
      const int wave = i / per_wave;
      if (wave == 0) {
        CHECK(metric(records[i], "start_s") == 0.0);
      } else {
        const Json& before = records[(wave - 1) * per_wave];
        CHECK(metric(records[i], "start_s") ==
              Approx(metric(before, "start_s") + metric(before, "total_time_s")).margin(1e-9));
      }
    }
  }
}

TEST_CASE("cross traffic takes its fair share, or its cap, of a shared link", "[multi-vm]") {
  const std::string body = "vm: {memory: 512MiB}\nworkload: {type: idle}\n" + kIdeal +
                           "migration: {algorithm: stop_and_copy}\n";
  const double alone = metric(run_yaml(body), "total_time_s");
  const double transfer = alone - 0.030;
  // A greedy transfer for the whole migration: half the link.
  auto greedy = run_yaml_all(body + "vms: [{}]\ncross_traffic: [{}]\n");
  CHECK(metric(greedy[0], "total_time_s") == Approx(0.030 + 2 * transfer).epsilon(1e-6));
  // It carried half the link while the migration sent, all of it while the guest was being
  // suspended and resumed, and stopped when the migration ended.
  CHECK(metric(greedy[1], "cross_traffic_bytes") ==
        Approx((transfer + 0.030) * 1e9 / 8).epsilon(1e-6));
  // A transfer capped at 250 Mbit/s leaves 750 to the migration.
  auto capped = run_yaml_all(body + "vms: [{}]\ncross_traffic: [{rate: 250Mbit/s}]\n");
  CHECK(metric(capped[0], "total_time_s") == Approx(0.030 + transfer * 4 / 3).epsilon(1e-6));
  // Traffic the other way shares nothing.
  auto reverse =
      run_yaml_all(body + "vms: [{}]\ncross_traffic: [{from: destination, to: source}]\n");
  CHECK(metric(reverse[0], "total_time_s") == Approx(alone).epsilon(1e-9));
  // Traffic that ends before the migration sends its last page slows only part of it: the
  // 990 ms after the 10 ms suspend, at half speed.
  auto brief = run_yaml_all(body + "vms: [{}]\ncross_traffic: [{duration: 1s}]\n");
  CHECK(metric(brief[0], "total_time_s") == Approx(alone + 0.990 / 2).epsilon(1e-6));
}

TEST_CASE("VMs on different routes of a topology share only their common links", "[multi-vm]") {
  // h1 and h2 send to h3 through a switch; the switch-h3 link is the bottleneck they share,
  // h4 -> h5 is elsewhere.
  const std::string topo =
      "topology:\n  hosts: [h1, h2, h3, h4, h5]\n  switches: [s]\n  links:\n"
      "    - {between: [h1, s], bandwidth: 10Gbit/s, latency: 0s, efficiency: 1.0}\n"
      "    - {between: [h2, s], bandwidth: 10Gbit/s, latency: 0s, efficiency: 1.0}\n"
      "    - {between: [s, h3], bandwidth: 1Gbit/s, latency: 0s, efficiency: 1.0}\n"
      "    - {between: [h4, h5], bandwidth: 1Gbit/s, latency: 0s, efficiency: 1.0}\n"
      "vm: {memory: 256MiB}\nworkload: {type: idle}\n"
      "host: {hypervisor: xen-v2, suspend_time: 10ms, resume_time: 20ms}\n"
      "migration: {algorithm: stop_and_copy}\n";
  const auto records = run_yaml_all(topo +
                                    "vms:\n  - {source: h1, destination: h3}\n"
                                    "  - {source: h2, destination: h3}\n"
                                    "  - {source: h4, destination: h5}\n");
  REQUIRE(records.size() == 4);
  const double t0 = metric(records[0], "total_time_s");
  CHECK(metric(records[1], "total_time_s") == Approx(t0).epsilon(1e-9));
  const double alone = metric(records[2], "total_time_s");
  CHECK((t0 - 0.030) == Approx(2 * (alone - 0.030)).epsilon(1e-6));
  // Bytes per link: the shared link carried both migrations, each access link one.
  const Json& links = records[3]["links"];
  double shared = 0, access = 0;
  for (const Json& l : links) {
    if (l["name"] == "s>h3") shared = l["bytes"].get<double>();
    if (l["name"] == "h1>s") access = l["bytes"].get<double>();
  }
  CHECK(shared == metric(records[0], "bytes_total") + metric(records[1], "bytes_total"));
  CHECK(access == metric(records[0], "bytes_total"));
}

TEST_CASE("items replace top-level sections, sweeps address one VM, seeds differ per VM",
          "[multi-vm]") {
  const auto p = migsim::test::points(
      "vm: {memory: 256MiB}\nworkload: {type: hotcold, rate: 10000/s}\n"
      "host: {hypervisor: qemu}\nmigration: {algorithm: pre_copy, streams: 2}\n"
      "vms:\n  - {name: a}\n  - {name: b, vm: {memory: 128MiB}, migration: {algorithm: "
      "post_copy}}\n"
      "sweep:\n  vms[1].vm.memory: [64MiB, 512MiB]\n  schedule.max_concurrent: [1, 2]\n");
  REQUIRE(p.size() == 4);
  for (const auto& point : p) {
    REQUIRE(point.vms.size() == 2);
    CHECK(point.vms[0].vm.memory.count() == 256 << 20);
    CHECK(point.vms[0].connection.streams == 2);
    // The item's migration section replaces the top-level one whole.
    CHECK(point.vms[1].algorithm == "post_copy");
    CHECK(point.vms[1].connection.streams == 1);
    CHECK(point.vms[0].seed != point.vms[1].seed);
    CHECK(point.vm_names[1] == "b");
  }
  CHECK(p[0].vms[1].vm.memory.count() == 64 << 20);
  CHECK(p[2].vms[1].vm.memory.count() == 512 << 20);
  CHECK(p[1].schedule.max_concurrent == 2);
  // The resolved scenario is itself a scenario that expands to the same point.
  const auto again = migsim::scenarios::expand_scenario(
      migsim::scenarios::parse_yaml(p[3].resolved().dump(), "<resolved>"), "<resolved>");
  REQUIRE(again.size() == 1);
  CHECK(again[0].resolved() == p[3].resolved());
  // And each VM's own resolved scenario runs alone.
  const auto alone = migsim::scenarios::expand_scenario(
      migsim::scenarios::parse_yaml(p[3].vms[1].resolved().dump(), "<vm>"), "<vm>");
  CHECK(alone.at(0).resolved() == p[3].vms[1].resolved());
}

TEST_CASE("every VM of a batch ends with its destination up to date", "[multi-vm][invariant]") {
  for (const char* algorithm :
       {"pre_copy", "post_copy", "hybrid", "three_stage", "improved_pre_copy", "storage_assisted",
        "memory_compare", "stop_and_copy"}) {
    INFO(algorithm);
    const auto records =
        run_yaml_all(std::string("vm: {memory: 64MiB, track_stale: true}\n"
                                 "workload: {type: memtester}\nhost: {hypervisor: qemu}\n"
                                 "migration: {algorithm: ") +
                     algorithm +
                     "}\nschedule: {max_concurrent: 2}\nvms: [{count: 3}]\n"
                     "cross_traffic: [{rate: 100Mbit/s}]\n");
    REQUIRE(records.size() == 4);
    for (int i = 0; i < 3; ++i) CHECK(records[i]["metrics"]["stale_pages"] == 0);
  }
}
