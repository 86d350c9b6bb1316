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

// The same order without a vector of tasks (a sweep may ask for 10^9 runs): run i by binary
// search over the points' cumulative replications.
class RunPlan {
 public:
  explicit RunPlan(const std::vector<ScenarioPoint>& points);
  std::size_t size() const { return ends_.empty() ? 0 : ends_.back(); }
  RunTask at(std::size_t i) const;

 private:
  const std::vector<ScenarioPoint>* points_;
  std::vector<std::size_t> ends_;  // runs up to and including point k
};

// A finished run: its results.jsonl lines (one, or one per VM and a batch record; each ends
// in a newline), and the records without their bulky parts (resolved scenario, rounds, workload
// facts) for summaries and CSV. Memory stays near the output size.
struct RunOutput {
  std::string lines;
  std::vector<Json> heads;
};

// Runs tasks 0 .. count-1 (`task(i)` names each) with `jobs` threads and hands each output to
// `emit(i, output)` in task order, one call at a time, as soon as every earlier task has been
// emitted: memory holds at most a window of 4 x jobs (at least 16) outputs, whatever the count.
// `progress(done, count)` follows each finished run. On a failure, nothing from that task on is
// emitted; the first failure (in task order) is rethrown after the threads end.
void run_ordered(std::size_t count, const std::function<RunTask(std::size_t)>& task, unsigned jobs,
                 const std::function<void(std::size_t, RunOutput&&)>& emit,
                 const std::function<void(std::size_t, std::size_t)>& progress = {});

// Runs the tasks with `jobs` threads. `progress(done, total)` is called from worker threads
// (serialised) after each run. Rethrows the first failure (in task order) after all threads end.
std::vector<RunOutput> run_all(const std::vector<RunTask>& tasks, unsigned jobs,
                               const std::function<void(std::size_t, std::size_t)>& progress = {});

}  // namespace migsim::scenarios
