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

TEST_CASE("a background workload runs alongside the workload and can be swept",
          "[scenario][background]") {
  const std::string base =
      "vm: {memory: 64MiB}\nworkload: {type: idle}\nhost: {hypervisor: xen-legacy}\n"
      "migration: {algorithm: pre_copy}\n";
  // An idle guest converges at once; one writing 2 MiB fast through its background does not.
  const Json idle = test::run_yaml(base);
  const Json busy =
      test::run_yaml(base + "background: {type: uniform, rate: 200000/s, size: 2MiB}\n");
  CHECK(idle["metrics"]["bytes_resent"] == 0);
  CHECK(busy["metrics"]["bytes_resent"].get<double>() > 0);
  CHECK(busy["scenario"]["background"]["type"] == "uniform");
  CHECK(busy["scenario"]["background"]["size"] == "2MiB");
  CHECK_FALSE(idle["scenario"].contains("background"));

  const auto points = test::points(base +
                                   "background: {type: uniform, rate: 1000/s, size: 2MiB}\n"
                                   "sweep: {background.rate: [1000/s, 500000/s]}\n");
  REQUIRE(points.size() == 2);
  CHECK(points[1].sweep_values.at(0).first == "background.rate");
  const Json slow = scenarios::run_point(points[0], 0), fast = scenarios::run_point(points[1], 0);
  CHECK(fast["metrics"]["bytes_total"].get<double>() >
        slow["metrics"]["bytes_total"].get<double>());
}

TEST_CASE("a background of the workload's own type draws from its own random streams",
          "[scenario][background]") {
  // The same uniform writes twice over the same region: if the background reused the
  // workload's stream it would write exactly the same pages and add nothing.
  const std::string base =
      "vm: {memory: 64MiB}\nhost: {hypervisor: xen-legacy}\n"
      "migration: {algorithm: pre_copy}\n"
      "workload: {type: uniform, rate: 2000/s}\n";
  const Json one = test::run_yaml(base);
  const Json two = test::run_yaml(base + "background: {type: uniform, rate: 2000/s}\n");
  // Pages dirtied during the first round, which lasts as long in both (one pass over memory).
  const auto dirtied = [](const Json& r) { return r["rounds"][0]["pages_dirtied"].get<double>(); };
  REQUIRE(dirtied(one) > 500);
  CHECK(dirtied(two) > 1.7 * dirtied(one));
}

TEST_CASE("a block named after an algorithm applies only when that algorithm runs",
          "[scenario][migration]") {
  const auto points = test::points(
      "vm: {memory: 64MiB}\nworkload: {type: uniform, rate: 20000/s, size: 8MiB}\n"
      "host: {hypervisor: xen-legacy}\n"
      "migration:\n  algorithm: pre_copy\n  three_stage: {dirty_page_overhead_bytes: 4096}\n"
      "  post_copy: {prepage_pages: 0}\n"
      "sweep: {migration.algorithm: [pre_copy, three_stage, post_copy]}\n");
  REQUIRE(points.size() == 3);
  CHECK(points[0].resolved()["migration"].size() ==
        test::points("vm: {memory: 64MiB}\nworkload: {type: idle}\nhost: {hypervisor: xen-legacy}\n"
                     "migration: {algorithm: pre_copy}\n")
            .at(0)
            .resolved()["migration"]
            .size());
  CHECK(points[1].resolved()["migration"]["dirty_page_overhead_bytes"] == 4096);
  CHECK(points[2].resolved()["migration"]["prepage_pages"] == 0);
  // The overhead is sent during the suspension: state bytes grow by 4096 per dirty page.
  const Json with = scenarios::run_point(points[1], 0);
  const Json without = test::run_yaml(
      "vm: {memory: 64MiB}\nworkload: {type: uniform, rate: 20000/s, size: 8MiB}\n"
      "host: {hypervisor: xen-legacy}\nmigration: {algorithm: three_stage}\n");
  CHECK(with["metrics"]["bytes_state"].get<double>() >
        without["metrics"]["bytes_state"].get<double>() + 4096.0 * 100);
  CHECK(with["metrics"]["downtime_s"].get<double>() >
        without["metrics"]["downtime_s"].get<double>());
}
