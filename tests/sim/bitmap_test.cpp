#include <catch2/catch.hpp>
#include <vector>

#include "sim/bitmap.h"
#include "sim/random.h"

using namespace migsim::sim;

TEST_CASE("range operations agree with a bit-by-bit model", "[bitmap]") {
  RandomStream rng(3, 0, "bitmap");
  for (std::uint64_t size : {1ULL, 63ULL, 64ULL, 65ULL, 200ULL, 1000ULL}) {
    Bitmap b(size);
    std::vector<bool> model(size, false);
    for (int op = 0; op < 200; ++op) {
      const std::uint64_t first = rng.below(size);
      const std::uint64_t count = rng.below(size - first + 1);
      b.set_range(first, count);
      for (std::uint64_t i = first; i < first + count; ++i) model[i] = true;
      const std::uint64_t qf = rng.below(size);
      const std::uint64_t qc = rng.below(size - qf + 1);
      std::uint64_t expect = 0;
      for (std::uint64_t i = qf; i < qf + qc; ++i) expect += model[i];
      REQUIRE(b.count_range(qf, qc) == expect);
    }
    std::uint64_t total = 0;
    for (bool v : model) total += v;
    CHECK(b.count() == total);
    for (std::uint64_t i = 0; i < size; ++i) REQUIRE(b.test(i) == model[i]);
  }
}

TEST_CASE("set_all stays inside the bitmap and find_next walks set bits", "[bitmap]") {
  Bitmap b(130);
  b.set_all();
  CHECK(b.count() == 130);
  b.clear_all();
  CHECK(b.none());
  b.set(3);
  b.set(64);
  b.set(129);
  CHECK(b.find_next(0) == 3);
  CHECK(b.find_next(4) == 64);
  CHECK(b.find_next(65) == 129);
  b.reset(129);
  CHECK(b.find_next(65) == 130);
}

TEST_CASE("a bitmap built from a reused buffer starts clear, whatever its size", "[bitmap]") {
  // Destroyed bitmaps leave their (full) buffers to this thread's next bitmaps.
  for (int round = 0; round < 3; ++round) {
    std::vector<Bitmap> full;
    for (std::uint64_t size : {64 * 1000 + 5, 640, 64 * 3000, 1}) {
      full.emplace_back(size);
      full.back().set_all();
    }
    full.clear();
    for (std::uint64_t size : {640, 64 * 1000 + 5, 3, 64 * 2999 + 63, 64 * 5000}) {
      const Bitmap b(size);
      CHECK(b.size() == size);
      CHECK(b.word_count() == (size + 63) / 64);
      CHECK(b.count() == 0);
      CHECK(b.none());
    }
  }
  // Copies and moves keep their own words.
  Bitmap a(200);
  a.set_range(10, 50);
  Bitmap copy = a;
  const Bitmap moved = std::move(a);
  copy.set(150);
  CHECK(moved.count() == 50);
  CHECK(copy.count() == 51);
}

TEST_CASE("next_nonzero_word finds the first word with a set bit", "[bitmap]") {
  Bitmap b(64 * 100);
  CHECK(b.next_nonzero_word(0) == 100);
  for (std::uint64_t bit : {0, 64 * 7 + 3, 64 * 8, 64 * 63 + 63, 64 * 99 + 1}) b.set(bit);
  std::vector<std::uint64_t> seen;
  for (std::uint64_t w = b.next_nonzero_word(0); w < b.word_count(); w = b.next_nonzero_word(w + 1))
    seen.push_back(w);
  CHECK(seen == std::vector<std::uint64_t>{0, 7, 8, 63, 99});
}
