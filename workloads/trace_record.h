// Recording a running Linux process's memory writes as a trace (`migsim record`), the way CRIU's
// iterative dumps find what changed:
//   soft-dirty  write "4" to /proc/PID/clear_refs, let the process run an interval, read bit 55
//               of each page's /proc/PID/pagemap entry (the kernel sets it on the first write
//               after the clear); needs CONFIG_MEM_SOFT_DIRTY;
//   content     hash every present page (/proc/PID/mem) each interval and compare with the last
//               hashes: works on any kernel that lets us read the process, misses writes that
//               store what was already there.
// The process's address space becomes guest memory the way a guest kernel hands out frames: a
// virtual page gets the lowest free guest page when it is first seen written, and gives it back
// when its mapping goes away (or its process exits). With `children`, every descendant process
// shares the guest (a build's compilers, a server's workers).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "workloads/trace_file.h"

namespace migsim::workloads {

enum class RecordMethod { kSoftDirty, kContent };

struct RecordOptions {
  pid_t pid = 0;
  RecordMethod method = RecordMethod::kSoftDirty;
  bool children = false;
  std::uint64_t memory_pages = 0;  // guest size; 0 = the pages used, rounded up to 1 MiB
};

// The recorder could not start or go on: no such process, no permission, no soft-dirty.
class RecordError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// True when this kernel sets soft-dirty bits (tested on this process: a page written after
// clear_refs 4 must show bit 55); `why` says what failed otherwise.
bool soft_dirty_supported(std::string& why);

class Recorder {
 public:
  // Checks the process and the method; throws RecordError with the reason.
  explicit Recorder(RecordOptions options);
  ~Recorder();
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  // Takes one sample: the guest pages written since the last one (or, the first time, every
  // page present). Returns false when every recorded process has exited.
  bool sample(std::vector<PageRun>& written);
  // The guest page a process's virtual address has, if it has one.
  std::optional<std::uint64_t> guest_page(pid_t pid, std::uint64_t address) const;
  // Guest pages ever used (the high-water mark of the allocator).
  std::uint64_t pages_used() const { return next_free_; }

 private:
  struct Process;
  std::vector<pid_t> processes() const;
  void sample_process(Process& p, std::vector<std::uint64_t>& written);
  std::uint64_t allocate();

  RecordOptions options_;
  std::map<pid_t, std::unique_ptr<Process>> processes_;
  std::set<std::uint64_t> free_;  // guest pages given back, reused lowest first
  std::uint64_t next_free_ = 0;
  std::uint64_t page_size_;
};

// Records until `duration_ns` (0 = until the process exits or `stop` becomes true) and builds
// the trace. `on_frame(frame, pages written)` is called after each sample.
std::shared_ptr<const Trace> record_trace(Recorder& recorder, std::int64_t interval_ns,
                                          std::int64_t duration_ns, const std::string& source,
                                          std::uint64_t memory_pages,
                                          const volatile bool* stop = nullptr);

}  // namespace migsim::workloads
