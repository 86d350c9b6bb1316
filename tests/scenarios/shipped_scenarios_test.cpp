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
      const scenarios::ScenarioPoint& point = *tasks[i].point;
      std::vector<std::string> lines;
      for (std::size_t at = 0, nl; (nl = o.lines.find('\n', at)) != std::string::npos; at = nl + 1)
        lines.push_back(o.lines.substr(at, nl - at));
      // One record per VM and the batch record, or the single record.
      REQUIRE(lines.size() == (point.is_batch() ? point.vms.size() + 1 : 1));
      REQUIRE(o.heads.size() == lines.size());
      for (std::size_t k = 0; k < lines.size(); ++k) {
        // The line written without a JSON tree reads back as the full record, and its head is
        // that record without the bulky parts.
        const auto record = scenarios::Json::parse(lines[k]);
        CHECK(record.dump() == lines[k]);
        const bool batch = record.value("record", "") == "batch";
        CHECK(batch == (point.is_batch() && k + 1 == lines.size()));
        const scenarios::ScenarioPoint& run =
            record.contains("vm_index") ? point.vms.at(record["vm_index"].get<std::size_t>())
                                        : point;
        CHECK(record["scenario"] == run.resolved());
        if (!batch) {
          CHECK(record["metrics"]["stale_pages"] == 0);
          CHECK(record["rounds"].size() == record["metrics"]["rounds"].get<std::size_t>());
        }
        auto head = record;
        for (const char* bulky : {"scenario", "rounds", "workload", "links"}) head.erase(bulky);
        CHECK(head == o.heads[k]);
      }
    }
  }
}
