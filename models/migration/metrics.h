// The metrics a run reports, declared once: name (stable, units in the name), unit, what it
// means, and which algorithms report it. The JSON record and `migsim list metrics` walk this
// declaration (the CSV, summary table and figures are to follow, issue 6 part 5).
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

struct MetricDecl {
  std::string_view name;
  std::string_view unit;   // "s", "bytes", "pages", "count", "ratio", "Mbit/s", "text"
  std::string_view label;  // short axis/column label
  std::string_view help;
  // Algorithms that report it; empty: every algorithm.
  std::vector<std::string_view> algorithms;
  Metric::Value (*get)(const MetricInputs&);
  bool applies_to(std::string_view algorithm) const;
};

// Every metric, in record order.
const std::vector<MetricDecl>& metric_decls();

// The metrics `algorithm` reports, in declaration order.
std::vector<Metric> measure(std::string_view algorithm, const MetricInputs& in);

}  // namespace migsim::migration
