// The seed algorithms against what their papers and the theory say (seed-papers.md 3, 6, 8):
// post-copy moves each page once and its downtime does not follow the dirty rate; faults follow
// reads; improved pre-copy ends in a few rounds where Xen's pre-copy hits its cap; and the
// access model's faults match the expected number of distinct missing pages read.
#include <catch2/catch.hpp>
#include <cmath>
#include <string>

#include "tests/support.h"
#include "workloads/workload.h"

using namespace migsim;
using migsim::test::Json;

namespace {

Json run(const std::string& vm, const std::string& workload, const std::string& hypervisor,
         const std::string& migration, std::int64_t replicate = 0) {
  return test::run_yaml("vm: " + vm + "\nworkload: " + workload + "\nhost: {hypervisor: " +
                            hypervisor + "}\nmigration: " + migration + "\n",
                        replicate);
}

double mean_metric(const std::string& vm, const std::string& workload, const std::string& hv,
                   const std::string& migration, const char* metric, int reps) {
  double sum = 0;
  for (int r = 0; r < reps; ++r)
    sum += run(vm, workload, hv, migration, r)["metrics"][metric].get<double>();
  return sum / reps;
}

}  // namespace

TEST_CASE(
    "pure post-copy sends each page once: bytes are memory, framing, state, bitmap and requests",
    "[post_copy]") {
  for (const std::string w : {"{type: memtester, buffer: 32MiB, bandwidth: 500MiB/s}",
                              "{type: uniform, rate: 200000/s, read_rate: 200000/s}",
                              "{type: read_heavy}", "{type: idle}"}) {
    INFO(w);
    const Json r = run("{memory: 128MiB}", w, "qemu", "{algorithm: post_copy}");
    const Json& m = r["metrics"];
    CHECK(m["pages_sent"] == m["guest_pages"]);
    CHECK(m["bytes_resent"] == 0);
    CHECK(m["bytes_first_pass"].get<std::int64_t>() == std::int64_t{128} << 20);
    const std::int64_t pages = m["guest_pages"].get<std::int64_t>();
    // State = device state + the pending bitmap (pages / 8 bytes).
    CHECK(m["bytes_state"].get<std::int64_t>() ==
          test::points("vm: {memory: 128MiB}\nworkload: {type: idle}\nhost: {hypervisor: qemu}\n"
                       "migration: {algorithm: post_copy}\n")
                  .at(0)
                  .host.state_size.count() +
              pages / 8);
    CHECK(m["bytes_request"].get<std::int64_t>() == 16 * (m["pages_demand"].get<std::int64_t>()));
    CHECK(m["pages_pushed"].get<std::int64_t>() + m["pages_demand"].get<std::int64_t>() +
              m["pages_prepulled"].get<std::int64_t>() ==
          pages);
  }
}

TEST_CASE("post-copy's downtime does not grow with the dirty rate, pre-copy's does",
          "[post_copy]") {
  const auto downtime = [](const char* algorithm, const char* rate) {
    return mean_metric("{memory: 128MiB}", std::string("{type: uniform, rate: ") + rate + "}",
                       "qemu", std::string("{algorithm: ") + algorithm + "}", "downtime_s", 3);
  };
  CHECK(downtime("post_copy", "1000/s") == Approx(downtime("post_copy", "1000000/s")));
  CHECK(downtime("pre_copy", "1000000/s") > 2 * downtime("pre_copy", "1000/s"));
}

TEST_CASE("under read_heavy, post-copy's faults and stall grow with the read rate", "[post_copy]") {
  double last_faults = -1, last_stall = -1;
  for (const char* rate : {"2000/s", "20000/s", "200000/s"}) {
    INFO(rate);
    const std::string w = std::string("{type: read_heavy, read_rate: ") + rate + "}";
    const double faults = mean_metric("{memory: 128MiB}", w, "qemu",
                                      "{algorithm: post_copy, prepage_pages: 0}", "faults", 3);
    const double stall =
        mean_metric("{memory: 128MiB}", w, "qemu", "{algorithm: post_copy, prepage_pages: 0}",
                    "guest_stall_s", 3);
    CHECK(faults > last_faults);
    CHECK(stall > last_stall);
    last_faults = faults;
    last_stall = stall;
  }
  CHECK(last_faults > 100);
}

TEST_CASE(
    "improved pre-copy ends in at most 5 live rounds where Xen legacy hits 29, moving less "
    "in less time",
    "[improved_pre_copy]") {
  // A write-hot guest: a hot set rewritten faster than it can be sent, a cold rest rarely.
  const std::string vm = "{memory: 256MiB}";
  const std::string w = "{type: hotcold, rate: 400000/s, hot_fraction: 0.05, hot_share: 0.995}";
  for (int rep = 0; rep < 3; ++rep) {
    INFO("replicate " << rep);
    const Json xen = run(vm, w, "xen-legacy", "{algorithm: pre_copy}", rep);
    const Json ma = run(vm, w, "xen-legacy", "{algorithm: improved_pre_copy}", rep);
    CHECK(xen["metrics"]["live_rounds"] == 29);
    CHECK(ma["metrics"]["live_rounds"].get<int>() <= 5);
    CHECK(ma["metrics"]["bytes_total"].get<double>() < xen["metrics"]["bytes_total"].get<double>());
    CHECK(ma["metrics"]["total_time_s"].get<double>() <
          xen["metrics"]["total_time_s"].get<double>());
    CHECK(ma["metrics"]["hot_pages_final"].get<double>() > 0);
    // The hot set is recorded per round, and never shrinks without hot_release.
    std::uint64_t hot = 0;
    for (const auto& r : ma["rounds"]) {
      if (r["final"].get<bool>()) continue;
      CHECK(r["hot_pages"].get<std::uint64_t>() >= hot);
      hot = r["hot_pages"].get<std::uint64_t>();
    }
  }
}

TEST_CASE("the access model's faults match the expected distinct missing pages read",
          "[access-model]") {
  // Uniform reads at r over n pages, all missing at the destination, no push: each fault's page
  // arrives at once. Faults by guest time T are the distinct pages read: binomial with
  // p = 1 - exp(-r T / n); the count must lie within 3 standard deviations of n p.
  for (const double t_over : {0.2, 1.0, 3.0}) {
    const std::uint64_t n = 1 << 15;
    vm::VmParams vp;
    vp.memory = sim::Bytes{static_cast<std::int64_t>(n) * 4096};
    vm::GuestMemory memory(vp, 1, 0);
    const double r = 100000.0;
    const workloads::WorkloadContext ctx{memory.pages(), memory.page_size(), 7, 0};
    const auto* entry = workloads::workloads().find("uniform");
    auto params = entry->make_params();
    sim::for_each_param(*params, [](const sim::ParamDecl& d) {
      std::string error;
      if (d.name == "rate") REQUIRE(d.parse("0/s", error));
      if (d.name == "read_rate") REQUIRE(d.parse("100000/s", error));
    });
    auto activity = entry->make(*params, ctx);
    memory.run_at(vm::Side::kDestination);
    const sim::Duration end =
        sim::Duration::ns(static_cast<std::int64_t>(t_over * static_cast<double>(n) / r * 1e9));
    std::uint64_t faults = 0;
    sim::Duration now{};
    for (;;) {
      const auto miss = activity->next_miss(now, memory);
      REQUIRE(miss);
      if (miss->at >= end) break;
      now = miss->at;
      if (miss->page == vm::Miss::kNoPage) continue;
      ++faults;
      memory.capture(miss->page / 64, vm::GuestMemory::Word{1} << (miss->page % 64));
      memory.arrive(miss->page / 64, vm::GuestMemory::Word{1} << (miss->page % 64));
    }
    const double p = -std::expm1(-t_over);
    const double expected = static_cast<double>(n) * p;
    const double sd = std::sqrt(static_cast<double>(n) * p * (1 - p));
    INFO("T = " << t_over << " n/r: faults " << faults << " expected " << expected);
    CHECK(std::abs(static_cast<double>(faults) - expected) <= 3 * sd);
  }
}

TEST_CASE(
    "with push disabled, post-copy's guest finishes at the coupon-collector time of its reads",
    "[access-model][post_copy]") {
  // Pure post-copy, no push (push_start beyond the run), no pre-paging, uniform reads at r over
  // n pages and no writes: every page comes on demand, so the run ends when the guest has read
  // all n pages. Stalls stop guest time, not the access sequence: the guest time run is the
  // coupon-collector time, mean n H_n / r, standard deviation (n / r) pi / sqrt(6) (limit).
  const double n = 4096, r = 100000;
  double h = 0;
  for (int k = 1; k <= static_cast<int>(n); ++k) h += 1.0 / k;
  const double mean = n * h / r, sd = n / r * M_PI / std::sqrt(6.0);
  const int reps = 20;
  double sum = 0;
  for (int rep = 0; rep < reps; ++rep) {
    const Json rec =
        run("{memory: 16MiB}", "{type: uniform, rate: 0/s, read_rate: 100000/s}", "qemu",
            "{algorithm: post_copy, prepage_pages: 0, push_start: 3600s}", rep);
    const Json& m = rec["metrics"];
    REQUIRE(m["pages_pushed"] == 0);
    REQUIRE(m["faults"] == 4096);
    REQUIRE(m["pages_demand"] == 4096);
    sum += m["guest_work_s"].get<double>();
  }
  const double observed = sum / reps;
  INFO("mean guest time " << observed << " s, theory " << mean << " s");
  CHECK(std::abs(observed - mean) < 3 * sd / std::sqrt(static_cast<double>(reps)));
}
