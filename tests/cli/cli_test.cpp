#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "tests/support.h"

using migsim::test::Json;
using migsim::test::run_cli;

namespace {
// The default suite: TSMC's two memtester regimes.
const std::string kSuite = std::string(MIGSIM_SOURCE_DIR) +
                           "/scenarios/default-suite/tsmc-low-dirty.yaml " + MIGSIM_SOURCE_DIR +
                           "/scenarios/default-suite/tsmc-high-dirty.yaml";
}  // namespace

TEST_CASE("version and help exit 0, an unknown command is a usage error", "[cli]") {
  auto r = run_cli("--version");
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::StartsWith("migsim "));
  r = run_cli("--help");
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("run FILE..."));
  r = run_cli("frobnicate");
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.output, Catch::Contains("unknown command 'frobnicate'"));
  r = run_cli("run --jobs 0 " + std::string(MIGSIM_SOURCE_DIR) +
              "/scenarios/default-suite/tsmc-low-dirty.yaml");
  CHECK(r.exit_code == 2);
  r = run_cli("list wombats");
  CHECK(r.exit_code == 2);
}

TEST_CASE("list shows each parameter with its type, default and help", "[cli]") {
  auto r = run_cli("list workloads");
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("dirty_rate") && Catch::Contains("20MiB/s") &&
                           Catch::Contains("bytes of distinct pages written per second"));
  r = run_cli("list algorithms");
  CHECK_THAT(r.output, Catch::Contains("max_rounds") && Catch::Contains("with hypervisor xen-v2") &&
                           Catch::Contains("downtime_limit"));
  r = run_cli("list presets");
  CHECK_THAT(r.output, Catch::Contains("xen-legacy") && Catch::Contains("10gigabit"));
}

TEST_CASE("list metrics walks the declaration: every metric of a record, with who reports it",
          "[cli]") {
  const auto r = run_cli("list metrics");
  CHECK(r.exit_code == 0);
  // Every metric a post-copy record and an improved pre-copy record carry is listed.
  for (const char* algorithm : {"post_copy", "improved_pre_copy"}) {
    const Json rec = migsim::test::run_yaml(
        std::string("vm: {memory: 16MiB}\nworkload: {type: idle}\nhost: {hypervisor: "
                    "xen-legacy}\nmigration: {algorithm: ") +
        algorithm + "}\n");
    for (const auto& [name, value] : rec["metrics"].items())
      CHECK_THAT(r.output, Catch::Contains(name));
  }
  CHECK_THAT(r.output, Catch::Contains("reported by: three_stage, post_copy, hybrid") &&
                           Catch::Contains("reported by: improved_pre_copy"));
}

TEST_CASE("validate counts points and runs, run writes results, CSV, summary and manifest",
          "[cli]") {
  auto r = run_cli("validate " + kSuite);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("tsmc-low-dirty.yaml: ok (16 points, 80 runs)") &&
                           Catch::Contains("tsmc-high-dirty.yaml: ok (16 points, 80 runs)"));
  const std::filesystem::path dir = migsim::test::temp_dir("cli-run");
  r = run_cli("run " + kSuite + " --jobs 2 --out " + dir.string());
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("# tsmc-high-dirty") &&
                           Catch::Contains("vm.memory=1024MiB migration.algorithm=three_stage") &&
                           Catch::Contains("±"));
  const std::string jsonl = migsim::test::read_file((dir / "results.jsonl").string());
  CHECK(std::count(jsonl.begin(), jsonl.end(), '\n') == 160);
  const std::string csv = migsim::test::read_file((dir / "results.csv").string());
  CHECK(std::count(csv.begin(), csv.end(), '\n') == 161);
  CHECK(std::filesystem::exists(dir / "manifest.json"));
  CHECK(std::filesystem::exists(dir / "summary.txt"));
}

TEST_CASE("a --jobs beyond the cap is a usage error, not an abort", "[cli][jobs]") {
  const auto r = run_cli("run --quiet --jobs 60000 " + kSuite);
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.output, Catch::Contains("--jobs must be between 1 and 256"));
  CHECK_THAT(r.output, !Catch::Contains("terminate"));
}

TEST_CASE("threads the system refuses are done without, and results do not change", "[cli][jobs]") {
  // 40 MB of address space holds one run but not 200 thread stacks of 8 MiB: most threads fail
  // to start. Before, the unjoined threads aborted the process. (One file of the suite: the
  // margin left for the runs themselves is small. One malloc arena: glibc reserves 64 MiB of
  // address space per thread's arena, which would fail the runs, not the threads.)
  const std::string low =
      std::string(MIGSIM_SOURCE_DIR) + "/scenarios/default-suite/tsmc-low-dirty.yaml";
  const std::string one = migsim::test::temp_dir("jobs-one"),
                    many = migsim::test::temp_dir("jobs-many");
  const auto a = run_cli("run --quiet --jobs 1 --out " + one + " " + low);
  REQUIRE(a.exit_code == 0);
  const auto b = migsim::test::run_cli_in_shell(
      "export MALLOC_ARENA_MAX=1; ulimit -v 40000; " + std::string(MIGSIM_EXE) +
      " run --quiet --jobs 200 --out " + many + " " + low);
  CHECK(b.exit_code == 0);
  CHECK_THAT(b.output, !Catch::Contains("terminate"));
  CHECK(migsim::test::read_file(one + "/results.jsonl") ==
        migsim::test::read_file(many + "/results.jsonl"));
}

TEST_CASE("a bad --out is bad input found before any run", "[cli][out]") {
  const std::string dir = migsim::test::temp_dir("bad-out");
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/a-file") << "x";
  auto r = run_cli("run --quiet --out " + dir + "/a-file " + kSuite);
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.output, Catch::Contains("exists and is not a directory"));

  r = run_cli("run --quiet --out '' " + kSuite);
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.output, Catch::Contains("--out is empty"));

  r = run_cli("run --quiet --out /proc/migsim-cannot-be-here " + kSuite);
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.output, Catch::Contains("cannot create the directory"));

  // results.jsonl being a directory was found only after every run had finished.
  std::filesystem::create_directories(dir + "/out/results.jsonl");
  r = run_cli("run --quiet --out " + dir + "/out " + kSuite);
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.output, Catch::Contains("results.jsonl exists there and is not a regular file"));
  CHECK_FALSE(std::filesystem::exists(dir + "/out/results.csv"));
}

TEST_CASE("the same scenario file given twice is an error", "[cli]") {
  for (const char* command : {"validate", "run --quiet --out /tmp/migsim-twice"}) {
    INFO(command);
    const auto r = run_cli(std::string(command) + " " + kSuite + " " + MIGSIM_SOURCE_DIR +
                           "/scenarios/../scenarios/default-suite/tsmc-low-dirty.yaml");
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.output, Catch::Contains("is given twice"));
  }
}
