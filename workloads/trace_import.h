// Turning other people's memory traces into migsim traces (`migsim import`):
//   csv     one access per line: time,page[,r|w] — time in seconds (or with a unit: 1.5ms),
//           page a guest page number (or, with `addresses`, a byte address), r = read, w = write
//           (the default). An optional header line; `#` starts a comment. Time may not go back.
//   lackey  the text valgrind's lackey tool prints with --trace-mem=yes: "I  addr,size",
//           " L addr,size" (load), " S addr,size" (store), " M addr,size" (modify: load and
//           store). Lackey has no clock: every line takes `access_ns` of guest time. Virtual
//           pages are laid onto guest pages in the order they are first touched, as a guest
//           kernel hands out frames.
// Accesses are binned into frames of `interval_ns`; within a frame the order is lost (replay
// spreads a frame's pages evenly over it), so choose an interval well under the rounds you study.
#pragma once

#include <cstdint>
#include <istream>
#include <memory>
#include <string>

#include "workloads/trace_file.h"

namespace migsim::workloads {

enum class ImportFormat { kCsv, kLackey };

struct ImportOptions {
  ImportFormat format = ImportFormat::kCsv;
  std::int64_t interval_ns = 1'000'000;
  std::uint64_t page_size = 4096;
  std::uint64_t memory_pages = 0;  // 0 = the highest page used, rounded up to 1 MiB
  bool addresses = false;          // csv: the second column holds byte addresses
  std::int64_t access_ns = 1;      // lackey: guest time each traced line takes
  bool instructions = false;       // lackey: count instruction fetches as reads
  std::string source;              // the command that made the trace
};

// Bad input: "NAME:LINE: what is wrong; what is allowed".
class ImportError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::shared_ptr<const Trace> import_trace(std::istream& in, const std::string& name,
                                          const ImportOptions& options);

}  // namespace migsim::workloads
