// `migsim run --mpi` under mpirun (Debian's OpenMPI; optional at build time): rank 0 plans the
// sweep, hands out runs one at a time to whichever rank asks (dynamic: heavy and light runs
// balance themselves), and writes every output itself, in run order, as one process would; the
// other ranks only simulate. Each rank loads the scenario files itself (deterministic), so a run
// travels as its index and comes back as its results.jsonl lines.
#pragma once

#include <cstddef>
#include <functional>
#include <string>

#include "scenarios/batch.h"

namespace migsim::cli {

// True when this migsim was built with MPI.
bool mpi_built();

// MPI_Init on construction, MPI_Finalize on destruction.
class MpiSession {
 public:
  MpiSession();
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;
  int rank() const { return rank_; }
  int size() const { return size_; }
  // Rank 0: tells every worker there is nothing to do (on an error before or after the runs).
  void release_workers();
  // Ranks > 0: simulates what rank 0 sends until it says stop; returns the exit code.
  int serve(const scenarios::RunPlan& plan);
  // Rank 0: like scenarios::run_ordered, over the worker ranks. `task_index(i)` is the plan
  // index of the i-th run to do.
  void run_ordered(std::size_t count, const std::function<std::size_t(std::size_t)>& task_index,
                   const scenarios::RunPlan& plan,
                   const std::function<void(std::size_t, std::string&&)>& emit,
                   const std::function<void(std::size_t, std::size_t)>& progress);

 private:
  int rank_ = 0, size_ = 1;
  bool released_ = false;
};

}  // namespace migsim::cli
