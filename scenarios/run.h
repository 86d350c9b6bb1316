// Runs one scenario point for one replicate and describes it as a self-describing record.
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

namespace migsim::scenarios {

using migration::Metric;

// What one run measured, before it is written anywhere.
struct RunResult {
  migration::MigrationReport report;
  std::vector<Metric> metrics;                        // in record order
  std::vector<std::pair<std::string, double>> facts;  // the workload's own numbers
};

// Builds the point's network (its topology, or the one link) and opens the migration's channel
// from its source to its destination.
std::unique_ptr<net::Channel> connect(const ScenarioPoint& point, net::Network& network);

// Simulates the point's migration for one replicate. Throws std::logic_error if the migration
// left the destination stale.
RunResult simulate(const ScenarioPoint& point, std::int64_t replicate);

// Appends the record's JSON text (no newline) to `out`.
void append_record_line(const ScenarioPoint& point, std::int64_t replicate, const RunResult& result,
                        std::string& out);
// The record as a JSON tree.
Json record_json(const ScenarioPoint& point, std::int64_t replicate, const RunResult& result);
// The record without its bulky parts (resolved scenario, workload facts, rounds): what
// summaries and the CSV read.
Json record_head(const ScenarioPoint& point, std::int64_t replicate, const RunResult& result);

// simulate + record_json.
Json run_point(const ScenarioPoint& point, std::int64_t replicate);

extern const char* const kVersion;

}  // namespace migsim::scenarios
