// Runs one scenario point for one replicate and describes it as self-describing records.
//
// The record (one line of results.jsonl): version, file, point, seed, replicate, the resolved
// scenario, metrics (units in their names), workload facts and one entry per round. It has two
// forms with the same content: written straight to text (what `migsim run` does, no JSON tree
// per run) and built as a JSON tree (tests, analysis). `record_json(...).dump()` equals
// `append_record_line(...)`'s text byte for byte (tested over shipped and random scenarios).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "models/migration/metrics.h"
#include "models/migration/report.h"
#include "scenarios/scenario.h"
#include "workloads/trace_file.h"

namespace migsim::scenarios {

using migration::Metric;

// What one run measured, before it is written anywhere.
struct RunResult {
  migration::MigrationReport report;
  std::vector<Metric> metrics;                        // in record order
  std::vector<std::pair<std::string, double>> facts;  // the workload's own numbers
};

// What one simulation of a point measured: one RunResult per VM (one for a single migration)
// and, for a scenario with several VMs, the batch's own metrics and the bytes each link carried.
struct PointResult {
  struct LinkUse {
    std::string name;  // "a>b": the direction from a to b
    std::int64_t bytes = 0;
  };
  std::vector<RunResult> vms;
  std::vector<Metric> batch_metrics;  // empty for a single migration
  std::vector<LinkUse> links;
};

// Simulates the point (every VM of it, under its schedule) for one replicate. Throws
// std::logic_error if a migration left its destination stale.
PointResult simulate_point(const ScenarioPoint& point, std::int64_t replicate);
// The same for a single-migration point.
RunResult simulate(const ScenarioPoint& point, std::int64_t replicate);

// Appends the record's JSON text (no newline) to `out` (a single-migration point).
void append_record_line(const ScenarioPoint& point, std::int64_t replicate, const RunResult& result,
                        std::string& out);
// The record as a JSON tree.
Json record_json(const ScenarioPoint& point, std::int64_t replicate, const RunResult& result);
// The record without its bulky parts (resolved scenario, workload facts, rounds): what
// summaries and the CSV read.
Json record_head(const ScenarioPoint& point, std::int64_t replicate, const RunResult& result);

// Every record of a simulated point, each line ending in a newline: the single record, or one
// per VM ("record": "vm", with vm_index) and then the batch record ("record": "batch").
void append_point_lines(const ScenarioPoint& point, std::int64_t replicate,
                        const PointResult& result, std::string& out);
std::vector<Json> point_records(const ScenarioPoint& point, std::int64_t replicate,
                                const PointResult& result);
std::vector<Json> point_heads(const ScenarioPoint& point, std::int64_t replicate,
                              const PointResult& result);

// simulate + record_json (a single-migration point).
Json run_point(const ScenarioPoint& point, std::int64_t replicate);

// Runs the point's workload (and background) alone at the source for `frames` intervals and
// records the pages it writes in each: `migsim trace synth`, and the reference a replay of the
// trace is tested against. Single-migration points only.
std::shared_ptr<const workloads::Trace> synthesize_trace(const ScenarioPoint& point,
                                                         std::int64_t replicate,
                                                         sim::Duration interval,
                                                         std::uint64_t frames);

extern const char* const kVersion;

}  // namespace migsim::scenarios
