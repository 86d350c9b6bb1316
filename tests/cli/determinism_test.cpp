// Same scenario and seed give byte-identical results, whatever the thread count.
#include <catch2/catch.hpp>
#include <filesystem>

#include "tests/support.h"

namespace {
std::string run_into(const std::string& name, const std::string& args) {
  const std::filesystem::path dir = migsim::test::temp_dir("det-" + name);
  const auto r = migsim::test::run_cli("run " + args + " --quiet --out " + dir.string());
  REQUIRE(r.exit_code == 0);
  return migsim::test::read_file((dir / "results.jsonl").string()) + "\n--csv--\n" +
         migsim::test::read_file((dir / "results.csv").string());
}
}  // namespace

TEST_CASE("the same scenario twice gives byte-identical results, and --jobs 1 equals --jobs 2",
          "[cli][determinism]") {
  const std::string suite =
      std::string(MIGSIM_SOURCE_DIR) + "/scenarios/default-suite/tsmc-low-dirty.yaml";
  const std::string qemu =
      std::string(MIGSIM_SOURCE_DIR) + "/scenarios/examples/hotcold-hypervisors.yaml";
  const std::string a = run_into("a", suite + " " + qemu + " --jobs 1");
  const std::string b = run_into("b", suite + " " + qemu + " --jobs 1");
  const std::string c = run_into("c", suite + " " + qemu + " --jobs 2");
  REQUIRE(a.size() > 10000);
  CHECK(a == b);
  CHECK(a == c);
}
