#include "cli/mpi_run.h"

#include <map>
#include <stdexcept>
#include <vector>

#include "cli/commands.h"
#include "scenarios/run.h"

#ifdef MIGSIM_HAVE_MPI
#include <mpi.h>
#endif

namespace migsim::cli {

#ifndef MIGSIM_HAVE_MPI

bool mpi_built() {
  return false;
}
MpiSession::MpiSession() {
  throw UsageError(
      "--mpi: this migsim was built without MPI; install Debian's libopenmpi-dev and "
      "openmpi-bin (scripts/setup.sh does) and rebuild");
}
MpiSession::~MpiSession() = default;
void MpiSession::release_workers() {}
int MpiSession::serve(const scenarios::RunPlan&) {
  return 0;
}
void MpiSession::run_ordered(std::size_t, const std::function<std::size_t(std::size_t)>&,
                             const scenarios::RunPlan&,
                             const std::function<void(std::size_t, std::string&&)>&,
                             const std::function<void(std::size_t, std::size_t)>&) {}

#else

namespace {

enum Tag : int { kReady = 1, kTask = 2, kStop = 3, kResult = 4 };

// A result: the run's position (8 bytes), 1 = ok / 0 = failed, then its lines or the error.
std::vector<char> pack(std::uint64_t i, bool ok, const std::string& text) {
  std::vector<char> b(9 + text.size());
  for (int k = 0; k < 8; ++k) b[static_cast<std::size_t>(k)] = static_cast<char>(i >> (8 * k));
  b[8] = ok ? 1 : 0;
  std::copy(text.begin(), text.end(), b.begin() + 9);
  return b;
}

}  // namespace

bool mpi_built() {
  return true;
}

MpiSession::MpiSession() {
  int provided = 0;
  MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SINGLE, &provided);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
}

MpiSession::~MpiSession() {
  if (rank_ == 0) release_workers();
  MPI_Finalize();
}

void MpiSession::release_workers() {
  if (released_ || rank_ != 0) return;
  released_ = true;
  for (int w = 1; w < size_; ++w) MPI_Send(nullptr, 0, MPI_BYTE, w, kStop, MPI_COMM_WORLD);
}

int MpiSession::serve(const scenarios::RunPlan& plan) {
  MPI_Send(nullptr, 0, MPI_BYTE, 0, kReady, MPI_COMM_WORLD);
  for (;;) {
    MPI_Status st;
    std::uint64_t plan_index = 0, position = 0;
    std::uint64_t msg[2];
    MPI_Recv(msg, 2, MPI_UINT64_T, 0, MPI_ANY_TAG, MPI_COMM_WORLD, &st);
    if (st.MPI_TAG == kStop) return 0;
    position = msg[0];
    plan_index = msg[1];
    std::vector<char> reply;
    try {
      const scenarios::RunTask t = plan.at(static_cast<std::size_t>(plan_index));
      std::string lines;
      scenarios::append_point_lines(*t.point, t.replicate,
                                    scenarios::simulate_point(*t.point, t.replicate), lines);
      reply = pack(position, true, lines);
    } catch (const std::exception& e) {
      reply = pack(position, false, e.what());
    }
    MPI_Send(reply.data(), static_cast<int>(reply.size()), MPI_CHAR, 0, kResult, MPI_COMM_WORLD);
  }
}

void MpiSession::run_ordered(std::size_t count,
                             const std::function<std::size_t(std::size_t)>& task_index,
                             const scenarios::RunPlan& plan,
                             const std::function<void(std::size_t, std::string&&)>& emit,
                             const std::function<void(std::size_t, std::size_t)>& progress) {
  if (size_ < 2)
    throw UsageError("--mpi needs at least 2 ranks (rank 0 coordinates): mpirun -n K, K >= 2");
  const std::size_t window = 16 + 4 * static_cast<std::size_t>(size_);
  std::size_t next = 0, emitted = 0, done = 0, failed_at = count;
  std::string failure;
  std::map<std::size_t, std::string> ready;
  std::vector<int> idle;
  int busy = 0;
  const auto dispatch = [&] {
    while (!idle.empty() && next < count && next < failed_at && next < emitted + window) {
      const std::uint64_t msg[2] = {next, task_index(next)};
      MPI_Send(msg, 2, MPI_UINT64_T, idle.back(), kTask, MPI_COMM_WORLD);
      idle.pop_back();
      ++busy;
      ++next;
    }
  };
  int ready_workers = 0;
  for (;;) {
    dispatch();
    // Done when every worker has reported in and nothing is out or left to hand out.
    if (busy == 0 && ready_workers == size_ - 1 && (next >= count || next >= failed_at)) break;
    MPI_Status st;
    MPI_Probe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &st);
    int bytes = 0;
    MPI_Get_count(&st, MPI_CHAR, &bytes);
    std::vector<char> buf(static_cast<std::size_t>(bytes));
    MPI_Recv(buf.data(), bytes, MPI_CHAR, st.MPI_SOURCE, st.MPI_TAG, MPI_COMM_WORLD,
             MPI_STATUS_IGNORE);
    if (st.MPI_TAG == kReady) {
      ++ready_workers;
      idle.push_back(st.MPI_SOURCE);
      continue;
    }
    --busy;
    idle.push_back(st.MPI_SOURCE);
    std::uint64_t i = 0;
    for (int k = 0; k < 8; ++k)
      i |= static_cast<std::uint64_t>(static_cast<unsigned char>(buf[static_cast<std::size_t>(k)]))
           << (8 * k);
    std::string text(buf.begin() + 9, buf.end());
    ++done;
    if (buf[8] == 0) {
      if (i < failed_at) {
        failed_at = i;
        failure = std::move(text);
      }
    } else {
      ready.emplace(i, std::move(text));
    }
    for (auto it = ready.begin(); it != ready.end() && it->first == emitted && emitted < failed_at;
         it = ready.erase(it)) {
      emit(emitted, std::move(it->second));
      ++emitted;
    }
    if (progress) progress(done, count);
  }
  release_workers();
  if (failed_at < count) {
    const scenarios::RunTask t = plan.at(task_index(failed_at));
    throw std::runtime_error(t.point->file + " point " + std::to_string(t.point->index) +
                             " replicate " + std::to_string(t.replicate) + ": " + failure);
  }
}

#endif

}  // namespace migsim::cli
