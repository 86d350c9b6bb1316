// The metrics a run reports, declared once: name (stable, units in the name), unit, what it
// means, and which algorithms report it. The JSON record and `migsim list metrics` walk this
// declaration, and so do the CSV columns, the summary table and (through manifest.json) the
// figures.
#pragma once

#include <cstdint>
#include <string_view>
#include <variant>
#include <vector>

#include "models/migration/report.h"
#include "models/vm/guest_memory.h"

namespace migsim::migration {

// One value of a record's "metrics" object.
struct Metric {
  using Value = std::variant<std::int64_t, std::uint64_t, double, std::string_view, std::nullptr_t>;
  std::string_view name;  // a literal: plain ASCII, needs no escaping
  Value value;
};

// What a finished run offers the metric getters.
struct MetricInputs {
  const MigrationReport& report;
  const vm::GuestMemory& memory;
  std::uint64_t sim_events = 0;
};

// How tables and figures show a metric: value x scale in `unit`, and where it appears.
struct MetricShow {
  std::string_view unit;  // display unit ("ms", "MiB"); empty: the metric's own
  double scale = 1.0;
  int precision = 3;    // digits after the point in the summary table
  bool table = false;   // a column of the summary table
  bool figure = false;  // a panel of the default figures (analysis/plot_results.py)
};

struct MetricDecl {
  std::string_view name;
  std::string_view unit;   // "s", "bytes", "pages", "count", "ratio", "Mbit/s", "text"
  std::string_view label;  // short axis/column label
  std::string_view help;
  // Algorithms that report it; empty: every algorithm.
  std::vector<std::string_view> algorithms;
  Metric::Value (*get)(const MetricInputs&);
  MetricShow show = {};
  bool applies_to(std::string_view algorithm) const;
};

// Every metric, in record order.
const std::vector<MetricDecl>& metric_decls();

// The metrics `algorithm` reports, in declaration order.
std::vector<Metric> measure(std::string_view algorithm, const MetricInputs& in);

// A scenario with several VMs also writes a batch record: what the batch as a whole did.
struct BatchInputs {
  std::vector<const MigrationReport*> reports;  // one per VM, at least one
  Bytes cross_traffic{};
  std::uint64_t sim_events = 0;
};
struct BatchMetricDecl {
  std::string_view name;
  std::string_view unit;
  std::string_view label;
  std::string_view help;
  Metric::Value (*get)(const BatchInputs&);
  MetricShow show = {};
};
// Every batch metric, in record order.
const std::vector<BatchMetricDecl>& batch_metric_decls();
std::vector<Metric> measure_batch(const BatchInputs& in);

}  // namespace migsim::migration
