#include "workloads/trace_record.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>
#include <utility>

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace migsim::workloads {
namespace {

constexpr std::uint64_t kPresent = std::uint64_t{1} << 63;
constexpr std::uint64_t kSwapped = std::uint64_t{1} << 62;
constexpr std::uint64_t kSoftDirty = std::uint64_t{1} << 55;

std::string proc(pid_t pid, const char* what) {
  return "/proc/" + std::to_string(pid) + "/" + what;
}

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    std::swap(fd_, o.fd_);
    return *this;
  }
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_ = -1;
};

Fd open_or_throw(pid_t pid, const char* what, int flags) {
  const std::string path = proc(pid, what);
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) {
    const int e = errno;
    if (e == ENOENT || e == ESRCH) throw RecordError("no process with PID " + std::to_string(pid));
    if (e == EACCES || e == EPERM)
      throw RecordError("no permission to open " + path +
                        ": record as the process's user or as root " +
                        "(and check /proc/sys/kernel/yama/ptrace_scope)");
    throw RecordError("cannot open " + path + ": " + std::strerror(e));
  }
  return Fd(fd);
}

struct Mapping {
  std::uint64_t start = 0, end = 0;  // virtual pages
};

// The writable mappings of a process; false when it has gone.
bool writable_mappings(pid_t pid, std::uint64_t page_size, std::vector<Mapping>& out) {
  std::ifstream f(proc(pid, "maps"));
  if (!f) return false;
  out.clear();
  std::string line;
  while (std::getline(f, line)) {
    std::istringstream s(line);
    std::string range, perms;
    s >> range >> perms;
    if (perms.size() < 2 || perms[1] != 'w') continue;
    if (line.find("[vsyscall]") != std::string::npos || line.find("[vvar]") != std::string::npos)
      continue;
    const auto dash = range.find('-');
    if (dash == std::string::npos) continue;
    const std::uint64_t a = std::stoull(range.substr(0, dash), nullptr, 16);
    const std::uint64_t b = std::stoull(range.substr(dash + 1), nullptr, 16);
    out.push_back({a / page_size, b / page_size});
  }
  return !out.empty() || f.eof();
}

// Running (not gone, not a zombie waiting for its parent).
bool alive(pid_t pid) {
  if (::kill(pid, 0) != 0) return false;
  std::ifstream f(proc(pid, "stat"));
  std::string stat;
  if (!std::getline(f, stat)) return false;
  const auto close = stat.rfind(')');
  return close == std::string::npos || close + 2 >= stat.size() || stat[close + 2] != 'Z';
}

}  // namespace

struct Recorder::Process {
  pid_t pid = 0;
  Fd pagemap, mem, clear_refs;
  struct Page {
    std::uint64_t guest = 0;
    std::uint64_t hash = 0;
  };
  std::unordered_map<std::uint64_t, Page> pages;  // virtual page -> its guest page
  std::vector<std::uint64_t> entries;             // pagemap buffer
  std::vector<std::uint8_t> data;                 // page contents buffer
};

bool soft_dirty_supported(std::string& why) {
  const long page = ::sysconf(_SC_PAGESIZE);
  void* m = ::mmap(nullptr, static_cast<std::size_t>(page), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) {
    why = std::string("mmap failed: ") + std::strerror(errno);
    return false;
  }
  auto* p = static_cast<volatile char*>(m);
  p[0] = 1;
  bool ok = false;
  {
    const int clear = ::open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
    const int map = ::open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    if (clear < 0 || map < 0) {
      why = std::string("cannot open /proc/self/clear_refs or pagemap: ") + std::strerror(errno);
    } else if (::write(clear, "4", 1) != 1) {
      why = std::string("writing 4 to /proc/self/clear_refs failed: ") + std::strerror(errno);
    } else {
      p[0] = 2;  // the first write after the clear must set the bit
      std::uint64_t entry = 0;
      const auto off = static_cast<off_t>(reinterpret_cast<std::uintptr_t>(m) /
                                          static_cast<std::uintptr_t>(page) * 8);
      if (::pread(map, &entry, 8, off) != 8) {
        why = std::string("reading /proc/self/pagemap failed: ") + std::strerror(errno);
      } else if ((entry & kSoftDirty) == 0) {
        why =
            "this kernel does not track soft-dirty bits (built without CONFIG_MEM_SOFT_DIRTY: "
            "a page written after `echo 4 > /proc/self/clear_refs` does not show bit 55 in "
            "/proc/self/pagemap)";
      } else {
        ok = true;
      }
    }
    if (clear >= 0) ::close(clear);
    if (map >= 0) ::close(map);
  }
  ::munmap(m, static_cast<std::size_t>(page));
  return ok;
}

Recorder::Recorder(RecordOptions options)
    : options_(options), page_size_(static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE))) {
  if (options_.pid <= 0) throw RecordError("--pid must be a process ID (a positive number)");
  if (::kill(options_.pid, 0) != 0 && errno == ESRCH)
    throw RecordError("no process with PID " + std::to_string(options_.pid));
  if (options_.method == RecordMethod::kSoftDirty) {
    std::string why;
    if (!soft_dirty_supported(why))
      throw RecordError(why +
                        "; use --method content to find written pages by comparing their "
                        "contents instead");
  }
  // Opens the root process now, so a missing PID or a permission problem is reported at once.
  auto p = std::make_unique<Process>();
  p->pid = options_.pid;
  p->pagemap = open_or_throw(options_.pid, "pagemap", O_RDONLY);
  if (options_.method == RecordMethod::kContent)
    p->mem = open_or_throw(options_.pid, "mem", O_RDONLY);
  else
    p->clear_refs = open_or_throw(options_.pid, "clear_refs", O_WRONLY);
  processes_.emplace(options_.pid, std::move(p));
}

Recorder::~Recorder() = default;

std::vector<pid_t> Recorder::processes() const {
  if (!options_.children) return {options_.pid};
  // Parent of every process, then the root's descendants.
  std::multimap<pid_t, pid_t> children;
  if (DIR* d = ::opendir("/proc")) {
    while (const dirent* e = ::readdir(d)) {
      const pid_t pid = static_cast<pid_t>(std::atoi(e->d_name));
      if (pid <= 0) continue;
      std::ifstream f(proc(pid, "stat"));
      std::string stat;
      if (!std::getline(f, stat)) continue;
      const auto close = stat.rfind(')');  // the command name may hold spaces and parentheses
      if (close == std::string::npos) continue;
      std::istringstream s(stat.substr(close + 1));
      char state = 0;
      pid_t ppid = 0;
      s >> state >> ppid;
      if (state != 'Z') children.emplace(ppid, pid);
    }
    ::closedir(d);
  }
  std::vector<pid_t> out{options_.pid};
  for (std::size_t i = 0; i < out.size(); ++i) {
    const auto [a, b] = children.equal_range(out[i]);
    for (auto it = a; it != b; ++it) out.push_back(it->second);
  }
  return out;
}

std::uint64_t Recorder::allocate() {
  if (!free_.empty()) {
    const std::uint64_t g = *free_.begin();
    free_.erase(free_.begin());
    return g;
  }
  if (options_.memory_pages != 0 && next_free_ >= options_.memory_pages)
    throw RecordError("the recorded processes use more than the " +
                      std::to_string(options_.memory_pages) +
                      " guest pages given with --memory; give a larger --memory");
  return next_free_++;
}

std::optional<std::uint64_t> Recorder::guest_page(pid_t pid, std::uint64_t address) const {
  const auto it = processes_.find(pid);
  if (it == processes_.end()) return std::nullopt;
  const auto page = it->second->pages.find(address / page_size_);
  if (page == it->second->pages.end()) return std::nullopt;
  return page->second.guest;
}

void Recorder::sample_process(Process& p, std::vector<std::uint64_t>& written) {
  std::vector<Mapping> maps;
  if (!writable_mappings(p.pid, page_size_, maps)) return;
  // Opened afresh each time: these files stay bound to the address space they were opened on,
  // and an exec replaces it.
  try {
    p.pagemap = open_or_throw(p.pid, "pagemap", O_RDONLY);
    if (options_.method == RecordMethod::kContent)
      p.mem = open_or_throw(p.pid, "mem", O_RDONLY);
    else
      p.clear_refs = open_or_throw(p.pid, "clear_refs", O_WRONLY);
  } catch (const RecordError&) {
    return;  // it has just exited
  }
  const bool content = options_.method == RecordMethod::kContent;
  std::unordered_map<std::uint64_t, Process::Page> kept;
  kept.reserve(p.pages.size());
  const auto touch = [&](std::uint64_t vpage, std::uint64_t hash) {
    auto it = p.pages.find(vpage);
    Process::Page page;
    if (it == p.pages.end()) {
      page.guest = allocate();
      written.push_back(page.guest);
    } else {
      page = it->second;
      if (!content || page.hash != hash) written.push_back(page.guest);
      p.pages.erase(it);
    }
    page.hash = hash;
    kept.emplace(vpage, page);
  };
  constexpr std::uint64_t kChunk = 512;  // pages read from pagemap (and mem) at a time
  for (const Mapping& m : maps) {
    for (std::uint64_t v = m.start; v < m.end; v += kChunk) {
      const std::uint64_t n = std::min(kChunk, m.end - v);
      p.entries.resize(n);
      const ssize_t got =
          ::pread(p.pagemap.get(), p.entries.data(), n * 8, static_cast<off_t>(v * 8));
      if (got <= 0) break;
      const std::uint64_t have = static_cast<std::uint64_t>(got) / 8;
      if (content) p.data.resize(n * page_size_);
      for (std::uint64_t i = 0; i < have; ++i) {
        const std::uint64_t e = p.entries[i];
        const std::uint64_t vpage = v + i;
        if (!content) {
          if ((e & (kPresent | kSwapped)) == 0) continue;
          if (e & kSoftDirty) {
            touch(vpage, 0);
          } else if (auto it = p.pages.find(vpage); it != p.pages.end()) {
            kept.emplace(vpage, it->second);  // present, not written: keeps its guest page
            p.pages.erase(it);
          }
          continue;
        }
        if ((e & kPresent) == 0) {
          if (auto it = p.pages.find(vpage); it != p.pages.end() && (e & kSwapped)) {
            kept.emplace(vpage, it->second);
            p.pages.erase(it);
          }
          continue;
        }
        // A run of present pages is read with one pread.
        std::uint64_t j = i;
        while (j + 1 < have && (p.entries[j + 1] & kPresent)) ++j;
        const std::uint64_t bytes = (j - i + 1) * page_size_;
        const ssize_t r =
            ::pread(p.mem.get(), p.data.data(), bytes, static_cast<off_t>(vpage * page_size_));
        const std::uint64_t pages_read = r > 0 ? static_cast<std::uint64_t>(r) / page_size_ : 0;
        for (std::uint64_t k = 0; k < pages_read; ++k)
          touch(vpage + k, XXH3_64bits(p.data.data() + k * page_size_, page_size_));
        i = j;
      }
    }
  }
  // Pages no longer mapped (or no longer present) give their guest pages back.
  for (const auto& [vpage, page] : p.pages) free_.insert(page.guest);
  p.pages = std::move(kept);
  if (!content && p.clear_refs.get() >= 0) {
    if (::pwrite(p.clear_refs.get(), "4", 1, 0) != 1 && errno != ESRCH)
      throw RecordError("writing 4 to " + proc(p.pid, "clear_refs") +
                        " failed: " + std::strerror(errno));
  }
}

bool Recorder::sample(std::vector<PageRun>& out) {
  std::vector<pid_t> live = processes();
  std::vector<std::uint64_t> written;
  // Processes that exited give their pages back.
  for (auto it = processes_.begin(); it != processes_.end();) {
    if (std::find(live.begin(), live.end(), it->first) == live.end() || ::kill(it->first, 0) != 0) {
      for (const auto& [vpage, page] : it->second->pages) free_.insert(page.guest);
      it = processes_.erase(it);
    } else {
      ++it;
    }
  }
  for (const pid_t pid : live) {
    if (processes_.count(pid) == 0) {
      try {
        auto p = std::make_unique<Process>();
        p->pid = pid;
        p->pagemap = open_or_throw(pid, "pagemap", O_RDONLY);
        if (options_.method == RecordMethod::kContent)
          p->mem = open_or_throw(pid, "mem", O_RDONLY);
        else
          p->clear_refs = open_or_throw(pid, "clear_refs", O_WRONLY);
        processes_.emplace(pid, std::move(p));
      } catch (const RecordError&) {
        if (pid == options_.pid) throw;
        continue;  // a child that exited before we could open it
      }
    }
    sample_process(*processes_.at(pid), written);
  }
  std::sort(written.begin(), written.end());
  out.clear();
  for (const std::uint64_t g : written) {
    if (!out.empty() && out.back().first + out.back().count == g)
      ++out.back().count;
    else
      out.push_back({g, 1});
  }
  return !processes_.empty() && alive(options_.pid);
}

std::shared_ptr<const Trace> record_trace(Recorder& recorder, std::int64_t interval_ns,
                                          std::int64_t duration_ns, const std::string& source,
                                          std::uint64_t memory_pages, const volatile bool* stop) {
  using Clock = std::chrono::steady_clock;
  std::vector<std::vector<PageRun>> frames;
  std::vector<PageRun> runs;
  recorder.sample(runs);  // the baseline: what the process holds when recording starts
  const auto start = Clock::now();
  for (std::uint64_t k = 1;; ++k) {
    if (duration_ns > 0 && static_cast<std::int64_t>(k) * interval_ns > duration_ns) break;
    std::this_thread::sleep_until(
        start + std::chrono::nanoseconds(interval_ns * static_cast<std::int64_t>(k)));
    const bool alive = recorder.sample(runs);
    frames.push_back(runs);
    if (!alive || (stop && *stop)) break;
  }
  TraceHeader h;
  h.page_size = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  h.interval_ns = interval_ns;
  h.source = source;
  const std::uint64_t mib = (std::uint64_t{1} << 20) / h.page_size;
  h.pages = memory_pages != 0
                ? memory_pages
                : std::max<std::uint64_t>(mib, (recorder.pages_used() + mib - 1) / mib * mib);
  TraceBuilder b(h);
  for (auto& f : frames) b.add_frame(std::move(f));
  return b.finish();
}

}  // namespace migsim::workloads
