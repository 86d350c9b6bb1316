#include <catch2/catch.hpp>

#include "models/vm/guest_memory.h"

using namespace migsim;
using sim::Bytes;

namespace {
vm::VmParams small(std::int64_t pages) {
  vm::VmParams p;
  p.memory = Bytes{pages * 4096};
  return p;
}
}  // namespace

TEST_CASE("CLEAN returns the pages written since the last CLEAN and resets the log",
          "[dirty-log]") {
  vm::GuestMemory m(small(256), 1, 0);
  sim::Bitmap pending(m.pages());
  m.write_page(3);
  m.write_page(3);  // a second write to a dirty page adds nothing
  m.write_range(100, 10);
  const vm::LogFetch f = m.fetch_and_clear(pending);
  CHECK(f.dirty_count == 11);
  CHECK(f.newly_pending == 11);
  CHECK(pending.count() == 11);
  CHECK(pending.test(3));
  CHECK(pending.test(109));
  CHECK_FALSE(pending.test(110));
  CHECK(m.log_count() == 0);
  const vm::LogFetch again = m.fetch_and_clear(pending);
  CHECK(again.dirty_count == 0);
}

TEST_CASE("PEEK reads the log without modifying it", "[dirty-log]") {
  vm::GuestMemory m(small(128), 1, 0);
  m.write_page(5);
  m.write_page(70);
  CHECK(m.peek(0) == (sim::Bitmap::Word{1} << 5));
  CHECK(m.peek(0) == (sim::Bitmap::Word{1} << 5));
  CHECK(m.peek(1) == (sim::Bitmap::Word{1} << 6));
  CHECK(m.log_count() == 2);
}

TEST_CASE("a QEMU-style sync ORs into the pending set and counts only new pages", "[dirty-log]") {
  vm::GuestMemory m(small(128), 1, 0);
  sim::Bitmap pending(m.pages());
  pending.set(1);
  pending.set(2);
  m.write_page(2);
  m.write_page(9);
  const vm::LogFetch f = m.fetch_and_clear(pending);
  CHECK(f.dirty_count == 2);
  CHECK(f.newly_pending == 1);
  CHECK(pending.count() == 3);
}

TEST_CASE("the staleness record is set by every write and cleared by capture only", "[stale]") {
  vm::GuestMemory m(small(128), 1, 0);
  CHECK(m.stale_count() == 128);  // the destination starts with nothing
  m.capture(0, ~sim::Bitmap::Word{0});
  m.capture(1, ~sim::Bitmap::Word{0});
  CHECK(m.stale_count() == 0);
  sim::Bitmap pending(m.pages());
  m.write_page(77);
  (void)m.fetch_and_clear(pending);  // fetching the log does not make the destination current
  CHECK(m.stale_count() == 1);
  CHECK(m.first_stale_page() == 77);
  CHECK(m.sent_before(1, sim::Bitmap::Word{1} << 13) == (sim::Bitmap::Word{1} << 13));
}

TEST_CASE("zero pages start at the configured fraction and become data when written", "[content]") {
  vm::VmParams p = small(1 << 16);
  p.zero_fraction = 0.3;
  vm::GuestMemory m(p, 5, 0);
  const double frac = static_cast<double>(m.zero_page_count()) / static_cast<double>(m.pages());
  CHECK(frac == Approx(0.3).margin(0.01));
  const auto before = m.zero_page_count();
  m.write_range(0, 1 << 16);
  CHECK(m.zero_page_count() == 0);
  CHECK(before > 0);
  vm::GuestMemory same(p, 5, 0), other(p, 5, 1);
  CHECK(same.zero_page_count() == before);
  CHECK(other.zero_page_count() != before);
}

TEST_CASE("memory that is not a whole number of pages is rejected", "[vm]") {
  vm::VmParams p;
  p.memory = Bytes{4096 * 10 + 1};
  CHECK_THROWS_AS(vm::GuestMemory(p, 1, 0), sim::ParamError);
}
