// The summary table and the CSV walk the metric declaration: columns come from it, in its order,
// whatever order or subset the records carry.
#include <catch2/catch.hpp>
#include <string>

#include "analysis/summary.h"
#include "models/migration/metrics.h"

using migsim::analysis::Json;

namespace {

Json record(std::size_t point, int replicate, Json metrics) {
  return Json{{"scenario_file", "s.yaml"},
              {"scenario_name", "s"},
              {"point_index", point},
              {"point", Json{{"migration.algorithm", point == 0 ? "pre_copy" : "post_copy"}}},
              {"replicate", replicate},
              {"seed", 1},
              {"metrics", std::move(metrics)}};
}

}  // namespace

TEST_CASE("the summary table has a column per reported table metric, '-' where not reported",
          "[analysis]") {
  std::vector<Json> records{
      record(0, 0,
             {{"downtime_s", 0.1}, {"total_time_s", 2.0}, {"bytes_total", 1048576}, {"rounds", 3}}),
      record(0, 1,
             {{"downtime_s", 0.3}, {"total_time_s", 4.0}, {"bytes_total", 3145728}, {"rounds", 5}}),
      record(1, 0,
             {{"total_time_s", 1.0},
              {"downtime_s", 0.03},
              {"bytes_total", 1048576},
              {"rounds", 1},
              {"guest_stall_s", 0.5}}),
  };
  const auto rows = migsim::analysis::summarize(records);
  REQUIRE(rows.size() == 2);
  REQUIRE(rows[0].find("total_time_s") != nullptr);
  CHECK(rows[0].find("total_time_s")->mean == Approx(3.0));
  CHECK(rows[0].find("total_time_s")->n == 2);
  CHECK(rows[0].find("guest_stall_s") == nullptr);
  REQUIRE(rows[1].find("guest_stall_s") != nullptr);
  const std::string table = migsim::analysis::format_table(rows);
  // Headers: the declared labels with their display units, in declaration order.
  std::size_t last = 0;
  const std::string header = table.substr(0, table.find('\n'));
  for (const auto& d : migsim::migration::metric_decls()) {
    if (!d.show.table) continue;
    INFO(d.name);
    const bool reported = rows[0].find(d.name) != nullptr || rows[1].find(d.name) != nullptr;
    const std::size_t at = header.find(std::string(d.label));
    if (!reported) {  // a column nobody reports (bytes_storage here) is left out
      CHECK(at == std::string::npos);
      continue;
    }
    REQUIRE(at != std::string::npos);
    CHECK(at > last);
    last = at;
  }
  // Downtime in ms, bytes in MiB: 200.0 ms and 2.0 MiB means for point 0.
  CHECK(table.find("200.0 ±") != std::string::npos);
  CHECK(table.find("2.0 ±") != std::string::npos);
  // pre_copy reports no guest stall: its line ends in "-".
  const std::size_t line = table.find("migration.algorithm=pre_copy");
  CHECK(table.substr(line, table.find('\n', line) - line).back() == '-');
}

TEST_CASE("CSV metric columns follow the declaration, not the records' order", "[analysis]") {
  std::vector<Json> records{record(0, 0, {{"rounds", 3}, {"downtime_s", 0.1}, {"x_custom", 7}}),
                            record(1, 0, {{"total_time_s", 1.0}, {"downtime_s", 0.2}})};
  const std::string csv = migsim::analysis::to_csv(records);
  const std::string header = csv.substr(0, csv.find('\n'));
  CHECK(header ==
        "scenario_file,scenario_name,point_index,migration.algorithm,replicate,seed,"
        "total_time_s,downtime_s,rounds,x_custom");
  // Row 1 lacks rounds and x_custom: empty cells, not shifted ones.
  CHECK(csv.find("s.yaml,s,1,post_copy,0,1,1.0,0.2,,\n") != std::string::npos);
}
