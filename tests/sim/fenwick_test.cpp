#include <catch2/catch.hpp>

#include "sim/fenwick.h"
#include "sim/random.h"

using migsim::sim::Fenwick;

TEST_CASE("Fenwick prefix sums and search agree with a plain array", "[fenwick]") {
  migsim::sim::RandomStream rng(1, 0, "fenwick");
  for (const std::size_t n : {1UL, 2UL, 7UL, 64UL, 1000UL}) {
    std::vector<std::int64_t> v(n);
    for (auto& x : v) x = static_cast<std::int64_t>(rng.below(5));
    Fenwick f(v);
    for (int step = 0; step < 300; ++step) {
      const std::size_t i = rng.below(n);
      const auto delta = static_cast<std::int64_t>(rng.below(4));
      v[i] += delta;
      f.add(i, delta);
      std::int64_t s = 0;
      for (std::size_t k = 0; k <= n; ++k) {
        REQUIRE(f.prefix(k) == s);
        if (k < n) s += v[k];
      }
      const auto target = static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(s) + 2));
      std::size_t expect = 0;
      std::int64_t run = 0;
      while (expect < n && run + v[expect] <= target) run += v[expect++];
      REQUIRE(f.upper_bound(target) == expect);
    }
  }
}
