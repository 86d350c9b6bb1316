// Sweeps that survive: `migsim run` killed with SIGKILL at random moments and resumed with
// --resume until it completes writes exactly what one uninterrupted run writes (no run lost, none
// repeated), whatever the moment of the kill: mid-run, mid-write (a torn last line), mid-batch.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <random>

#include "tests/support.h"

namespace {

namespace fs = std::filesystem;
using migsim::test::read_file;
using migsim::test::run_cli;
using migsim::test::run_cli_in_shell;

// A sweep of a few hundred short runs (about a second in all), some of them several-VM batches.
void write_sweep(const fs::path& dir) {
  std::ofstream(dir / "single.yaml") << R"(name: single
vm: {memory: 1GiB}
workload: {type: uniform, rate: 2000/s}
link: {preset: gigabit}
host: {hypervisor: xen-v2}
migration: {algorithm: pre_copy}
replications: 150
sweep:
  migration.algorithm: [pre_copy, post_copy]
)";
  std::ofstream(dir / "batch.yaml") << R"(name: batch
vm: {memory: 256MiB}
workload: {type: hotcold, rate: 2000/s}
host: {hypervisor: xen-v2}
migration: {algorithm: pre_copy}
link: {preset: gigabit}
replications: 40
vms:
  - {name: a}
  - {name: b, count: 2}
)";
}

std::string run_in(const fs::path& dir, const std::string& args) {
  return "cd " + dir.string() + " && " + std::string(MIGSIM_EXE) + " " + args;
}

bool complete(const fs::path& out) {
  return read_file((out / "manifest.json").string()).find("\"complete\": true") !=
         std::string::npos;
}

}  // namespace

TEST_CASE("resume: runs killed at random moments and resumed equal one uninterrupted run") {
  const fs::path dir = migsim::test::temp_dir("resume-kill");
  fs::create_directories(dir);
  write_sweep(dir);
  const auto ref =
      run_cli_in_shell(run_in(dir, "run single.yaml batch.yaml --out ref --quiet --jobs 2"));
  REQUIRE(ref.exit_code == 0);
  const std::string expected = read_file((dir / "ref/results.jsonl").string());
  std::mt19937 rng(20261123);
  int total_kills = 0, total_resumes = 0;
  for (int loop = 0; loop < 8; ++loop) {
    const fs::path out = dir / ("k" + std::to_string(loop));
    std::uniform_int_distribution<int> delay_ms(5, 300);
    const std::string fresh =
        "run single.yaml batch.yaml --out " + out.filename().string() + " --quiet --jobs 2";
    const std::string resume = "run --resume " + out.filename().string() + " --quiet --jobs 2";
    int kills = 0;
    for (int attempt = 0; attempt < 200 && !(fs::exists(out / "manifest.json") && complete(out));
         ++attempt) {
      // Killed before its manifest existed, the sweep starts afresh; after, it resumes.
      const std::string cmd = fs::exists(out / "manifest.json") ? resume : fresh;
      (void)run_cli_in_shell("cd " + dir.string() + " && timeout -s KILL " +
                             std::to_string(delay_ms(rng) / 1000.0) + " " + MIGSIM_EXE + " " + cmd);
      if (!complete(out)) ++kills;
      ++total_resumes;
    }
    INFO("loop " << loop);
    REQUIRE(complete(out));
    CHECK(kills >= 1);
    total_kills += kills;
    CHECK(read_file((out / "results.jsonl").string()) == expected);
    CHECK(read_file((out / "results.csv").string()) ==
          read_file((dir / "ref/results.csv").string()));
    CHECK(read_file((out / "summary.txt").string()) ==
          read_file((dir / "ref/summary.txt").string()));
  }
  WARN("resume-after-kill: " << total_kills << " SIGKILLs over " << total_resumes
                             << " invocations in 8 sweeps; every result byte-identical");
  fs::remove_all(dir);
}

TEST_CASE("resume: a torn last line and a batch missing its batch record are cut and rerun") {
  const fs::path dir = migsim::test::temp_dir("resume-torn");
  fs::create_directories(dir);
  write_sweep(dir);
  REQUIRE(run_cli_in_shell(run_in(dir, "run single.yaml batch.yaml --out ref --quiet --jobs 2"))
              .exit_code == 0);
  const std::string expected = read_file((dir / "ref/results.jsonl").string());
  std::string manifest = read_file((dir / "ref/manifest.json").string());
  manifest.replace(manifest.find("\"complete\": true"), 16, "\"complete\": false");
  // Cut points: inside the first line, after a whole single run, inside a batch (after its first
  // VM record), right after a batch's VM records but before the batch record.
  const std::size_t singles = 300;
  std::size_t line_end = 0;
  for (std::size_t i = 0; i < singles + 3; ++i) line_end = expected.find('\n', line_end) + 1;
  const std::size_t batch_vm2 = line_end;  // after the first batch's records a, b, b (3 VMs)
  const std::size_t after_single = expected.find('\n') + 1;
  for (const std::size_t cut : {std::size_t{10}, after_single, after_single + 7, batch_vm2 - 1,
                                batch_vm2, batch_vm2 + 100}) {
    INFO("cut at byte " << cut);
    const fs::path out = dir / ("t" + std::to_string(cut));
    fs::create_directories(out);
    std::ofstream(out / "results.jsonl", std::ios::binary) << expected.substr(0, cut);
    std::ofstream(out / "manifest.json") << manifest;
    const auto r =
        run_cli_in_shell(run_in(dir, "run --resume " + out.filename().string() + " --jobs 2"));
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    CHECK(read_file((out / "results.jsonl").string()) == expected);
  }
  fs::remove_all(dir);
}

TEST_CASE("resume: a changed scenario file or a foreign directory is bad input") {
  const fs::path dir = migsim::test::temp_dir("resume-bad");
  fs::create_directories(dir);
  write_sweep(dir);
  REQUIRE(run_cli_in_shell(run_in(dir, "run single.yaml --out r --quiet")).exit_code == 0);
  std::ofstream(dir / "single.yaml", std::ios::app) << "seed: 2\n";
  const auto changed = run_cli_in_shell(run_in(dir, "run --resume r"));
  CHECK(changed.exit_code == 2);
  CHECK_THAT(changed.output, Catch::Contains("single.yaml has changed since the sweep"));
  const auto none = run_cli_in_shell(run_in(dir, "run --resume nowhere"));
  CHECK(none.exit_code == 2);
  CHECK_THAT(none.output, Catch::Contains("nowhere/manifest.json: cannot open"));
  const auto extra = run_cli_in_shell(run_in(dir, "run --resume r single.yaml"));
  CHECK(extra.exit_code == 2);
  CHECK_THAT(extra.output, Catch::Contains("takes the scenario files from DIR/manifest.json"));
  fs::remove_all(dir);
}
