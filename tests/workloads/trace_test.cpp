// The trace file format (round trip, every corruption detected) and the `trace` workload (a
// replayed synthetic trace migrates like the synthetic workload it was recorded from; remap,
// loop, start and time_scale do what they say).
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "tests/support.h"
#include "workloads/trace_file.h"

namespace migsim {
namespace {

using workloads::PageRun;
using workloads::TraceBuilder;
using workloads::TraceFrame;
using workloads::TraceHeader;

// A trace of random frames: runs that overlap and touch (the builder merges them), reads, disk.
std::pair<std::shared_ptr<const workloads::Trace>, std::vector<TraceFrame>> random_trace(
    std::uint64_t seed, std::uint64_t pages, std::uint64_t frames) {
  std::mt19937_64 rng(seed);
  TraceHeader h;
  h.pages = pages;
  h.interval_ns = 7'000'000;
  h.has_reads = true;
  h.has_disk = true;
  h.source = "random_trace(" + std::to_string(seed) + ")";
  TraceBuilder b(h);
  std::vector<TraceFrame> expected;
  for (std::uint64_t k = 0; k < frames; ++k) {
    TraceFrame f;
    const auto runs = [&](std::vector<PageRun>& out) {
      const std::uint64_t n = rng() % 40;
      for (std::uint64_t i = 0; i < n; ++i) {
        const std::uint64_t first = rng() % pages;
        const std::uint64_t len = 1 + rng() % std::min<std::uint64_t>(300, pages - first);
        out.push_back({first, len});
      }
    };
    runs(f.writes);
    runs(f.reads);
    f.disk = {rng() % 100000, rng() % (std::uint64_t{1} << 40), rng() % 1000};
    TraceFrame given = f;
    workloads::normalise_runs(f.writes);
    workloads::normalise_runs(f.reads);
    expected.push_back(f);
    b.add_frame(given.writes, given.reads, given.disk);
  }
  return {b.finish(), expected};
}

std::uint64_t count_pages(const std::vector<PageRun>& runs) {
  std::uint64_t n = 0;
  for (const auto& r : runs) n += r.count;
  return n;
}

TEST_CASE("trace file: write then read gives the same header and frames") {
  const auto [trace, expected] = random_trace(42, 5000, 300);
  const std::string dir = test::temp_dir("trace-roundtrip");
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/t.trace";
  workloads::write_trace(path, *trace);
  const auto back = workloads::read_trace(path);
  CHECK(back->header().pages == 5000);
  CHECK(back->header().interval_ns == 7'000'000);
  CHECK(back->header().has_reads);
  CHECK(back->header().has_disk);
  CHECK(back->header().source == "random_trace(42)");
  REQUIRE(back->frames() == expected.size());
  std::uint64_t written = 0;
  for (std::uint64_t k = 0; k < back->frames(); ++k) {
    const TraceFrame f = back->decode(k);
    CHECK(f == expected[k]);
    CHECK(back->frame(k).write_pages == count_pages(expected[k].writes));
    written += count_pages(expected[k].writes);
    // Canonical: sorted, disjoint, never touching.
    for (std::size_t i = 1; i < f.writes.size(); ++i)
      CHECK(f.writes[i].first > f.writes[i - 1].first + f.writes[i - 1].count);
  }
  CHECK(back->written_pages_total() == written);
  CHECK(workloads::serialise_trace(*back) == workloads::serialise_trace(*trace));
  std::filesystem::remove_all(dir);
}

TEST_CASE("trace file: the distinct written pages are counted across frames") {
  TraceHeader h;
  h.pages = 1000;
  TraceBuilder b(h);
  b.add_frame({{0, 10}, {500, 1}});
  b.add_frame({{5, 10}, {999, 1}});  // 5 new pages (10..14) and page 999
  b.add_frame({});
  const auto t = b.finish();
  CHECK(t->distinct_written() == 17);
  CHECK(t->written_pages_total() == 22);
  CHECK(t->duration_ns() == 300'000'000);
}

TEST_CASE("trace file: an isolated page near the last costs one byte") {
  TraceHeader h;
  h.pages = 1 << 20;
  TraceBuilder b(h);
  std::vector<PageRun> runs;
  for (std::uint64_t p = 0; p < 60000; p += 50) runs.push_back({p, 1});
  b.add_frame(runs);
  const auto t = b.finish();
  // 1200 runs at one byte each, plus the two-byte run count.
  CHECK(t->body().size() == 1200 + 2);
}

// Replaces byte `at` of a serialised trace and fixes the checksum, so the reader's own checks
// (not the checksum) must catch what is wrong.
std::vector<std::uint8_t> patched(std::vector<std::uint8_t> bytes, std::size_t at,
                                  std::uint8_t value) {
  bytes[at] = value;
  const std::uint64_t sum = XXH3_64bits(bytes.data(), bytes.size() - 8);
  for (int i = 0; i < 8; ++i)
    bytes[bytes.size() - 8 + i] = static_cast<std::uint8_t>(sum >> (8 * i));
  return bytes;
}

TEST_CASE("trace file: corrupt or foreign files are rejected with the reason") {
  TraceHeader h;
  h.pages = 100;
  h.source = "x";
  TraceBuilder b(h);
  b.add_frame({{10, 5}, {90, 10}});
  const auto bytes = workloads::serialise_trace(*b.finish());
  const auto error = [](const std::vector<std::uint8_t>& v) {
    try {
      (void)workloads::parse_trace(v, "t.trace");
    } catch (const workloads::TraceError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  CHECK(error(bytes) == "accepted");
  CHECK_THAT(error({'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o'}),
             Catch::Contains("not a migsim trace"));
  auto flipped = bytes;
  flipped[bytes.size() / 2] ^= 0x10;
  CHECK_THAT(error(flipped), Catch::Contains("checksum mismatch"));
  CHECK_THAT(error(std::vector<std::uint8_t>(bytes.begin(), bytes.end() - 3)),
             Catch::Contains("truncated"));
  CHECK_THAT(error(patched(bytes, 8, 9)), Catch::Contains("version 9"));
  CHECK_THAT(error(patched(bytes, 16, 3)), Catch::Contains("page size"));
  // The body: count 2, run (gap 10, long) len-2 = 3, run (gap 75, long) len-2 = 8. Make the
  // second run's gap 85: it then ends past page 100.
  const std::size_t body = 60 + 1;
  CHECK(bytes[body] == 2);
  CHECK(bytes[body + 3] == (75 << 1 | 1));
  CHECK_THAT(error(patched(bytes, body + 3, 85 << 1 | 1)), Catch::Contains("ends past page 100"));
  // A second run with gap 0 touches the first: not canonical.
  CHECK_THAT(error(patched(bytes, body + 3, 0 << 1 | 1)), Catch::Contains("touches the previous"));
}

std::string scenario(const std::string& workload, const std::string& algorithm) {
  return test::migration_yaml("128MiB", workload, algorithm);
}

double metric(const test::Json& record, const char* name) {
  return record.at("metrics").at(name).get<double>();
}

// Synthesises `workload` into a trace file (10 ms frames, 100 s) and returns its path.
std::string synthesize(const std::string& workload, const std::string& dir, const char* name) {
  const auto p = test::points(scenario(workload, "pre_copy"));
  const auto trace = scenarios::synthesize_trace(p.at(0), 0, sim::Duration::ms(10), 10000);
  const std::string path = dir + "/" + name;
  workloads::write_trace(path, *trace);
  return path;
}

TEST_CASE("trace workload: replaying a synthetic workload's trace migrates like the workload") {
  const std::string dir = test::temp_dir("trace-replay");
  std::filesystem::create_directories(dir);
  const std::vector<std::pair<std::string, const char*>> cases = {
      {"{type: hotcold, rate: 30000/s, hot_fraction: 0.05, hot_share: 0.9}", "hotcold.trace"},
      {"{type: sequential, dirty_rate: 60MiB/s}", "sequential.trace"},
      {"{type: memtester, buffer: 32MiB, random_phase: false}", "memtester.trace"},
      {"{type: uniform, rate: 4000/s}", "uniform.trace"},
  };
  for (const auto& [workload, name] : cases) {
    const std::string path = synthesize(workload, dir, name);
    for (const char* algorithm : {"pre_copy", "post_copy", "three_stage", "improved_pre_copy"}) {
      INFO(workload << " under " << algorithm);
      const auto synthetic = test::run_yaml(scenario(workload, algorithm));
      const auto replay = test::run_yaml(scenario("{type: trace, path: " + path + "}", algorithm));
      // 10 ms frames blur when in a frame each page is written: within 2% (1 ms for downtime).
      CHECK(metric(replay, "total_time_s") ==
            Approx(metric(synthetic, "total_time_s")).epsilon(0.02));
      CHECK(metric(replay, "bytes_total") ==
            Approx(metric(synthetic, "bytes_total")).epsilon(0.02));
      // Downtime follows the last round's dirty set, a random draw for random writers: 5%.
      CHECK(metric(replay, "downtime_s") ==
            Approx(metric(synthetic, "downtime_s")).epsilon(0.05).margin(0.001));
    }
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("trace workload: time_scale 2 replays a sequential writer at half its rate") {
  const std::string dir = test::temp_dir("trace-scale");
  std::filesystem::create_directories(dir);
  const std::string path = synthesize("{type: sequential, dirty_rate: 80MiB/s}", dir, "s.trace");
  const auto half = test::run_yaml(scenario("{type: sequential, dirty_rate: 40MiB/s}", "pre_copy"));
  const auto slow =
      test::run_yaml(scenario("{type: trace, path: " + path + ", time_scale: 2}", "pre_copy"));
  const auto fast = test::run_yaml(scenario("{type: trace, path: " + path + "}", "pre_copy"));
  CHECK(metric(slow, "bytes_total") == Approx(metric(half, "bytes_total")).epsilon(0.02));
  CHECK(metric(slow, "bytes_total") < 0.97 * metric(fast, "bytes_total"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("trace workload: loop replays the trace again and without it the guest goes idle") {
  const std::string dir = test::temp_dir("trace-loop");
  std::filesystem::create_directories(dir);
  // One second of a fast writer, over a migration of ~1.2 s.
  const auto p = test::points(scenario("{type: uniform, rate: 100000/s}", "pre_copy"));
  const auto trace = scenarios::synthesize_trace(p.at(0), 0, sim::Duration::ms(10), 50);
  const std::string path = dir + "/short.trace";
  workloads::write_trace(path, *trace);
  const auto looped = test::run_yaml(scenario("{type: trace, path: " + path + "}", "pre_copy"));
  const auto stopped =
      test::run_yaml(scenario("{type: trace, path: " + path + ", loop: false}", "pre_copy"));
  CHECK(looped.at("workload").at("trace_wraps").get<double>() >= 1);
  CHECK(stopped.at("workload").at("trace_wraps").get<double>() == 0);
  // After 0.5 s nothing is written: the first round's re-sent pages are those of 0.5 s only, and
  // the last round sends nothing new.
  CHECK(metric(stopped, "bytes_total") < metric(looped, "bytes_total"));
  CHECK(metric(stopped, "downtime_s") < metric(looped, "downtime_s"));
  // Starting 1 ms before the end replays the last tenth of the last frame, then nothing.
  const auto late = test::run_yaml(
      scenario("{type: trace, path: " + path + ", loop: false, start: 499ms}", "pre_copy"));
  const auto idle = test::run_yaml(scenario("{type: idle}", "pre_copy"));
  const double last_tenth = static_cast<double>(trace->frame(49).write_pages) / 10 * 4096;
  CHECK(metric(late, "bytes_total") > metric(idle, "bytes_total"));
  CHECK(metric(late, "bytes_total") - metric(idle, "bytes_total") <= 1.1 * last_tenth + 64 * 1024);
  std::filesystem::remove_all(dir);
}

TEST_CASE("trace workload: a trace for another memory size needs remap") {
  const std::string dir = test::temp_dir("trace-remap");
  std::filesystem::create_directories(dir);
  TraceHeader h;
  h.pages = 8192;  // 32 MiB
  h.interval_ns = 10'000'000;
  TraceBuilder b(h);
  for (int k = 0; k < 100; ++k) b.add_frame({{0, 4096}});  // the first half, every frame
  const std::string path = dir + "/small.trace";
  workloads::write_trace(path, *b.finish());
  try {
    (void)test::points(scenario("{type: trace, path: " + path + "}", "pre_copy"));
    FAIL("a 32 MiB trace on a 128 MiB VM was accepted");
  } catch (const scenarios::ScenarioError& e) {
    CHECK_THAT(e.what(), Catch::Contains("workload.remap"));
    CHECK_THAT(e.what(), Catch::Contains("recorded for 32MiB (8192 pages of 4KiB)"));
  }
  // scale: the first half of the trace is the first half of the VM (16384 pages); wrap: the
  // first 4096 pages only. Hot pages are re-sent every round, so the final round shows them.
  const auto scaled =
      test::run_yaml(scenario("{type: trace, path: " + path + ", remap: scale}", "stop_and_copy"));
  const auto wrapped =
      test::run_yaml(scenario("{type: trace, path: " + path + ", remap: wrap}", "stop_and_copy"));
  CHECK(scaled.at("workload").at("trace_distinct_pages").get<double>() == 16384);
  CHECK(wrapped.at("workload").at("trace_distinct_pages").get<double>() == 4096);
  const auto pre_scaled =
      test::run_yaml(scenario("{type: trace, path: " + path + ", remap: scale}", "pre_copy"));
  const auto pre_wrapped =
      test::run_yaml(scenario("{type: trace, path: " + path + ", remap: wrap}", "pre_copy"));
  CHECK(metric(pre_scaled, "bytes_total") > metric(pre_wrapped, "bytes_total"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("trace workload: a sweep parses its trace once") {
  const std::string dir = test::temp_dir("trace-shared");
  std::filesystem::create_directories(dir);
  const std::string path = synthesize("{type: uniform, rate: 1000/s}", dir, "u.trace");
  const auto a = workloads::shared_trace(path);
  const auto b = workloads::shared_trace(
      dir + "/../" + std::filesystem::path(dir).filename().string() + "/u.trace");
  CHECK(a.get() == b.get());
  std::filesystem::remove_all(dir);
}

TEST_CASE("trace workload: a relative path is relative to the scenario file") {
  const std::string dir = test::temp_dir("trace-relative");
  std::filesystem::create_directories(dir + "/traces");
  synthesize("{type: uniform, rate: 1000/s}", dir + "/traces", "u.trace");
  {
    std::ofstream f(dir + "/s.yaml");
    f << scenario("{type: trace, path: traces/u.trace}", "pre_copy");
  }
  const auto r = test::run_cli("validate " + dir + "/s.yaml");
  CHECK(r.exit_code == 0);
  // From another working directory too.
  const auto elsewhere =
      test::run_cli_in_shell("cd / && " + std::string(MIGSIM_EXE) + " validate " + dir + "/s.yaml");
  CHECK(elsewhere.exit_code == 0);
  std::filesystem::remove(dir + "/traces/u.trace");
  const auto gone = test::run_cli("validate " + dir + "/s.yaml");
  CHECK(gone.exit_code == 2);
  CHECK_THAT(gone.output, Catch::Contains("s.yaml:2: workload.path:"));
  CHECK_THAT(gone.output, Catch::Contains("traces/u.trace: cannot open"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace migsim
