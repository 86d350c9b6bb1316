// Runs many (point, replicate) pairs on a pool of threads. Each run is an independent
// Simulation, and results come back in input order, so output does not depend on --jobs.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "scenarios/scenario.h"

namespace migsim::scenarios {

struct RunTask {
  const ScenarioPoint* point;
  std::int64_t replicate;
};

// Every replicate of every point, points in order, replicates inside.
std::vector<RunTask> plan_runs(const std::vector<ScenarioPoint>& points);

// A finished run: its results.jsonl lines (one, or one per VM and a batch record; each ends
// in a newline), and the records without their bulky parts (resolved scenario, rounds, workload
// facts) for summaries and CSV. Memory stays near the output size.
struct RunOutput {
  std::string lines;
  std::vector<Json> heads;
};

// Runs the tasks with `jobs` threads. `progress(done, total)` is called from worker threads
// (serialised) after each run. Rethrows the first failure (in task order) after all threads end.
std::vector<RunOutput> run_all(const std::vector<RunTask>& tasks, unsigned jobs,
                               const std::function<void(std::size_t, std::size_t)>& progress = {});

}  // namespace migsim::scenarios
