// Long tests (ctest label "long", excluded from scripts/test.sh): large guests and wide sweeps.
//   ctest --preset release -L long
#include <catch2/catch.hpp>
#include <string>

#include "tests/support.h"

using migsim::test::Json;

TEST_CASE("64 GiB guests under memtester migrate with nothing stale on every hypervisor",
          "[long]") {
  for (const std::string hv : {"xen-legacy", "xen-v2", "qemu"}) {
    INFO(hv);
    const Json r = migsim::test::run_yaml(
        "vm: {memory: 64GiB, zero_fraction: 0.3}\n"
        "workload: {type: memtester, buffer: 1GiB, bandwidth: 4GiB/s}\n"
        "link: {preset: 10gigabit}\nhost: {hypervisor: " +
        hv +
        "}\n"
        "migration: {algorithm: pre_copy, max_time: 900s}\n");
    CHECK(r["metrics"]["stale_pages"] == 0);
    CHECK(r["metrics"]["guest_pages"] == 16777216);
    CHECK(r["metrics"]["pages_sent"].get<double>() >= 16777216 * (hv == "qemu" ? 0.7 : 1.0));
  }
}

TEST_CASE("every workload on 4 GiB guests, 5 replicates each, ends with nothing stale", "[long]") {
  for (const std::string w :
       {"{type: uniform, rate: 500000/s}", "{type: hotcold, rate: 1000000/s}",
        "{type: sequential, dirty_rate: 300MiB/s}", "{type: memtester, buffer: 512MiB}"}) {
    for (const std::string hv : {"xen-legacy", "xen-v2", "qemu"}) {
      for (int rep = 0; rep < 5; ++rep) {
        INFO(w << " " << hv << " " << rep);
        const Json r = migsim::test::run_yaml(
            "vm: {memory: 4GiB}\nworkload: " + w + "\nhost: {hypervisor: " + hv +
                "}\nmigration: {algorithm: pre_copy, max_time: 600s}\n",
            rep);
        CHECK(r["metrics"]["stale_pages"] == 0);
      }
    }
  }
}
