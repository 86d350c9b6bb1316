// Model tests: the simulator against closed-form pre-copy (seed-papers.md section 9a).
#include <catch2/catch.hpp>
#include <cmath>
#include <string>

#include "tests/support.h"

using migsim::test::Json;
using migsim::test::run_yaml;

namespace {

constexpr double kPage = 4096.0;

// A scenario with every cost but the page payload switched off.
std::string ideal(const std::string& memory, const std::string& dirty_rate, const std::string& link,
                  int min_pages, int max_rounds) {
  return "seed: 1\n"
         "vm: {memory: " +
         memory +
         "}\n"
         "workload: {type: sequential, dirty_rate: " +
         dirty_rate +
         "}\n"
         "link: {bandwidth: " +
         link +
         ", latency: 0s, efficiency: 1.0}\n"
         "host: {hypervisor: xen-v2, suspend_time: 0s, resume_time: 0s, state_size: 0B,\n"
         "       log_fetch_base: 0s, log_fetch_per_gib: 0s}\n"
         "migration: {algorithm: pre_copy, max_rounds: " +
         std::to_string(max_rounds) + ", min_dirty_pages: " + std::to_string(min_pages) +
         ", max_factor: 0, skip_redirtied: false, page_header_bytes: 0, batch_header_bytes: 0}\n";
}

}  // namespace

TEST_CASE("with sequential dirtying, rounds follow M (D/R)^i and totals match the closed form",
          "[model][closed-form]") {
  struct Case {
    const char* memory;
    double memory_bytes;
    const char* dirty;
    double dirty_bps;  // bytes/s
    const char* link;
    double link_bps;  // bits/s
    int min_pages;
    int max_rounds;
  };
  const Case cases[] = {
      {"1GiB", 1073741824.0, "20MiB/s", 20971520.0, "1Gbit/s", 1e9, 50, 30},
      {"512MiB", 536870912.0, "50MiB/s", 52428800.0, "1Gbit/s", 1e9, 100, 30},
      {"2GiB", 2147483648.0, "100MiB/s", 104857600.0, "10Gbit/s", 1e10, 50, 30},
      {"256MiB", 268435456.0, "100MiB/s", 104857600.0, "1Gbit/s", 1e9, 50, 5},  // round cap binds
  };
  for (const Case& c : cases) {
    INFO("M=" << c.memory << " D=" << c.dirty << " R=" << c.link);
    const Json r = run_yaml(ideal(c.memory, c.dirty, c.link, c.min_pages, c.max_rounds));
    const double R = c.link_bps / 8.0;  // bytes/s
    const double lambda = c.dirty_bps / R;
    // V_i = M lambda^i. Xen judges the round just sent: live rounds 0..k where k is the first
    // with V_k < threshold (or the round cap); the stop-and-copy round n = k + 1 sends V_n.
    int k = 0;
    while (!(c.memory_bytes * std::pow(lambda, k) / kPage < c.min_pages || k + 1 >= c.max_rounds))
      ++k;
    const int n = k + 1;
    const auto& rounds = r["rounds"];
    REQUIRE(rounds.size() == static_cast<std::size_t>(n + 1));
    double tolerance_pages = 0.0;
    for (int i = 0; i <= n; ++i) {
      tolerance_pages += 1.0;  // page granularity: at most one partial page per interval
      const double expect = c.memory_bytes * std::pow(lambda, i) / kPage;
      INFO("round " << i);
      CHECK(std::abs(rounds[i]["pages_sent"].get<double>() - expect) <= tolerance_pages);
    }
    const Json& m = r["metrics"];
    const double total_bytes = c.memory_bytes * (1 - std::pow(lambda, n + 1)) / (1 - lambda);
    const double total_time = total_bytes / R;
    const double downtime = c.memory_bytes * std::pow(lambda, n) / R;
    const double slack = tolerance_pages * (n + 1) * kPage;  // bytes
    CHECK(std::abs(m["bytes_total"].get<double>() - total_bytes) <= slack);
    CHECK(std::abs(m["total_time_s"].get<double>() - total_time) <= slack / R + 1e-6);
    CHECK(std::abs(m["downtime_s"].get<double>() - downtime) <= tolerance_pages * kPage / R + 1e-6);
    CHECK(m["stop_reason"] == (k + 1 >= c.max_rounds ? "max_rounds" : "min_dirty_pages"));
    CHECK(m["stale_pages"] == 0);
  }
}

// Time TCP slow start loses against sending at `goodput` (bytes/s) from the first byte: each
// round trip while the window (doubling from 10 segments of 1448 bytes) is below goodput x RTT
// moves one window instead of goodput x RTT.
double slow_start_lag(double goodput, double rtt) {
  double lag = 0;
  for (double window = 14480; window < goodput * rtt; window *= 2) lag += rtt - window / goodput;
  return lag;
}

TEST_CASE("with no dirtying, time is memory / goodput plus framing, latency and switch-over costs",
          "[model][zero-dirty]") {
  // Gigabit preset: goodput 941.5 Mbit/s; 1 GiB = 256 batches of 1024 pages.
  const double goodput = 941500000.0 / 8.0;  // bytes/s
  const double pages = 262144, batches = 256;
  const double fetch = 20e-6 + 10e-6 * 1.0;  // log_fetch_base + log_fetch_per_gib x 1 GiB
  const double state = 256 * 1024, latency = 100e-6;
  struct Case {
    const char* hypervisor;
    double batch_header, fetches, peeks, suspend, resume;
  };
  // xen-v2: enable + CLEAN after the full pass + final CLEAN. xen-legacy adds a PEEK per batch.
  // qemu: enable + the sync that finds nothing + final sync.
  const Case cases[] = {
      {"xen-v2", 16, 3, 0, 0.010, 0.020},
      {"xen-legacy", 4, 3, 256, 0.010, 0.020},
      {"qemu", 8, 3, 0, 0.001, 0.010},
  };
  for (const Case& c : cases) {
    INFO(c.hypervisor);
    const Json r =
        run_yaml(std::string("vm: {memory: 1GiB}\nworkload: {type: idle}\n") +
                 "host: {hypervisor: " + c.hypervisor + "}\nmigration: {algorithm: pre_copy}\n");
    const Json& m = r["metrics"];
    const double framing = pages * 8 + batches * c.batch_header;
    const double wire = pages * 4096 + framing;
    const double expect = wire / goodput + state / goodput + (c.fetches + c.peeks) * fetch +
                          latency + c.suspend + c.resume + slow_start_lag(goodput, 2 * latency);
    CHECK(m["bytes_total"].get<double>() == wire + state);
    CHECK(m["bytes_framing"].get<double>() == framing);
    // Exact up to rounding each transfer up to the next nanosecond.
    CHECK(std::abs(m["total_time_s"].get<double>() - expect) <= (batches + 1) * 1e-9);
    CHECK(m["stale_pages"] == 0);
  }
}

TEST_CASE("stop-and-copy downtime is the whole migration: suspend, memory, state, latency, resume",
          "[model]") {
  const Json r = run_yaml(
      "vm: {memory: 256MiB}\nworkload: {type: uniform, rate: 50000/s}\n"
      "host: {hypervisor: xen-legacy}\nmigration: {algorithm: stop_and_copy}\n");
  const Json& m = r["metrics"];
  const double goodput = 941500000.0 / 8.0;
  const double wire = 65536.0 * 4104 + 64 * 4 + 256 * 1024;
  const double expect = 0.010 + wire / goodput + 100e-6 + 0.020 + slow_start_lag(goodput, 200e-6);
  CHECK(std::abs(m["total_time_s"].get<double>() - expect) <= 66e-9);
  CHECK(m["downtime_s"] == m["total_time_s"]);
  CHECK(m["pages_sent"] == 65536);
  CHECK(m["bytes_resent"] == 0);
  CHECK(m["stale_pages"] == 0);
}

TEST_CASE("QEMU zero pages travel as 9-byte records", "[model][zero-pages]") {
  const Json r = run_yaml(
      "vm: {memory: 64MiB, zero_fraction: 0.5}\nworkload: {type: idle}\n"
      "host: {hypervisor: qemu}\nmigration: {algorithm: pre_copy}\n");
  const Json& m = r["metrics"];
  const double zero = m["zero_pages_at_start"].get<double>();
  CHECK(zero == Approx(8192).epsilon(0.05));
  CHECK(m["pages_zero"].get<double>() == zero);
  CHECK(m["bytes_first_pass"].get<double>() == (16384 - zero) * 4096);
  const Json xen = run_yaml(
      "vm: {memory: 64MiB, zero_fraction: 0.5}\nworkload: {type: idle}\n"
      "host: {hypervisor: xen-v2}\nmigration: {algorithm: pre_copy}\n");
  CHECK(xen["metrics"]["pages_zero"] == 0);
  CHECK(xen["metrics"]["bytes_first_pass"].get<double>() == 16384.0 * 4096);
}
