#include "scenarios/batch.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <map>
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

RunPlan::RunPlan(const std::vector<ScenarioPoint>& points) : points_(&points) {
  std::size_t total = 0;
  for (const auto& p : points) {
    total += static_cast<std::size_t>(p.replications);
    ends_.push_back(total);
  }
}

RunTask RunPlan::at(std::size_t i) const {
  const auto k =
      static_cast<std::size_t>(std::upper_bound(ends_.begin(), ends_.end(), i) - ends_.begin());
  const std::size_t first = k == 0 ? 0 : ends_[k - 1];
  return {&(*points_)[k], static_cast<std::int64_t>(i - first)};
}

void run_ordered(std::size_t count, const std::function<RunTask(std::size_t)>& task, unsigned jobs,
                 const std::function<void(std::size_t, RunOutput&&)>& emit,
                 const std::function<void(std::size_t, std::size_t)>& progress) {
  const std::size_t window = std::max<std::size_t>(16, 4 * static_cast<std::size_t>(jobs));
  std::mutex m;
  std::condition_variable cv;
  std::size_t next = 0, emitted = 0, done = 0;
  std::map<std::size_t, RunOutput> ready;
  std::size_t failed_at = count;  // the first failing task
  std::exception_ptr failure;
  // Out of memory with other threads running: this thread stops and leaves its run to the
  // others (fewer runs at once need less memory); only the last thread's failure counts.
  std::vector<std::size_t> retry;
  retry.reserve(1024);  // one per thread at most: never allocates when memory has run out
  unsigned active = 1;  // threads in the loop, this one included
  const auto worker = [&] {
    for (;;) {
      std::size_t i = 0;
      {
        std::unique_lock lock(m);
        cv.wait(lock, [&] {
          return !retry.empty() || next >= count || next >= failed_at || next < emitted + window;
        });
        if (!retry.empty()) {
          i = retry.back();
          retry.pop_back();
        } else {
          if (next >= count || next >= failed_at) return;
          i = next++;
        }
      }
      RunOutput out;
      std::exception_ptr error;
      bool out_of_memory = false;
      try {
        const RunTask t = task(i);
        const PointResult result = simulate_point(*t.point, t.replicate);
        append_point_lines(*t.point, t.replicate, result, out.lines);
        out.heads = point_heads(*t.point, t.replicate, result);
      } catch (const std::bad_alloc&) {
        error = std::current_exception();
        out_of_memory = true;
      } catch (...) {
        error = std::current_exception();
      }
      std::unique_lock lock(m);
      if (out_of_memory && active > 1) {
        --active;
        retry.push_back(i);
        cv.notify_all();
        return;
      }
      ++done;
      if (error) {
        if (i < failed_at) {
          failed_at = i;
          failure = error;
        }
      } else {
        ready.emplace(i, std::move(out));
      }
      // Emit what is now in order (under the lock: one emit at a time, in task order).
      for (auto it = ready.begin();
           it != ready.end() && it->first == emitted && emitted < failed_at; it = ready.erase(it)) {
        emit(emitted, std::move(it->second));
        ++emitted;
      }
      if (progress) progress(done, count);
      cv.notify_all();
    }
  };
  const unsigned n = std::max(
      1U, std::min<unsigned>(jobs, static_cast<unsigned>(std::min<std::size_t>(count, 1024))));
  std::vector<std::thread> threads;
  for (unsigned t = 1; t < n; ++t) {
    // When the system refuses a thread, the threads already started (and this one) do the work.
    {
      std::lock_guard lock(m);
      ++active;
    }
    try {
      threads.emplace_back(worker);
    } catch (const std::exception&) {  // std::system_error, or std::bad_alloc for its state
      std::lock_guard lock(m);
      --active;
      break;
    }
  }
  worker();
  for (auto& t : threads) t.join();
  if (failure) {
    const RunTask t = task(failed_at);
    try {
      std::rethrow_exception(failure);
    } catch (const std::exception& e) {
      throw std::runtime_error(t.point->file + " point " + std::to_string(t.point->index) +
                               " replicate " + std::to_string(t.replicate) + ": " + e.what());
    }
  }
}

std::vector<RunOutput> run_all(const std::vector<RunTask>& tasks, unsigned jobs,
                               const std::function<void(std::size_t, std::size_t)>& progress) {
  std::vector<RunOutput> results(tasks.size());
  run_ordered(
      tasks.size(), [&](std::size_t i) { return tasks[i]; }, jobs,
      [&](std::size_t i, RunOutput&& out) { results[i] = std::move(out); }, progress);
  return results;
}

}  // namespace migsim::scenarios
