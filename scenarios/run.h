// Runs one scenario point for one replicate and returns its self-describing record.
#pragma once

#include <cstdint>

#include "scenarios/scenario.h"

namespace migsim::scenarios {

// The record written as one line of results.jsonl: version, file, point, seed, replicate, the
// resolved scenario, metrics (units in their names), workload facts and one entry per round.
// Throws std::logic_error if the migration left the destination stale.
Json run_point(const ScenarioPoint& point, std::int64_t replicate);

extern const char* const kVersion;

}  // namespace migsim::scenarios
