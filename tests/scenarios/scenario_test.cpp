#include <catch2/catch.hpp>

#include "models/host/hypervisor.h"
#include "models/migration/algorithm.h"
#include "tests/support.h"

using namespace migsim;
using migsim::test::Json;

namespace {
const char* const kStable =
    "seed: 1\n"
    "vm: {memory: 1GiB}\n"
    "workload: {type: sequential, dirty_rate: 20MiB/s}\n"
    "link: {bandwidth: 1Gbit/s, latency: 0.1ms, efficiency: 1.0}\n"
    "host: {hypervisor: xen-v2}\n"
    "migration: {algorithm: pre_copy}\n";
}

TEST_CASE("the documented stable scenario runs and its record has the stable names", "[scenario]") {
  const Json r = test::run_yaml(kStable);
  for (const char* key : {"total_time_s", "downtime_s", "bytes_total", "pages_sent", "rounds"})
    CHECK(r["metrics"].contains(key));
  REQUIRE(r["rounds"].is_array());
  for (const auto& round : r["rounds"])
    for (const char* key : {"pages_sent", "bytes", "duration_s"}) CHECK(round.contains(key));
  CHECK(r["scenario"]["link"]["efficiency"] == 1.0);
  CHECK(r["scenario"]["host"]["hypervisor"] == "xen-v2");
}

TEST_CASE("every documented algorithm and preset is registered", "[scenario][registry]") {
  for (const char* name : {"pre_copy", "stop_and_copy"})
    CHECK(migration::algorithms().find(name) != nullptr);
  for (const char* name : {"xen-legacy", "xen-v2", "qemu"})
    CHECK(host::hypervisor_presets().find(name) != nullptr);
  for (const char* name : {"gigabit", "10gigabit"})
    CHECK(net::link_presets().find(name) != nullptr);
}

TEST_CASE("hypervisor presets supply the stop rules from their source code",
          "[scenario][presets]") {
  const auto get = [](const std::string& hv) {
    return test::points("vm: {memory: 64MiB}\nworkload: {type: idle}\nhost: {hypervisor: " + hv +
                        "}\nmigration: {algorithm: pre_copy}\n")
        .at(0)
        .resolved()["migration"];
  };
  const Json legacy = get("xen-legacy"), v2 = get("xen-v2"), qemu = get("qemu");
  CHECK(legacy["max_rounds"] == 29);  // DEF_MAX_ITERS
  CHECK(legacy["min_dirty_pages"] == 50);
  CHECK(legacy["max_factor"] == 3.0);  // DEF_MAX_FACTOR
  CHECK(legacy["skip_redirtied"] == true);
  CHECK(legacy["batch_pages"] == 1024);
  CHECK(legacy["batch_header_bytes"] == 4);
  CHECK(v2["max_rounds"] == 5);  // SPP_MAX_ITERATIONS
  CHECK(v2["max_factor"] == 0.0);
  CHECK(v2["skip_redirtied"] == false);
  CHECK(qemu["downtime_limit"] == "300ms");
  CHECK(qemu["max_bandwidth"] == "128MiB/s");
  CHECK(qemu["max_rounds"] == 0);
  CHECK(qemu["detect_zero_pages"] == true);
  CHECK(qemu["zero_page_bytes"] == 9);
  for (const Json* m : {&legacy, &v2, &qemu}) CHECK((*m)["page_header_bytes"] == 8);
}

TEST_CASE("a scenario value overrides the preset default", "[scenario][presets]") {
  const Json m = test::points(
                     "vm: {memory: 64MiB}\nworkload: {type: idle}\nhost: {hypervisor: xen-legacy, "
                     "suspend_time: 3ms}\nmigration: {algorithm: pre_copy, max_rounds: 7}\n")
                     .at(0)
                     .resolved();
  CHECK(m["migration"]["max_rounds"] == 7);
  CHECK(m["migration"]["max_factor"] == 3.0);
  CHECK(m["host"]["suspend_time"] == "3ms");
}

TEST_CASE("the resolved scenario is itself a scenario that resolves to the same thing",
          "[scenario]") {
  const auto first = test::points(kStable).at(0).resolved();
  const auto again = test::points(first.dump()).at(0).resolved();
  CHECK(first == again);
  CHECK(first["vm"]["memory"] == "1GiB");
  CHECK(first["workload"]["dirty_rate"] == "20MiB/s");
}

TEST_CASE("a sweep is the cartesian product of its lists, first key slowest", "[scenario][sweep]") {
  const auto pts = test::points(std::string(kStable) +
                                "replications: 3\n"
                                "sweep:\n"
                                "  vm.memory: [128MiB, 256MiB]\n"
                                "  migration.algorithm: [pre_copy, stop_and_copy]\n"
                                "  host.hypervisor: [xen-legacy, xen-v2, qemu]\n");
  REQUIRE(pts.size() == 12);
  CHECK(pts[0].sweep_values ==
        std::vector<std::pair<std::string, std::string>>{{"vm.memory", "128MiB"},
                                                         {"migration.algorithm", "pre_copy"},
                                                         {"host.hypervisor", "xen-legacy"}});
  CHECK(pts[1].hypervisor == "xen-v2");
  CHECK(pts[3].algorithm == "stop_and_copy");
  CHECK(pts[6].vm.memory.count() == 256 << 20);
  CHECK(pts[11].hypervisor == "qemu");
  for (const auto& p : pts) CHECK(p.replications == 3);
  // A swept hypervisor changes the algorithm's defaults for that point.
  CHECK(pts[0].resolved()["migration"]["max_rounds"] == 29);
  CHECK(pts[1].resolved()["migration"]["max_rounds"] == 5);
}

TEST_CASE("replicates differ in their random streams, the same replicate repeats", "[scenario]") {
  const std::string s =
      "vm: {memory: 128MiB}\nworkload: {type: uniform, rate: 20000/s}\n"
      "host: {hypervisor: xen-legacy}\nmigration: {algorithm: pre_copy}\n";
  const Json a = test::run_yaml(s, 0), b = test::run_yaml(s, 1), a2 = test::run_yaml(s, 0);
  CHECK(a.dump() == a2.dump());
  CHECK(a["metrics"]["pages_sent"] != b["metrics"]["pages_sent"]);
  const std::string m =
      "vm: {memory: 128MiB}\nworkload: {type: memtester, buffer: 16MiB}\n"
      "host: {hypervisor: xen-legacy}\nmigration: {algorithm: pre_copy}\n";
  CHECK(test::run_yaml(m, 0)["workload"]["workload_phase"] !=
        test::run_yaml(m, 1)["workload"]["workload_phase"]);
}
