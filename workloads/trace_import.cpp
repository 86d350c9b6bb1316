#include "workloads/trace_import.h"

#include <algorithm>
#include <charconv>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sim/limits.h"
#include "sim/units.h"

namespace migsim::workloads {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// Frames of page sets, filled in time order.
class Frames {
 public:
  Frames(std::int64_t interval_ns) : interval_(interval_ns) {}
  void add(std::int64_t t_ns, std::uint64_t page, bool write) {
    const auto k = static_cast<std::uint64_t>(t_ns / interval_);
    while (frames_.size() <= k) frames_.emplace_back();
    (write ? frames_[k].writes : frames_[k].reads).push_back({page, 1});
    if (!write) any_reads_ = true;
    highest_ = std::max(highest_, page);
    used_ = true;
  }
  // Closes every frame before `t_ns`'s frame (keeps memory to the open frame).
  void settle(std::int64_t t_ns) {
    const auto k = static_cast<std::uint64_t>(t_ns / interval_);
    for (; settled_ < k && settled_ < frames_.size(); ++settled_) {
      normalise_runs(frames_[settled_].writes);
      normalise_runs(frames_[settled_].reads);
      frames_[settled_].writes.shrink_to_fit();
      frames_[settled_].reads.shrink_to_fit();
    }
  }
  std::shared_ptr<const Trace> build(const ImportOptions& o, const std::string& name) {
    if (!used_) throw ImportError(name + ": no accesses found");
    TraceHeader h;
    h.page_size = o.page_size;
    h.interval_ns = interval_;
    h.has_reads = any_reads_;
    h.source = o.source;
    const std::uint64_t mib = std::max<std::uint64_t>(1, (std::uint64_t{1} << 20) / o.page_size);
    if (o.memory_pages != 0) {
      if (highest_ >= o.memory_pages)
        throw ImportError(name + ": page " + std::to_string(highest_) +
                          " is beyond the guest memory given (" + std::to_string(o.memory_pages) +
                          " pages)");
      h.pages = o.memory_pages;
    } else {
      h.pages = (highest_ / mib + 1) * mib;
    }
    if (h.pages > static_cast<std::uint64_t>(sim::limits::kMaxMemory.count()) / o.page_size)
      throw ImportError(name + ": the pages used span more than 4 TiB of memory");
    TraceBuilder b(h);
    for (auto& f : frames_) b.add_frame(std::move(f.writes), std::move(f.reads));
    return b.finish();
  }

 private:
  std::int64_t interval_;
  std::vector<TraceFrame> frames_;
  std::uint64_t settled_ = 0, highest_ = 0;
  bool any_reads_ = false, used_ = false;
};

// One line of at most 64 KiB (no format here has longer ones): an endless line (a device, a
// binary file) is an error, not a hang.
bool next_line(std::istream& in, std::string& line, std::uint64_t& n, const std::string& name) {
  constexpr std::streamsize kMax = 65536;
  line.resize(static_cast<std::size_t>(kMax));
  in.getline(line.data(), kMax);
  const std::streamsize got = in.gcount();
  if (in.fail() && !in.eof() && got == kMax - 1)
    throw ImportError(name + ":" + std::to_string(n + 1) +
                      ": line longer than 64 KiB: not a text trace");
  if (got == 0 && in.eof()) return false;
  // gcount counts the newline when there was one.
  line.resize(static_cast<std::size_t>(got) - (in.eof() || got == 0 ? 0 : 1));
  in.clear(in.rdstate() & ~std::ios::failbit);
  ++n;
  return true;
}

bool parse_u64(std::string_view s, std::uint64_t& out, int base) {
  if (base == 16 && s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s.remove_prefix(2);
  if (base == 10 && s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    s.remove_prefix(2);
    base = 16;
  }
  if (s.empty()) return false;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out, base);
  return ec == std::errc() && p == s.data() + s.size();
}

// Seconds as a plain number, or a duration with a unit; nanoseconds out.
bool parse_time(std::string_view s, std::int64_t& ns, std::string& error) {
  if (s.find_first_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") !=
      std::string_view::npos) {
    sim::Duration d;
    if (!sim::parse_duration(s, d, error)) return false;
    ns = d.count_ns();
    return ns >= 0;
  }
  double v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || !(v >= 0) || v > 1e9) {
    error = "a time in seconds (0 to 1e9) such as 0.25, or with a unit such as 250ms";
    return false;
  }
  ns = static_cast<std::int64_t>(v * 1e9 + 0.5);
  return true;
}

std::shared_ptr<const Trace> import_csv(std::istream& in, const std::string& name,
                                        const ImportOptions& o) {
  Frames frames(o.interval_ns);
  std::string line;
  std::uint64_t n = 0;
  std::int64_t last = 0;
  bool seen_data = false;
  const auto fail = [&](const std::string& what) -> void {
    throw ImportError(name + ":" + std::to_string(n) + ": " + what);
  };
  while (next_line(in, line, n, name)) {
    std::string_view s = trim(line);
    if (s.empty() || s[0] == '#') continue;
    std::vector<std::string_view> f;
    for (std::size_t at = 0;;) {
      const std::size_t comma = s.find(',', at);
      f.push_back(trim(
          s.substr(at, comma == std::string_view::npos ? std::string_view::npos : comma - at)));
      if (comma == std::string_view::npos) break;
      at = comma + 1;
    }
    if (!seen_data && f[0].find_first_of("0123456789") == std::string_view::npos) {
      seen_data = true;  // a header line
      continue;
    }
    seen_data = true;
    if (f.size() < 2 || f.size() > 3)
      fail("expected time,page or time,page,r|w; got " + std::to_string(f.size()) + " fields");
    std::int64_t t = 0;
    std::string error;
    if (!parse_time(f[0], t, error)) fail("time '" + std::string(f[0]) + "': expected " + error);
    if (t < last)
      fail("time " + std::string(f[0]) + " is before the previous line's: sort the file by time");
    last = t;
    std::uint64_t page = 0;
    if (!parse_u64(f[1], page, 10))
      fail("page '" + std::string(f[1]) + "': expected a whole number (decimal or 0x hex)");
    if (o.addresses) page /= o.page_size;
    if (page >= static_cast<std::uint64_t>(sim::limits::kMaxMemory.count()) / o.page_size)
      fail("page " + std::to_string(page) + " is beyond 4 TiB of memory");
    bool write = true;
    if (f.size() == 3) {
      if (f[2] == "r" || f[2] == "R")
        write = false;
      else if (f[2] != "w" && f[2] != "W")
        fail("access '" + std::string(f[2]) + "': expected r (read) or w (write)");
    }
    frames.settle(t);
    frames.add(t, page, write);
  }
  if (in.bad()) throw ImportError(name + ": read failed");
  return frames.build(o, name);
}

std::shared_ptr<const Trace> import_lackey(std::istream& in, const std::string& name,
                                           const ImportOptions& o) {
  Frames frames(o.interval_ns);
  std::unordered_map<std::uint64_t, std::uint64_t> guest;  // virtual page -> guest page
  std::string line;
  std::uint64_t n = 0, accesses = 0;
  const auto page_of = [&](std::uint64_t vpage) {
    const auto [it, fresh] = guest.try_emplace(vpage, guest.size());
    return it->second;
  };
  while (next_line(in, line, n, name)) {
    std::string_view s = line;
    if (s.starts_with("==") || s.starts_with("--") || trim(s).empty()) continue;  // valgrind's own
    char kind = 0;
    if (s.size() > 2 && s[0] == 'I' && s[1] == ' ') {
      kind = 'I';
    } else if (s.size() > 3 && s[0] == ' ' && (s[1] == 'L' || s[1] == 'S' || s[1] == 'M') &&
               s[2] == ' ') {
      kind = s[1];
    } else {
      throw ImportError(
          name + ":" + std::to_string(n) +
          ": not a lackey --trace-mem line; expected \"I  addr,size\", \" L addr,size\", "
          "\" S addr,size\" or \" M addr,size\"");
    }
    const std::string_view rest = trim(s.substr(2));
    const std::size_t comma = rest.find(',');
    std::uint64_t addr = 0, size = 0;
    if (comma == std::string_view::npos || !parse_u64(rest.substr(0, comma), addr, 16) ||
        !parse_u64(trim(rest.substr(comma + 1)), size, 10) || size == 0 || size > 4096)
      throw ImportError(name + ":" + std::to_string(n) +
                        ": expected a hex address and a size of 1 to 4096 bytes (addr,size)");
    const std::int64_t t = static_cast<std::int64_t>(accesses) * o.access_ns;
    ++accesses;
    if (kind == 'I' && !o.instructions) continue;
    frames.settle(t);
    for (std::uint64_t v = addr / o.page_size; v <= (addr + size - 1) / o.page_size; ++v) {
      const std::uint64_t g = page_of(v);
      if (kind == 'L' || kind == 'M' || kind == 'I') frames.add(t, g, false);
      if (kind == 'S' || kind == 'M') frames.add(t, g, true);
    }
  }
  if (in.bad()) throw ImportError(name + ": read failed");
  return frames.build(o, name);
}

}  // namespace

std::shared_ptr<const Trace> import_trace(std::istream& in, const std::string& name,
                                          const ImportOptions& options) {
  return options.format == ImportFormat::kCsv ? import_csv(in, name, options)
                                              : import_lackey(in, name, options);
}

}  // namespace migsim::workloads
