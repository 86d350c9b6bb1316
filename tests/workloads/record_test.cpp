// The recorder on a child process that writes a known set of pages between two samples.
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <set>

#include "workloads/trace_record.h"

namespace migsim {
namespace {

using workloads::PageRun;

constexpr std::size_t kPages = 256;
const std::set<std::size_t> kWritten = {3, 17, 18, 19, 100, 101, 102, 103, 104, 200, 255};

// A child that maps kPages pages, fills them, reports the mapping's address, then on each byte
// from `go` writes the pages of kWritten (new values each time) and answers on `done`.
struct Child {
  pid_t pid = -1;
  std::uintptr_t base = 0;
  int go = -1, done = -1;

  Child() {
    int to_child[2], from_child[2];
    REQUIRE(::pipe(to_child) == 0);
    REQUIRE(::pipe(from_child) == 0);
    pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      const long page = ::sysconf(_SC_PAGESIZE);
      auto* m = static_cast<unsigned char*>(::mmap(nullptr, kPages * page, PROT_READ | PROT_WRITE,
                                                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
      for (std::size_t i = 0; i < kPages; ++i) std::memset(m + i * page, 0x5a, page);
      auto address = reinterpret_cast<std::uintptr_t>(m);
      (void)!::write(from_child[1], &address, sizeof address);
      unsigned char round = 0;
      while (::read(to_child[0], &round, 1) == 1) {
        for (const std::size_t p : kWritten)
          m[p * page + 7] = static_cast<unsigned char>(round + 1);
        (void)!::write(from_child[1], &round, 1);
      }
      ::_exit(0);
    }
    ::close(to_child[0]);
    ::close(from_child[1]);
    go = to_child[1];
    done = from_child[0];
    REQUIRE(::read(done, &base, sizeof base) == sizeof base);
  }
  void write_pages(unsigned char round) {
    REQUIRE(::write(go, &round, 1) == 1);
    unsigned char ack = 0;
    REQUIRE(::read(done, &ack, 1) == 1);
  }
  ~Child() {
    ::close(go);
    ::close(done);
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
};

std::set<std::uint64_t> pages_of(const std::vector<PageRun>& runs) {
  std::set<std::uint64_t> s;
  for (const auto& r : runs)
    for (std::uint64_t p = r.first; p < r.first + r.count; ++p) s.insert(p);
  return s;
}

void check_recorder(workloads::RecordMethod method) {
  Child child;
  workloads::RecordOptions o;
  o.pid = child.pid;
  o.method = method;
  workloads::Recorder recorder(o);
  std::vector<PageRun> runs;
  REQUIRE(recorder.sample(runs));  // baseline: everything present
  const long page = ::sysconf(_SC_PAGESIZE);
  std::set<std::uint64_t> expected;
  for (const std::size_t p : kWritten) {
    const auto g = recorder.guest_page(child.pid, child.base + p * page);
    REQUIRE(g.has_value());
    expected.insert(*g);
  }
  CHECK(pages_of(runs).size() >= kPages);
  for (unsigned char round = 0; round < 3; ++round) {
    child.write_pages(round);
    REQUIRE(recorder.sample(runs));
    const std::set<std::uint64_t> got = pages_of(runs);
    // Every known page, and nothing else from the mapping (the child's stack and libc may add a
    // page or two outside it).
    for (const std::uint64_t g : expected) CHECK(got.count(g) == 1);
    std::size_t in_mapping = 0;
    for (std::size_t p = 0; p < kPages; ++p)
      if (got.count(*recorder.guest_page(child.pid, child.base + p * page))) ++in_mapping;
    CHECK(in_mapping == kWritten.size());
    CHECK(got.size() <= kWritten.size() + 4);
  }
  // A quiet interval: nothing in the mapping is written.
  REQUIRE(recorder.sample(runs));
  const std::set<std::uint64_t> quiet = pages_of(runs);
  for (const std::uint64_t g : expected) CHECK(quiet.count(g) == 0);
}

TEST_CASE("recorder: content comparison finds exactly the pages a child process writes") {
  check_recorder(workloads::RecordMethod::kContent);
}

TEST_CASE("recorder: soft-dirty bits find exactly the pages a child process writes") {
  std::string why;
  if (!workloads::soft_dirty_supported(why)) {
    // This kernel cannot do it: the recorder must refuse with the reason, not record nothing.
    Child child;
    workloads::RecordOptions o;
    o.pid = child.pid;
    CHECK_THROWS_WITH(workloads::Recorder(o),
                      Catch::Contains("soft-dirty") && Catch::Contains("--method content"));
    WARN("soft-dirty recording skipped: " << why);
    return;
  }
  check_recorder(workloads::RecordMethod::kSoftDirty);
}

TEST_CASE("recorder: a missing process is a clear error") {
  Child child;
  const pid_t gone = child.pid;
  ::kill(gone, SIGKILL);
  ::waitpid(gone, nullptr, 0);
  child.pid = -1;
  workloads::RecordOptions o;
  o.pid = gone;
  o.method = workloads::RecordMethod::kContent;
  CHECK_THROWS_WITH(workloads::Recorder(o), "no process with PID " + std::to_string(gone));
}

}  // namespace
}  // namespace migsim
