#include <catch2/catch.hpp>
#include <filesystem>

#include "tests/support.h"

using migsim::test::run_cli;

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
  r = run_cli("run --jobs 0 " + std::string(MIGSIM_SOURCE_DIR) + "/scenarios/default-suite.yaml");
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

TEST_CASE("validate counts points and runs, run writes results, CSV, summary and manifest",
          "[cli]") {
  const std::string suite = std::string(MIGSIM_SOURCE_DIR) + "/scenarios/default-suite.yaml";
  auto r = run_cli("validate " + suite);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("ok (8 points, 40 runs)"));
  const std::filesystem::path dir = migsim::test::temp_dir("cli-run");
  r = run_cli("run " + suite + " --jobs 2 --out " + dir.string());
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("vm.memory=1024MiB migration.algorithm=stop_and_copy") &&
                           Catch::Contains("±"));
  const std::string jsonl = migsim::test::read_file((dir / "results.jsonl").string());
  CHECK(std::count(jsonl.begin(), jsonl.end(), '\n') == 40);
  const std::string csv = migsim::test::read_file((dir / "results.csv").string());
  CHECK(std::count(csv.begin(), csv.end(), '\n') == 41);
  CHECK(std::filesystem::exists(dir / "manifest.json"));
  CHECK(std::filesystem::exists(dir / "summary.txt"));
}
