// Reading run records: mean and 95% confidence interval per sweep point, the summary table,
// and the flat CSV form of results.jsonl.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <tuple>
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
// The same, one record at a time: memory follows the points, not the records (a streamed sweep
// of 10^9 runs). Means and variances by Welford's update.
class Summarizer {
 public:
  void add(const Json& record);
  std::vector<PointSummary> result() const;

 private:
  struct Moments {
    std::size_t n = 0;
    double mean = 0.0, m2 = 0.0;
  };
  struct Group {
    PointSummary summary;
    std::vector<Moments> moments;  // per table metric
  };
  std::vector<std::string> columns_;
  std::vector<Group> groups_;
  std::map<std::tuple<std::string, std::size_t, std::string>, std::size_t> index_;
};
std::string format_table(const std::vector<PointSummary>& rows);
// results.csv: one row per record, point keys and then metrics as columns, metrics in
// declaration order.
std::string to_csv(const std::vector<Json>& records);
// The same in two passes over records that need not be in memory: add() every record, then
// header() and row() for each again.
class CsvColumns {
 public:
  void add(const Json& record);
  std::string header();
  std::string row(const Json& record) const;

 private:
  std::vector<std::string> point_keys_, metric_keys_;
  bool vms_ = false;
};
// The metric declaration (name, unit, label, help, reported_by, show), as manifest.json carries
// it for the figure script.
Json metrics_json();

}  // namespace migsim::analysis
