#include "workloads/trace_file.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <stdexcept>
#include <tuple>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "sim/limits.h"

namespace migsim::workloads {
namespace {

constexpr char kMagic[8] = {'M', 'I', 'G', 'S', 'I', 'M', 'T', 'R'};
constexpr std::size_t kFixedHeader = 60;  // up to and including the source length
constexpr std::uint32_t kFlagReads = 1, kFlagDisk = 2;
constexpr std::uint64_t kMaxSource = 1 << 20;
// Trace clock: frames x interval stays below 2^62 ns (146 years).
constexpr std::uint64_t kMaxTraceNs = std::uint64_t{1} << 62;

void put_varint(std::vector<std::uint8_t>& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<std::uint8_t>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<std::uint8_t>(v));
}

template <class T>
void put_le(std::vector<std::uint8_t>& out, T v) {
  for (std::size_t i = 0; i < sizeof(T); ++i)
    out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

// Pages seen, one bit each, in chunks allocated on first touch (a trace may span 2^33 pages).
class SparseBits {
 public:
  // Sets [first, first + count); returns how many were newly set.
  std::uint64_t set(std::uint64_t first, std::uint64_t count) {
    std::uint64_t added = 0;
    for (std::uint64_t p = first, end = first + count; p < end;) {
      const std::uint64_t chunk = p >> kChunkBits;
      if (chunk >= chunks_.size()) chunks_.resize(chunk + 1);
      if (!chunks_[chunk]) chunks_[chunk] = std::make_unique<Chunk>();
      Chunk& c = *chunks_[chunk];
      const std::uint64_t chunk_end = std::min(end, (chunk + 1) << kChunkBits);
      while (p < chunk_end) {
        const std::uint64_t bit = p & ((std::uint64_t{1} << kChunkBits) - 1);
        const std::uint64_t n = std::min<std::uint64_t>(64 - bit % 64, chunk_end - p);
        const std::uint64_t mask = (n == 64 ? ~std::uint64_t{0} : ((std::uint64_t{1} << n) - 1))
                                   << (bit % 64);
        std::uint64_t& w = c[bit / 64];
        added += static_cast<std::uint64_t>(std::popcount(mask & ~w));
        w |= mask;
        p += n;
      }
    }
    return added;
  }

 private:
  static constexpr unsigned kChunkBits = 18;  // 256 Ki pages, 32 KiB per chunk
  using Chunk = std::array<std::uint64_t, (std::size_t{1} << kChunkBits) / 64>;
  std::vector<std::unique_ptr<Chunk>> chunks_;
};

// Reads the file's bytes with bounds checks; every failure names the file and the offset.
class Reader {
 public:
  Reader(const std::vector<std::uint8_t>& bytes, std::size_t end, const std::string& name)
      : b_(bytes), end_(end), name_(name) {}
  [[noreturn]] void fail(const std::string& what) const { fail_at(at_, what); }
  [[noreturn]] void fail_at(std::size_t at, const std::string& what) const {
    throw TraceError(name_ + ": byte " + std::to_string(at) + ": " + what);
  }
  template <class T>
  T le(const char* what) {
    if (end_ - at_ < sizeof(T)) fail(std::string("file ends inside the ") + what);
    T v = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i) v |= static_cast<T>(T{b_[at_ + i]} << (8 * i));
    at_ += sizeof(T);
    return v;
  }
  std::uint64_t varint(const char* what) {
    std::uint64_t v = 0;
    const std::size_t start = at_;
    for (unsigned shift = 0;; shift += 7) {
      if (at_ >= end_) fail_at(start, std::string("body ends inside a varint (") + what + ")");
      const std::uint8_t byte = b_[at_++];
      if (shift == 63 && byte > 1)
        fail_at(start, std::string("varint overflows 64 bits (") + what + ")");
      v |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) {
        if (byte == 0 && shift > 0)
          fail_at(start, std::string("varint not minimal (") + what + ")");
        return v;
      }
      if (shift == 63) fail_at(start, std::string("varint longer than 10 bytes (") + what + ")");
    }
  }
  std::size_t at() const { return at_; }
  void seek(std::size_t at) { at_ = at; }

 private:
  const std::vector<std::uint8_t>& b_;
  std::size_t at_ = 0;
  std::size_t end_;
  const std::string& name_;
};

// Reads and checks one run list; returns its page count.
std::uint64_t check_runs(Reader& r, std::uint64_t pages, std::uint64_t frame, const char* what,
                         SparseBits* seen, std::uint64_t* distinct) {
  const std::size_t list_at = r.at();
  const std::uint64_t count = r.varint("run count");
  if (count > pages)
    r.fail_at(list_at, "frame " + std::to_string(frame) + " lists " + std::to_string(count) + " " +
                           what + " runs, more than the trace's " + std::to_string(pages) +
                           " pages");
  std::uint64_t end = 0, total = 0;
  for (std::uint64_t i = 0; i < count; ++i) {
    const std::size_t run_at = r.at();
    const std::uint64_t head = r.varint("run");
    const std::uint64_t gap = head >> 1;
    std::uint64_t len = 1;
    if (head & 1) {
      const std::uint64_t extra = r.varint("run length");
      if (extra > pages) r.fail_at(run_at, "run longer than the trace's address space");
      len = extra + 2;
    }
    if (i > 0 && gap == 0)
      r.fail_at(run_at, "frame " + std::to_string(frame) + ": " + what +
                            " run touches the previous one (runs must be merged)");
    if (gap > pages - end || len > pages - end - gap)
      r.fail_at(run_at, "frame " + std::to_string(frame) + ": " + what + " run ends past page " +
                            std::to_string(pages) + " (the trace's address space)");
    const std::uint64_t first = end + gap;
    end = first + len;
    total += len;
    if (seen) *distinct += seen->set(first, len);
  }
  return total;
}

}  // namespace

void normalise_runs(std::vector<PageRun>& runs) {
  std::erase_if(runs, [](const PageRun& r) { return r.count == 0; });
  std::sort(runs.begin(), runs.end(),
            [](const PageRun& a, const PageRun& b) { return a.first < b.first; });
  std::size_t out = 0;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    if (out > 0 && runs[i].first <= runs[out - 1].first + runs[out - 1].count) {
      const std::uint64_t end =
          std::max(runs[out - 1].first + runs[out - 1].count, runs[i].first + runs[i].count);
      runs[out - 1].count = end - runs[out - 1].first;
    } else {
      runs[out++] = runs[i];
    }
  }
  runs.resize(out);
}

std::int64_t Trace::duration_ns() const {
  return header_.interval_ns * static_cast<std::int64_t>(index_.size());
}

TraceFrame Trace::decode(std::uint64_t k) const {
  TraceFrame f;
  const FrameIndex& fi = index_[k];
  for (RunDecoder d(body_.data(), fi.writes_at); d.remaining() > 0;) f.writes.push_back(d.next());
  if (header_.has_reads)
    for (RunDecoder d(body_.data(), fi.reads_at); d.remaining() > 0;) f.reads.push_back(d.next());
  f.disk = fi.disk;
  return f;
}

RunDecoder::RunDecoder(const std::uint8_t* data, std::uint64_t at) : data_(data), at_(at) {
  count_ = varint();
}

std::uint64_t RunDecoder::varint() {
  std::uint64_t v = 0;
  for (unsigned shift = 0;; shift += 7) {
    const std::uint8_t byte = data_[at_++];
    v |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return v;
  }
}

PageRun RunDecoder::next() {
  const std::uint64_t head = varint();
  const std::uint64_t len = (head & 1) ? varint() + 2 : 1;
  const PageRun run{end_ + (head >> 1), len};
  end_ = run.first + run.count;
  ++done_;
  return run;
}

TraceBuilder::TraceBuilder(TraceHeader header) : trace_(std::make_shared<Trace>()) {
  if (header.page_size < 512 || header.page_size > (std::uint64_t{1} << 30) ||
      !std::has_single_bit(header.page_size))
    throw std::invalid_argument("trace page size must be a power of two from 512 B to 1 GiB");
  if (header.pages == 0 ||
      header.pages > static_cast<std::uint64_t>(sim::limits::kMaxMemory.count()) / header.page_size)
    throw std::invalid_argument("trace address space must be 1 page to 4 TiB");
  if (header.interval_ns < 1) throw std::invalid_argument("trace interval must be positive");
  trace_->header_ = std::move(header);
}

void TraceBuilder::put_runs(std::vector<PageRun>& runs, std::uint64_t& pages) {
  normalise_runs(runs);
  std::vector<std::uint8_t>& out = trace_->body_;
  put_varint(out, runs.size());
  std::uint64_t end = 0;
  pages = 0;
  for (const PageRun& r : runs) {
    if (r.first + r.count > trace_->header_.pages)
      throw std::invalid_argument("page " + std::to_string(r.first + r.count - 1) +
                                  " is beyond the trace's " +
                                  std::to_string(trace_->header_.pages) + " pages");
    const std::uint64_t gap = r.first - end;
    put_varint(out, gap << 1 | (r.count > 1 ? 1 : 0));
    if (r.count > 1) put_varint(out, r.count - 2);
    end = r.first + r.count;
    pages += r.count;
  }
}

void TraceBuilder::add_frame(std::vector<PageRun> writes, std::vector<PageRun> reads,
                             TraceDisk disk) {
  Trace& t = *trace_;
  if (static_cast<std::uint64_t>(t.header_.interval_ns) * (t.index_.size() + 1) > kMaxTraceNs)
    throw std::invalid_argument("trace longer than 2^62 ns");
  Trace::FrameIndex fi;
  fi.writes_at = t.body_.size();
  put_runs(writes, fi.write_pages);
  if (t.header_.has_reads) {
    fi.reads_at = t.body_.size();
    put_runs(reads, fi.read_pages);
  }
  if (t.header_.has_disk) {
    put_varint(t.body_, disk.read_bytes);
    put_varint(t.body_, disk.write_bytes);
    put_varint(t.body_, disk.requests);
    fi.disk = disk;
    t.disk_.read_bytes += disk.read_bytes;
    t.disk_.write_bytes += disk.write_bytes;
    t.disk_.requests += disk.requests;
  }
  t.write_pages_ += fi.write_pages;
  t.read_pages_ += fi.read_pages;
  t.index_.push_back(fi);
}

std::shared_ptr<const Trace> TraceBuilder::finish() {
  // Round trip through the file format: the checksum, the distinct count and every check come
  // from the one reader.
  std::shared_ptr<const Trace> t = parse_trace(serialise_trace(*trace_), "(built trace)");
  trace_.reset();
  return t;
}

std::vector<std::uint8_t> serialise_trace(const Trace& trace) {
  const TraceHeader& h = trace.header();
  std::vector<std::uint8_t> out;
  out.reserve(kFixedHeader + h.source.size() + trace.body().size() + 8);
  for (const char c : kMagic) out.push_back(static_cast<std::uint8_t>(c));
  put_le<std::uint32_t>(out, kTraceVersion);
  put_le<std::uint32_t>(out, (h.has_reads ? kFlagReads : 0) | (h.has_disk ? kFlagDisk : 0));
  put_le<std::uint64_t>(out, h.page_size);
  put_le<std::uint64_t>(out, h.pages);
  put_le<std::uint64_t>(out, static_cast<std::uint64_t>(h.interval_ns));
  put_le<std::uint64_t>(out, trace.frames());
  put_le<std::uint64_t>(out, trace.body().size());
  put_le<std::uint32_t>(out, static_cast<std::uint32_t>(h.source.size()));
  out.insert(out.end(), h.source.begin(), h.source.end());
  out.insert(out.end(), trace.body().begin(), trace.body().end());
  put_le<std::uint64_t>(out, XXH3_64bits(out.data(), out.size()));
  return out;
}

void write_trace(const std::string& path, const Trace& trace) {
  const std::vector<std::uint8_t> bytes = serialise_trace(trace);
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) throw TraceError(path + ": cannot write: " + std::strerror(errno));
    f.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
    if (!f) throw TraceError(path + ": write failed: " + std::strerror(errno));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) throw TraceError(path + ": cannot replace: " + ec.message());
}

std::shared_ptr<const Trace> parse_trace(const std::vector<std::uint8_t>& bytes,
                                         const std::string& name) {
  if (bytes.size() < 8 || std::memcmp(bytes.data(), kMagic, 8) != 0)
    throw TraceError(name +
                     ": not a migsim trace (the file does not start with \"MIGSIMTR\"); "
                     "convert other formats with `migsim import`");
  if (bytes.size() < kFixedHeader + 8)
    throw TraceError(name + ": truncated: " + std::to_string(bytes.size()) +
                     " bytes, shorter than a trace header");
  Reader r(bytes, bytes.size() - 8, name);
  r.seek(8);
  auto t = std::make_shared<Trace>();
  TraceHeader& h = t->header_;
  const auto version = r.le<std::uint32_t>("version");
  if (version != kTraceVersion)
    r.fail_at(8, "trace format version " + std::to_string(version) +
                     "; this migsim reads version " + std::to_string(kTraceVersion));
  const auto flags = r.le<std::uint32_t>("flags");
  if (flags & ~(kFlagReads | kFlagDisk))
    r.fail_at(12, "unknown flags " + std::to_string(flags) + " (allowed: 1 = reads, 2 = disk)");
  h.has_reads = flags & kFlagReads;
  h.has_disk = flags & kFlagDisk;
  h.page_size = r.le<std::uint64_t>("page size");
  if (h.page_size < 512 || h.page_size > (std::uint64_t{1} << 30) ||
      !std::has_single_bit(h.page_size))
    r.fail_at(16, "page size " + std::to_string(h.page_size) +
                      " is not a power of two from 512 to 2^30 bytes");
  h.pages = r.le<std::uint64_t>("page count");
  if (h.pages == 0 ||
      h.pages > static_cast<std::uint64_t>(sim::limits::kMaxMemory.count()) / h.page_size)
    r.fail_at(
        24, "address space of " + std::to_string(h.pages) + " pages is empty or larger than 4 TiB");
  const auto interval = r.le<std::uint64_t>("interval");
  if (interval == 0 || interval > kMaxTraceNs)
    r.fail_at(32, "frame interval must be 1 ns .. 2^62 ns");
  h.interval_ns = static_cast<std::int64_t>(interval);
  const auto frames = r.le<std::uint64_t>("frame count");
  if (frames > kMaxTraceNs / interval) r.fail_at(40, "trace longer than 2^62 ns");
  const auto body = r.le<std::uint64_t>("body size");
  const auto source_len = r.le<std::uint32_t>("source length");
  if (source_len > kMaxSource) r.fail_at(56, "source text longer than 1 MiB");
  const std::size_t body_at = kFixedHeader + source_len;
  if (body_at > bytes.size() - 8 || body != bytes.size() - 8 - body_at)
    throw TraceError(name + ": truncated or padded: the header says " + std::to_string(body) +
                     " body bytes, the file holds " +
                     std::to_string(bytes.size() >= body_at + 8 ? bytes.size() - 8 - body_at : 0));
  const std::uint64_t stored = [&] {
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= std::uint64_t{bytes[bytes.size() - 8 + i]} << (8 * i);
    return v;
  }();
  if (XXH3_64bits(bytes.data(), bytes.size() - 8) != stored)
    throw TraceError(name + ": checksum mismatch: the file is corrupt");
  t->digest_ = stored;
  h.source.assign(reinterpret_cast<const char*>(bytes.data()) + kFixedHeader, source_len);
  r.seek(body_at);
  // Frames cannot be fewer bytes than one each; this bounds the index before it is allocated.
  if (frames > body) r.fail_at(40, "more frames than body bytes");
  t->index_.reserve(frames);
  SparseBits seen;
  for (std::uint64_t k = 0; k < frames; ++k) {
    Trace::FrameIndex fi;
    fi.writes_at = r.at() - body_at;
    fi.write_pages = check_runs(r, h.pages, k, "written", &seen, &t->distinct_written_);
    if (h.has_reads) {
      fi.reads_at = r.at() - body_at;
      fi.read_pages = check_runs(r, h.pages, k, "read", nullptr, nullptr);
    }
    if (h.has_disk) {
      fi.disk.read_bytes = r.varint("disk read bytes");
      fi.disk.write_bytes = r.varint("disk write bytes");
      fi.disk.requests = r.varint("disk requests");
      if (fi.disk.read_bytes > (std::uint64_t{1} << 50) ||
          fi.disk.write_bytes > (std::uint64_t{1} << 50) ||
          fi.disk.requests > (std::uint64_t{1} << 40))
        r.fail("frame " + std::to_string(k) + ": disk I/O beyond 2^50 bytes or 2^40 requests");
      t->disk_.read_bytes += fi.disk.read_bytes;
      t->disk_.write_bytes += fi.disk.write_bytes;
      t->disk_.requests += fi.disk.requests;
    }
    t->write_pages_ += fi.write_pages;
    t->read_pages_ += fi.read_pages;
    t->index_.push_back(fi);
  }
  if (r.at() != bytes.size() - 8)
    r.fail(std::to_string(bytes.size() - 8 - r.at()) + " bytes after the last frame");
  t->body_.assign(bytes.begin() + static_cast<std::ptrdiff_t>(body_at), bytes.end() - 8);
  return t;
}

std::shared_ptr<const Trace> read_trace(const std::string& path) {
  // A device, a FIFO or a directory is not read at all (/dev/zero would never end).
  std::error_code ec;
  if (std::filesystem::exists(path, ec) && !std::filesystem::is_regular_file(path, ec))
    throw TraceError(path + ": not a regular file");
  std::ifstream f(path, std::ios::binary);
  if (!f) throw TraceError(path + ": cannot open: " + std::strerror(errno));
  std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(f)),
                                  std::istreambuf_iterator<char>());
  if (f.bad()) throw TraceError(path + ": read failed: " + std::strerror(errno));
  return parse_trace(bytes, path);
}

namespace {
std::mutex cache_mutex;
}

std::shared_ptr<const Trace> shared_trace(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path canonical = fs::canonical(path, ec);
  if (ec) throw TraceError(path + ": cannot open: " + ec.message());
  const auto size = fs::file_size(canonical, ec);
  const auto mtime = fs::last_write_time(canonical, ec).time_since_epoch().count();
  using Key = std::tuple<std::string, std::uintmax_t, std::int64_t>;
  static std::map<Key, std::shared_ptr<const Trace>> cache;
  const Key key{canonical.string(), size, static_cast<std::int64_t>(mtime)};
  std::lock_guard lock(cache_mutex);
  if (auto it = cache.find(key); it != cache.end()) return it->second;
  std::shared_ptr<const Trace> t = read_trace(path);
  cache.emplace(key, t);
  return t;
}

std::shared_ptr<const Trace> remapped(const std::shared_ptr<const Trace>& trace,
                                      std::uint64_t pages, Remap remap) {
  const TraceHeader& h = trace->header();
  if (remap == Remap::kNone || pages == h.pages) return trace;
  // Keyed by content (the file's checksum), so a trace built in memory is cached safely too.
  using Key = std::tuple<std::uint64_t, std::uint64_t, std::uint64_t, int>;
  static std::map<Key, std::shared_ptr<const Trace>> cache;
  const Key key{trace->digest(), h.pages, pages, static_cast<int>(remap)};
  {
    std::lock_guard lock(cache_mutex);
    if (auto it = cache.find(key); it != cache.end()) return it->second;
  }
  const unsigned __int128 G = pages, T = h.pages;
  const auto map_runs = [&](const std::vector<PageRun>& in) {
    std::vector<PageRun> out;
    for (const PageRun& r : in) {
      if (remap == Remap::kScale) {
        const auto a = static_cast<std::uint64_t>(r.first * G / T);
        const auto b =
            std::max<std::uint64_t>(a + 1, static_cast<std::uint64_t>((r.first + r.count) * G / T));
        out.push_back({a, b - a});
      } else if (r.count >= pages) {
        out.push_back({0, pages});
      } else {
        const std::uint64_t a = r.first % pages;
        if (a + r.count <= pages) {
          out.push_back({a, r.count});
        } else {
          out.push_back({a, pages - a});
          out.push_back({0, a + r.count - pages});
        }
      }
    }
    return out;
  };
  TraceHeader nh = h;
  nh.pages = pages;
  TraceBuilder b(nh);
  for (std::uint64_t k = 0; k < trace->frames(); ++k) {
    const TraceFrame f = trace->decode(k);
    b.add_frame(map_runs(f.writes), map_runs(f.reads), f.disk);
  }
  std::shared_ptr<const Trace> out = b.finish();
  std::lock_guard lock(cache_mutex);
  return cache.emplace(key, out).first->second;
}

}  // namespace migsim::workloads
