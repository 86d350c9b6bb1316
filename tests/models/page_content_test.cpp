// The sample pages the codec calibration compresses have the character their class claims.
#include <array>
#include <bit>
#include <catch2/catch.hpp>
#include <cmath>
#include <string>
#include <vector>

#include "models/vm/guest_memory.h"
#include "models/vm/page_content.h"

using namespace migsim;

namespace {

std::vector<std::uint8_t> sample(vm::DataClass c, int pages, std::uint64_t seed) {
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(pages) * 4096);
  sim::RandomStream rng(seed, 0, "test.page-content");
  for (int p = 0; p < pages; ++p)
    vm::fill_page(c, std::span<std::uint8_t>(bytes.data() + p * 4096, 4096), rng);
  return bytes;
}

// Shannon entropy of the byte histogram, bits per byte.
double entropy(const std::vector<std::uint8_t>& bytes) {
  std::array<double, 256> n{};
  for (auto b : bytes) n[b] += 1;
  double h = 0;
  for (double k : n)
    if (k > 0)
      h -= k / static_cast<double>(bytes.size()) * std::log2(k / static_cast<double>(bytes.size()));
  return h;
}

}  // namespace

TEST_CASE("sample pages are deterministic per stream and differ across streams", "[content]") {
  for (const auto c : vm::kDataClasses) {
    INFO(vm::data_class_name(c));
    CHECK(sample(c, 4, 1) == sample(c, 4, 1));
    CHECK(sample(c, 4, 1) != sample(c, 4, 2));
  }
}

TEST_CASE(
    "each content class has its character: text printable, sparse mostly zero, random "
    "full entropy, binary in between",
    "[content]") {
  const auto text = sample(vm::DataClass::kText, 64, 3);
  for (auto b : text) REQUIRE((b == '\n' || (b >= 0x20 && b < 0x7f)));
  const auto sparse = sample(vm::DataClass::kSparse, 64, 3);
  const auto zeros = std::count(sparse.begin(), sparse.end(), std::uint8_t{0});
  CHECK(static_cast<double>(zeros) / static_cast<double>(sparse.size()) > 0.85);
  const double h_random = entropy(sample(vm::DataClass::kRandom, 64, 3));
  const double h_binary = entropy(sample(vm::DataClass::kBinary, 64, 3));
  const double h_text = entropy(text);
  CHECK(h_random > 7.99);
  CHECK(h_binary < h_random - 0.5);
  CHECK(h_text < 5.0);
}

// --- page classes held in GuestMemory ---

namespace {
vm::VmParams pages_of(std::int64_t pages) {
  vm::VmParams p;
  p.memory = sim::Bytes{pages * 4096};
  return p;
}
double share(const vm::GuestMemory& m, vm::PageClass c) {
  return static_cast<double>(m.class_counts()[static_cast<std::size_t>(c)]) /
         static_cast<double>(m.pages());
}
}  // namespace

TEST_CASE("the initial content mix follows the fractions in both layouts", "[content]") {
  for (const char* layout : {"random", "runs"}) {
    vm::VmParams p = pages_of(1 << 18);
    p.zero_fraction = 0.1;
    p.duplicate_fraction = 0.05;
    p.storage_fraction = 0.4;
    p.text_fraction = 0.1;
    p.sparse_fraction = 0.05;
    p.random_fraction = 0.1;
    p.content_layout = layout;
    p.content_run_pages = 32;
    vm::GuestMemory m(p, 3, 0);
    INFO(layout);
    // Runs of 32 pages: about 8192 runs, so the shares are within a few percent of the target.
    const double tol = std::string(layout) == "runs" ? 0.03 : 0.005;
    CHECK(share(m, vm::PageClass::kZero) == Approx(0.1).margin(tol));
    CHECK(share(m, vm::PageClass::kDuplicate) == Approx(0.05).margin(tol));
    CHECK(share(m, vm::PageClass::kStorage) + share(m, vm::PageClass::kStorageNext) ==
          Approx(0.4).margin(tol));
    CHECK(share(m, vm::data_page(vm::DataClass::kText)) == Approx(0.1).margin(tol));
    CHECK(share(m, vm::data_page(vm::DataClass::kSparse)) == Approx(0.05).margin(tol));
    CHECK(share(m, vm::data_page(vm::DataClass::kRandom)) == Approx(0.1).margin(tol));
    CHECK(share(m, vm::data_page(vm::DataClass::kBinary)) == Approx(0.2).margin(tol));
    // Random placement gives no block contiguity (every on-storage page is its own run); runs
    // give extents of consecutive blocks.
    const auto starts = m.class_counts()[static_cast<std::size_t>(vm::PageClass::kStorage)];
    const auto nexts = m.class_counts()[static_cast<std::size_t>(vm::PageClass::kStorageNext)];
    if (std::string(layout) == "random") {
      CHECK(nexts == 0);
    } else {
      CHECK(static_cast<double>(nexts) / static_cast<double>(starts) > 20.0);  // mean run ~32
    }
  }
}

TEST_CASE("runs of zero pages leave far more data among the pages a scan has not reached",
          "[content]") {
  // QEMU measurement (issue 7): zero pages cluster. With runs, a window of memory is mostly all
  // zero or all data; with random placement every window holds the average mix.
  vm::VmParams p = pages_of(1 << 16);
  p.zero_fraction = 0.5;
  p.content_run_pages = 4096;
  p.content_layout = "runs";
  vm::GuestMemory runs(p, 11, 0);
  p.content_layout = "random";
  vm::GuestMemory scattered(p, 11, 0);
  const auto spread = [](const vm::GuestMemory& m) {  // variance of the zero share per 64 pages
    double sum = 0, sq = 0;
    const auto words = m.word_count();
    for (std::uint64_t w = 0; w < words; ++w) {
      const double z = std::popcount(m.class_word(w, vm::PageClass::kZero)) / 64.0;
      sum += z;
      sq += z * z;
    }
    const double mean = sum / static_cast<double>(words);
    return sq / static_cast<double>(words) - mean * mean;
  };
  CHECK(spread(runs) > 0.15);       // near 0.25 for all-or-nothing words
  CHECK(spread(scattered) < 0.01);  // binomial: 0.25 / 64
}

TEST_CASE("a write turns a page without data into the writer's class and keeps a data page's",
          "[content]") {
  vm::VmParams p = pages_of(256);
  p.written_class = "text";
  vm::GuestMemory m(p, 1, 0);
  CHECK(m.page_class(10) == vm::data_page(vm::DataClass::kBinary));
  m.write_page(10);
  CHECK(m.page_class(10) == vm::data_page(vm::DataClass::kBinary));  // data keeps its class
  m.store_to_disk(20, 8);
  CHECK(m.page_class(20) == vm::PageClass::kStorage);
  CHECK(m.page_class(21) == vm::PageClass::kStorageNext);
  m.write_page(22);
  CHECK(m.page_class(22) == vm::data_page(vm::DataClass::kText));
  CHECK(m.page_class(23) == vm::PageClass::kStorage);  // the rest of the extent is its own run
  {
    vm::GuestMemory::WriteClass scope(m, vm::DataClass::kRandom);
    m.write_page(24);
  }
  CHECK(m.page_class(24) == vm::data_page(vm::DataClass::kRandom));
  m.write_page(25);
  CHECK(m.page_class(25) == vm::data_page(vm::DataClass::kText));
}

TEST_CASE("disk reads through the page cache change pages and write-backs only relabel them",
          "[content]") {
  vm::GuestMemory m(pages_of(4096), 1, 0);
  sim::Bitmap pending(m.pages());
  (void)m.fetch_and_clear(pending);
  m.store_to_disk(100, 50);  // write-back: the content is now on disk, the pages unchanged
  CHECK(m.log_count() == 0);
  CHECK(m.page_class(100) == vm::PageClass::kStorage);
  CHECK(m.page_class(149) == vm::PageClass::kStorageNext);
  CHECK(m.stale_count() == m.pages());  // nothing sent yet
  m.load_from_disk(120, 10);            // a read into the middle of that extent: a new run there
  CHECK(m.log_count() == 10);
  CHECK(m.page_class(120) == vm::PageClass::kStorage);
  CHECK(m.page_class(129) == vm::PageClass::kStorageNext);
  CHECK(m.page_class(130) == vm::PageClass::kStorage);  // no longer continues block 120+9
  CHECK(m.page_class(119) == vm::PageClass::kStorageNext);
  // A loaded page is not settled: another write changes its class, so random writers see it.
  CHECK(m.unsettled_count(120, 10) == 10);
}

TEST_CASE("fractions adding up to more than one are rejected", "[content]") {
  vm::VmParams p = pages_of(256);
  p.zero_fraction = 0.6;
  p.storage_fraction = 0.5;
  CHECK_THROWS_AS(vm::GuestMemory::validate(p), sim::ParamError);
  p.storage_fraction = 0.4;
  CHECK_NOTHROW(vm::GuestMemory::validate(p));
}
