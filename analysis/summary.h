// Reading run records: mean and 95% confidence interval per sweep point, the summary table,
// and the flat CSV form of results.jsonl.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace migsim::analysis {

using Json = nlohmann::ordered_json;

struct Estimate {
  double mean = 0.0;
  double half_width = 0.0;  // 95% CI half-width (Student t); 0 with one sample
  std::size_t n = 0;
};

// Mean and 95% confidence interval of `values`.
Estimate estimate(const std::vector<double>& values);

struct PointSummary {
  std::string scenario;  // name, or file when unnamed
  std::size_t point_index = 0;
  std::string point;  // "vm.memory=128MiB migration.algorithm=pre_copy"
  Estimate total_time_s, downtime_s, bytes_total, rounds;
};

// One summary per (scenario file, point), in order of first appearance.
std::vector<PointSummary> summarize(const std::vector<Json>& records);
std::string format_table(const std::vector<PointSummary>& rows);
// results.csv: one row per record, point keys and scalar metrics as columns.
std::string to_csv(const std::vector<Json>& records);

}  // namespace migsim::analysis
