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
