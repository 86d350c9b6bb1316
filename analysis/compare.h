// Regression comparison of two sets of run records (migsim compare): records are matched by
// scenario, sweep point, replicate and record (VM or batch), each metric is checked against a
// declared tolerance, and what drifted is listed. Or, by point, the means over replicates are
// compared, allowing for their confidence intervals.
#pragma once

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "analysis/summary.h"

namespace migsim::analysis {

// How far a metric may move: |current - baseline| <= absolute + relative * |baseline|. Text
// metrics (stop_reason) must match exactly; an ignored metric is not compared.
struct Tolerance {
  double relative = 0.0;
  double absolute = 0.0;
  bool ignore = false;
};

struct Tolerances {
  // Exact up to the last printed digit, by default; sim_events counts the simulator's own
  // work, not what the migration did, and is ignored.
  Tolerance fallback{1e-9, 0.0, false};
  std::map<std::string, Tolerance, std::less<>> per_metric{{"sim_events", {0.0, 0.0, true}}};
  const Tolerance& of(const std::string& metric) const;
};

// Reads a tolerance file (YAML or JSON):
//   default: {relative: 0.01, absolute: 0}
//   metrics: {downtime_s: {relative: 0.05, absolute: 0.001}, sim_events: {ignore: true}}
// Unknown keys, metric names that no declaration has, and negative values are errors naming the
// file, line and key (scenarios::ScenarioError).
Tolerances load_tolerances(const std::string& path);

// A results file or directory that cannot be compared (missing, malformed, mismatched): exit 2.
class CompareInputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The records of results.jsonl (or DIR/results.jsonl). A torn last line (no newline, not JSON)
// is an error too: a baseline must be whole.
std::vector<Json> read_records(const std::string& path);

struct Drift {
  std::string where;  // "tsmc-high-dirty point 3 (vm.memory=1GiB ...) replicate 2"
  std::string metric;
  std::string baseline;
  std::string current;
  std::string change;  // "+12.5% (+0.004)"
  std::string allowed;
};

struct Comparison {
  std::size_t records = 0;  // matched records (or points, by mean)
  std::size_t values = 0;   // metric values compared
  std::vector<Drift> drifts;
  std::vector<std::string> notes;  // metrics only the current records have, and the like
};

enum class CompareMode { kReplicate, kMean };

// Throws CompareInputError when the two sets do not describe the same runs: a record on one
// side only, or the same point resolved to different scenarios.
Comparison compare(const std::vector<Json>& baseline, const std::vector<Json>& current,
                   const Tolerances& tolerances, CompareMode mode);

std::string format_comparison(const Comparison& c);

}  // namespace migsim::analysis
