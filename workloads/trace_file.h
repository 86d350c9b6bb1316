// The migsim trace file: what a guest did to its memory over time, frame by frame. A frame is a
// fixed interval of the trace's clock; it lists the pages written in it, optionally the pages
// read, and optionally the disk I/O. Within a frame, page runs are sorted, disjoint and not
// adjacent; on replay a frame's n pages are spread evenly over it in the order stored (page j of
// n at frame start + floor(j * interval / n)), which is exact for per-event imports binned
// finely and the best guess for a set-only recording (soft-dirty, content comparison).
//
// Layout, version 1 (all integers little-endian):
//   0   8 bytes  magic "MIGSIMTR"
//   8   u32      version (1)
//   12  u32      flags: bit 0 = frames carry reads, bit 1 = frames carry disk I/O
//   16  u64      page size in bytes (a power of two, 512 B .. 1 GiB)
//   24  u64      pages in the traced address space (the guest size it was recorded for)
//   32  u64      frame interval in nanoseconds (>= 1)
//   40  u64      frame count
//   48  u64      body size in bytes
//   56  u32      source length, then that many bytes of UTF-8: how the trace was made
//   ..  body     the frames, one after the other
//   ..  u64      XXH3-64 of every byte before it
// A frame: the written runs, then (flag 0) the read runs, then (flag 1) three varints: bytes
// read from disk, bytes written to disk, disk requests. Runs: a varint count, then per run a
// varint (gap << 1 | long) where gap is the run's first page minus the end of the previous run
// (of this frame's list; 0 before the first run), followed, when `long`, by a varint length - 2.
// Varints are LEB128 (7 bits per byte, low first). Delta and run-length coding make an isolated
// page with a gap under 64 one byte.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace migsim::workloads {

inline constexpr std::uint32_t kTraceVersion = 1;

struct PageRun {
  std::uint64_t first = 0;
  std::uint64_t count = 0;
  bool operator==(const PageRun&) const = default;
};

struct TraceDisk {
  std::uint64_t read_bytes = 0;
  std::uint64_t write_bytes = 0;
  std::uint64_t requests = 0;
  bool operator==(const TraceDisk&) const = default;
};

struct TraceHeader {
  std::uint64_t page_size = 4096;
  std::uint64_t pages = 0;
  std::int64_t interval_ns = 100'000'000;
  bool has_reads = false;
  bool has_disk = false;
  std::string source;  // the command that made it
};

// A trace file could not be read: names the file, the byte offset and what is wrong.
class TraceError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A frame decoded: its runs and disk I/O (for tools and tests; replay walks the encoded body).
struct TraceFrame {
  std::vector<PageRun> writes;
  std::vector<PageRun> reads;
  TraceDisk disk;
  bool operator==(const TraceFrame&) const = default;
};

// A parsed, validated trace: its header, the encoded body kept as read, and an index of where
// each frame's lists start. Immutable; shared between the runs of a sweep.
class Trace {
 public:
  struct FrameIndex {
    std::uint64_t writes_at = 0;  // body offset of the written runs' count
    std::uint64_t reads_at = 0;   // body offset of the read runs' count (if any)
    std::uint64_t write_pages = 0;
    std::uint64_t read_pages = 0;
    TraceDisk disk;
  };

  const TraceHeader& header() const { return header_; }
  std::uint64_t frames() const { return index_.size(); }
  const FrameIndex& frame(std::uint64_t k) const { return index_[k]; }
  const std::vector<std::uint8_t>& body() const { return body_; }
  std::int64_t duration_ns() const;
  std::uint64_t written_pages_total() const { return write_pages_; }
  std::uint64_t read_pages_total() const { return read_pages_; }
  TraceDisk disk_total() const { return disk_; }
  // Distinct pages written anywhere in the trace.
  std::uint64_t distinct_written() const { return distinct_written_; }
  std::uint64_t digest() const { return digest_; }  // XXH3-64 of the file's bytes

  TraceFrame decode(std::uint64_t k) const;

 private:
  friend class TraceBuilder;
  friend std::shared_ptr<const Trace> parse_trace(const std::vector<std::uint8_t>&,
                                                  const std::string&);
  TraceHeader header_;
  std::vector<std::uint8_t> body_;
  std::vector<FrameIndex> index_;
  std::uint64_t write_pages_ = 0, read_pages_ = 0, distinct_written_ = 0, digest_ = 0;
  TraceDisk disk_;
};

// Builds a trace frame by frame. Runs given to add_frame may be in any order and may overlap or
// touch; they are normalised (sorted, merged). Throws std::invalid_argument on a page beyond the
// header's page count.
class TraceBuilder {
 public:
  explicit TraceBuilder(TraceHeader header);
  void add_frame(std::vector<PageRun> writes, std::vector<PageRun> reads = {}, TraceDisk disk = {});
  std::uint64_t frames() const { return trace_->index_.size(); }
  std::shared_ptr<const Trace> finish();

 private:
  void put_runs(std::vector<PageRun>& runs, std::uint64_t& pages);
  std::shared_ptr<Trace> trace_;
  std::vector<std::uint8_t> seen_;  // pages written so far, one bit each
};

// Sorts and merges runs in place (overlapping or adjacent runs become one).
void normalise_runs(std::vector<PageRun>& runs);

// The file's bytes: header, body, checksum.
std::vector<std::uint8_t> serialise_trace(const Trace& trace);
void write_trace(const std::string& path, const Trace& trace);
// Reads and validates a whole file; `name` is used in errors. Throws TraceError.
std::shared_ptr<const Trace> parse_trace(const std::vector<std::uint8_t>& bytes,
                                         const std::string& name);
std::shared_ptr<const Trace> read_trace(const std::string& path);

// The trace at `path`, parsed once per process and shared: a second call with the same file
// (same canonical path, size and modification time) returns the same object. Thread-safe.
std::shared_ptr<const Trace> shared_trace(const std::string& path);

// How a trace for one address-space size is laid onto a guest of another.
enum class Remap { kNone, kScale, kWrap };
// The trace laid onto `pages` guest pages: kScale maps trace page p to guest pages
// [p*G/T, max(p*G/T + 1, (p+1)*G/T)) (the dirtied fraction of memory is kept), kWrap to p mod G.
// Cached like shared_trace, per (trace, pages, remap).
std::shared_ptr<const Trace> remapped(const std::shared_ptr<const Trace>& trace,
                                      std::uint64_t pages, Remap remap);

// Decodes runs from an encoded list (count, then runs), for replay and tools.
class RunDecoder {
 public:
  RunDecoder(const std::uint8_t* data, std::uint64_t at);
  std::uint64_t count() const { return count_; }
  // The next run; only while runs remain (remaining() > 0).
  PageRun next();
  std::uint64_t remaining() const { return count_ - done_; }
  std::uint64_t offset() const { return at_; }

 private:
  std::uint64_t varint();
  const std::uint8_t* data_;
  std::uint64_t at_;
  std::uint64_t count_ = 0, done_ = 0, end_ = 0;
};

}  // namespace migsim::workloads
