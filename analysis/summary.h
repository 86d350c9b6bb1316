// Reading run records: mean and 95% confidence interval per sweep point, the summary table,
// and the flat CSV form of results.jsonl.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace migsim::analysis {

using Json = nlohmann::ordered_json;

struct Estimate {
  double mean = 0.0;
  double half_width = 0.0;  // 95% CI half-width (Student t); 0 with one sample
  std::size_t n = 0;
};

// What a record describes: "run" (a single migration), "vm" (one VM of several) or "batch".
std::string record_kind(const Json& record);

// Mean and 95% confidence interval of `values`.
Estimate estimate(const std::vector<double>& values);

struct PointSummary {
  std::string scenario;  // name, or file when unnamed
  std::size_t point_index = 0;
  std::string point;  // "vm.memory=128MiB migration.algorithm=pre_copy"
  // In a scenario with several VMs: "3" or "3 web" for one VM's records, "batch" for the batch
  // records; empty otherwise.
  std::string vm;
  // The summary-table metrics (MetricShow::table) the point's records report, by name.
  std::vector<std::pair<std::string, Estimate>> metrics;
  const Estimate* find(std::string_view name) const;
};

// One summary per (scenario file, point, VM or batch), in order of first appearance. The
// table's columns are the declared table metrics (run metrics, then batch metrics), in
// declaration order.
std::vector<PointSummary> summarize(const std::vector<Json>& records);
std::string format_table(const std::vector<PointSummary>& rows);
// results.csv: one row per record, point keys and then metrics as columns, metrics in
// declaration order.
std::string to_csv(const std::vector<Json>& records);
// The metric declaration (name, unit, label, help, reported_by, show), as manifest.json carries
// it for the figure script.
Json metrics_json();

}  // namespace migsim::analysis
