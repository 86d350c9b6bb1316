#include <catch2/catch.hpp>

#include <bit>
#include <cmath>
#include <vector>

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

TEST_CASE(
    "the staleness record is set by writes at the source and cleared when a current copy arrives",
    "[stale]") {
  vm::GuestMemory m(small(128), 1, 0);
  CHECK(m.stale_count() == 128);  // the destination starts with nothing
  m.capture(0, ~sim::Bitmap::Word{0});
  m.capture(1, ~sim::Bitmap::Word{0});
  CHECK(m.stale_count() == 128);  // captured is not there yet
  CHECK(m.in_flight(5));
  m.write_page(5);  // the copy of page 5 on the wire is now outdated
  CHECK_FALSE(m.in_flight(5));
  CHECK(m.arrive(0, ~sim::Bitmap::Word{0}) == 63);
  CHECK(m.arrive(1, ~sim::Bitmap::Word{0}) == 64);
  CHECK(m.stale_count() == 1);
  CHECK(m.first_stale_page() == 5);
  CHECK(m.arrive(0, sim::Bitmap::Word{1} << 5) == 0);  // a second arrival changes nothing
  m.capture(0, sim::Bitmap::Word{1} << 5);
  CHECK(m.arrive(0, sim::Bitmap::Word{1} << 5) == 1);
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
  CHECK(m.zero_pages_at_start() == before);  // counted while building = a full scan
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

TEST_CASE("random writes mark each unsettled page with probability p", "[random-writes]") {
  // Binomial(N, p): the count is within 5 standard deviations of N p.
  for (const double p : {0.001, 0.05, 0.3, 0.6, 0.97}) {
    INFO(p);
    vm::GuestMemory m(small(1 << 18), 1, 0);
    sim::RandomStream rng(3, 0, "test");
    m.write_random(1000, 200000, p, rng);
    const double n = 200000, got = static_cast<double>(m.log_count());
    CHECK(std::abs(got - n * p) <= 5 * std::sqrt(n * p * (1 - p)) + 1);
    sim::Bitmap pending(m.pages());
    (void)m.fetch_and_clear(pending);
    CHECK(pending.count_range(0, 1000) == 0);  // nothing outside the range
    CHECK(pending.count_range(201000, m.pages() - 201000) == 0);
  }
}

TEST_CASE("random writes do no work on settled pages", "[random-writes]") {
  // Every page dirty, data and stale: writing again changes nothing, so no random draw is spent.
  vm::GuestMemory m(small(1 << 16), 1, 0);
  m.write_range(0, m.pages());
  CHECK(m.unsettled_count(0, m.pages()) == 0);
  sim::RandomStream used(9, 0, "w"), fresh(9, 0, "w");
  m.write_random(0, m.pages(), 0.2, used);
  CHECK(used.next_u64() == fresh.next_u64());
  // Sending a page (capture) unsettles it: a write would outdate the copy on the wire.
  m.capture(10, ~vm::GuestMemory::Word{0});
  CHECK(m.unsettled_count(0, m.pages()) == 64);
  m.write_random(0, m.pages(), 1.0, used);
  CHECK(m.unsettled_count(0, m.pages()) == 0);
  // A copy that arrives makes its pages current: only those can change.
  m.capture(10, ~vm::GuestMemory::Word{0});
  m.arrive(10, ~vm::GuestMemory::Word{0});
  const auto stale_before = m.stale_count();
  CHECK(m.unsettled_count(0, m.pages()) == 64);
  m.write_random(0, m.pages(), 1.0, used);
  CHECK(m.stale_count() == stale_before + 64);
}

TEST_CASE("the settled counts agree with the bitmaps after any mix of operations",
          "[random-writes]") {
  sim::RandomStream rng(5, 0, "ops");
  for (const std::int64_t pages : {64 * 64 * 3 + 17, 4096 * 5}) {
    vm::VmParams params = small(pages);
    params.zero_fraction = 0.3;
    vm::GuestMemory m(params, 2, 0);
    sim::Bitmap pending(m.pages());
    for (int step = 0; step < 400; ++step) {
      const std::uint64_t a = rng.below(m.pages()), b = rng.below(m.pages() - a) + 1;
      switch (rng.below(6)) {
        case 0:
          m.write_range(a, b);
          break;
        case 1:
          m.write_random(a, b, rng.uniform01() * 0.7, rng);
          break;
        case 2:
          (void)m.fetch_and_clear(pending);
          break;
        case 3:
          m.capture(a / 64, rng.next_u64());
          break;
        case 4:
          m.arrive(a / 64, rng.next_u64());
          break;
        default:
          m.write_page(a);
          break;
      }
      // Brute force: a page is settled when its log, data and stale bits are all set and no
      // copy of it is in flight.
      const std::uint64_t first = rng.below(m.pages()), count = rng.below(m.pages() - first) + 1;
      std::uint64_t unsettled = 0;
      for (std::uint64_t pg = first; pg < first + count; ++pg) {
        const auto w = pg / 64;
        const auto bit = vm::GuestMemory::Word{1} << (pg % 64);
        const bool settled =
            (m.peek(w) & m.data_word(w) & m.stale_word(w) & ~m.in_flight_word(w) & bit) != 0;
        unsettled += settled ? 0 : 1;
      }
      REQUIRE(m.unsettled_count(first, count) == unsettled);
    }
  }
}

TEST_CASE("random writes choose exactly the pages a page-by-page draw would", "[random-writes]") {
  // Reference: list the unsettled pages of the range in order, then walk geometric gaps over the
  // list (sparse: gaps between chosen pages; dense, p >= 1/2: between missed ones). The block,
  // group and tree shortcuts must choose the same pages from the same stream.
  sim::RandomStream setup(17, 0, "setup");
  std::size_t written = 0;
  for (const std::int64_t pages : {4096 * 300 + 700, 4096 * 9 + 700, 64 * 8 * 5 + 3}) {
    for (const double p : {2e-6, 1e-5, 0.002, 0.04, 0.3, 0.5, 0.8}) {
      INFO("pages " << pages << " p " << p);
      vm::GuestMemory m(small(pages), 1, 0);
      // Scatter settled pages: whole regions, single words, and sent pages.
      m.write_range(setup.below(m.pages() / 2), setup.below(m.pages() / 2));
      for (int i = 0; i < 50; ++i) m.write_mask(setup.below(m.word_count()), setup.next_u64());
      for (int i = 0; i < 30; ++i) m.capture(setup.below(m.word_count()), setup.next_u64());
      const std::uint64_t first = setup.below(m.pages() / 3);
      const std::uint64_t count = m.pages() - first - setup.below(m.pages() / 3);

      std::vector<std::uint64_t> candidates;
      for (std::uint64_t pg = first; pg < first + count; ++pg) {
        const auto w = pg / 64;
        const auto bit = vm::GuestMemory::Word{1} << (pg % 64);
        if ((m.peek(w) & m.data_word(w) & m.stale_word(w) & ~m.in_flight_word(w) & bit) == 0)
          candidates.push_back(pg);
      }
      REQUIRE(candidates.size() == m.unsettled_count(first, count));
      sim::RandomStream rng(23, 0, "w"), reference = rng;
      const bool dense = p >= 0.5;
      const sim::RandomStream::Geometric gap(dense ? 1.0 - p : p);
      std::vector<bool> chosen(candidates.size(), dense);
      for (std::uint64_t i = gap(reference, candidates.size()); i < candidates.size();
           i += 1 + gap(reference, candidates.size()))
        chosen[i] = !dense;
      std::vector<std::uint64_t> expected;  // a write settles exactly the chosen candidates
      for (std::size_t i = 0; i < candidates.size(); ++i)
        if (chosen[i]) expected.push_back(candidates[i]);

      const auto settled = [&m](std::uint64_t w) {
        return m.peek(w) & m.data_word(w) & m.stale_word(w) & ~m.in_flight_word(w);
      };
      std::vector<vm::GuestMemory::Word> before(m.word_count());
      for (std::uint64_t w = 0; w < m.word_count(); ++w) before[w] = settled(w);
      m.write_random(first, count, p, rng);
      std::vector<std::uint64_t> got;
      for (std::uint64_t w = 0; w < m.word_count(); ++w)
        for (auto bits = settled(w) & ~before[w]; bits != 0; bits &= bits - 1)
          got.push_back(w * 64 + static_cast<std::uint64_t>(std::countr_zero(bits)));
      CHECK(got == expected);
      written += expected.size();
    }
  }
  CHECK(written > 10000);
}

TEST_CASE("word masks past the last page touch nothing", "[dirty-log]") {
  vm::GuestMemory m(small(100), 1, 0);  // words: 64 pages + 36 pages
  m.write_mask(1, ~vm::GuestMemory::Word{0});
  CHECK(m.log_count() == 36);
  m.capture(1, ~vm::GuestMemory::Word{0});
  CHECK(m.arrive(1, ~vm::GuestMemory::Word{0}) == 36);  // only the 36 real pages of word 1
  CHECK(m.stale_count() == 64);
  CHECK(m.unsettled_count(0, 100) == 100);
  sim::Bitmap pending(m.pages());
  const auto f = m.fetch_and_clear(pending);
  CHECK(f.dirty_count == 36);
  CHECK(pending.count() == 36);
  CHECK(m.unsettled_count(0, 100) == 100);
}

TEST_CASE("at the destination the guest writes only held pages, and the counts follow arrivals",
          "[destination]") {
  sim::RandomStream rng(8, 0, "dest");
  vm::VmParams params = small(4096 * 6 + 100);
  vm::GuestMemory m(params, 3, 0);
  // Half the pages arrive before the switch.
  for (std::uint64_t w = 0; w < m.word_count(); w += 2) {
    m.capture(w, ~vm::GuestMemory::Word{0});
    m.arrive(w, ~vm::GuestMemory::Word{0});
  }
  m.write_range(0, 64);  // word 0 is stale again
  m.run_at(vm::Side::kDestination);
  CHECK(m.missing_count() == m.stale_count());
  CHECK_FALSE(m.held(0));
  CHECK(m.held(128));
  m.write_page(3);  // missing: a violation, and nothing changes
  CHECK(m.access_violations() == 1);
  m.read_range(60, 10);  // pages 60-63 missing, 64-69 missing (odd word)
  CHECK(m.access_violations() == 11);
  sim::Bitmap pending(m.pages());
  for (int step = 0; step < 300; ++step) {
    const std::uint64_t a = rng.below(m.pages()), b = rng.below(m.pages() - a) + 1;
    switch (rng.below(4)) {
      case 0:
        m.write_random(a, b, rng.uniform01() * 0.7, rng);
        break;
      case 1:
        m.capture(a / 64, rng.next_u64());
        break;
      case 2:
        m.arrive(a / 64, rng.next_u64());
        break;
      default:
        (void)m.fetch_and_clear(pending);
        break;
    }
    // Brute force: settled = missing, or logged data; the missing index counts stale pages.
    const std::uint64_t first = rng.below(m.pages()), count = rng.below(m.pages() - first) + 1;
    std::uint64_t unsettled = 0, missing = 0, first_missing = first + count;
    std::vector<std::uint64_t> missing_pages;
    for (std::uint64_t pg = first; pg < first + count; ++pg) {
      const auto w = pg / 64;
      const auto bit = vm::GuestMemory::Word{1} << (pg % 64);
      const bool stale = (m.stale_word(w) & bit) != 0;
      const bool settled = stale || (m.peek(w) & m.data_word(w) & bit) != 0;
      unsettled += settled ? 0 : 1;
      if (stale) {
        missing_pages.push_back(pg);
        if (missing++ == 0) first_missing = pg;
      }
    }
    REQUIRE(m.unsettled_count(first, count) == unsettled);
    REQUIRE(m.missing_in(first, count) == missing);
    REQUIRE(m.next_missing(first, first + count) == first_missing);
    if (missing > 0) {
      const std::uint64_t k = rng.below(missing);
      REQUIRE(m.kth_missing(first, count, k) == missing_pages[k]);
    }
    REQUIRE(m.missing_count() == m.stale_count());
  }
  CHECK(m.access_violations() == 11);  // random writes never touch a missing page
}
