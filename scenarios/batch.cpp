#include "scenarios/batch.h"

#include <atomic>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <system_error>
#include <thread>

#include "scenarios/run.h"

namespace migsim::scenarios {

std::vector<RunTask> plan_runs(const std::vector<ScenarioPoint>& points) {
  std::vector<RunTask> tasks;
  for (const auto& p : points)
    for (std::int64_t r = 0; r < p.replications; ++r) tasks.push_back({&p, r});
  return tasks;
}

std::vector<RunOutput> run_all(const std::vector<RunTask>& tasks, unsigned jobs,
                               const std::function<void(std::size_t, std::size_t)>& progress) {
  std::vector<RunOutput> results(tasks.size());
  std::vector<std::exception_ptr> errors(tasks.size());
  std::atomic<std::size_t> next{0};
  std::size_t done = 0;
  std::mutex progress_mutex;
  const auto worker = [&] {
    for (std::size_t i = next++; i < tasks.size(); i = next++) {
      try {
        const PointResult result = simulate_point(*tasks[i].point, tasks[i].replicate);
        append_point_lines(*tasks[i].point, tasks[i].replicate, result, results[i].lines);
        results[i].heads = point_heads(*tasks[i].point, tasks[i].replicate, result);
      } catch (...) {
        errors[i] = std::current_exception();
      }
      if (progress) {
        std::lock_guard lock(progress_mutex);
        progress(++done, tasks.size());
      }
    }
  };
  const unsigned n = std::max(1U, std::min<unsigned>(jobs, static_cast<unsigned>(tasks.size())));
  std::vector<std::thread> threads;
  for (unsigned t = 1; t < n; ++t) {
    // When the system refuses a thread, the threads already started (and this one) do the work.
    try {
      threads.emplace_back(worker);
    } catch (const std::exception&) {  // std::system_error, or std::bad_alloc for its state
      break;
    }
  }
  worker();
  for (auto& t : threads) t.join();
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    if (!errors[i]) continue;
    try {
      std::rethrow_exception(errors[i]);
    } catch (const std::exception& e) {
      throw std::runtime_error(tasks[i].point->file + " point " +
                               std::to_string(tasks[i].point->index) + " replicate " +
                               std::to_string(tasks[i].replicate) + ": " + e.what());
    }
  }
  return results;
}

}  // namespace migsim::scenarios
