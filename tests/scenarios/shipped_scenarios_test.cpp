// Every scenario file we ship validates, and the small ones run to a correct end.
#include <catch2/catch.hpp>
#include <filesystem>

#include "scenarios/batch.h"
#include "tests/support.h"

using namespace migsim;

namespace {
std::vector<std::string> shipped() {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(
           std::string(MIGSIM_SOURCE_DIR) + "/scenarios")) {
    const auto ext = e.path().extension();
    if (ext == ".yaml" || ext == ".yml" || ext == ".json") files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}
}  // namespace

TEST_CASE("every shipped scenario validates", "[scenario][shipped]") {
  const auto files = shipped();
  REQUIRE(files.size() >= 5);
  for (const auto& f : files) {
    INFO(f);
    CHECK_NOTHROW(scenarios::load_scenario(f));
  }
}

TEST_CASE("the shipped scenarios with at most 64 runs run with nothing stale",
          "[scenario][shipped]") {
  for (const auto& f : shipped()) {
    const auto points = scenarios::load_scenario(f);
    const auto tasks = scenarios::plan_runs(points);
    if (tasks.size() > 64) continue;
    INFO(f);
    std::vector<scenarios::RunOutput> outputs;
    REQUIRE_NOTHROW(outputs = scenarios::run_all(tasks, 2));
    for (std::size_t i = 0; i < outputs.size(); ++i) {
      const auto& o = outputs[i];
      CHECK(o.head["metrics"]["stale_pages"] == 0);
      // The line written without a JSON tree reads back as the full record, and its head is
      // that record without the bulky parts.
      const auto record = scenarios::Json::parse(o.line);
      CHECK(record.dump() == o.line);
      CHECK(record["scenario"] == tasks[i].point->resolved());
      CHECK(record["rounds"].size() == record["metrics"]["rounds"].get<std::size_t>());
      auto head = record;
      for (const char* bulky : {"scenario", "rounds", "workload"}) head.erase(bulky);
      CHECK(head == o.head);
    }
  }
}
