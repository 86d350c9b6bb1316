#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "sim/random.h"

using namespace migsim::sim;

TEST_CASE("a stream is reproducible from (seed, replicate, name)", "[random]") {
  RandomStream a(42, 3, "workload.uniform"), b(42, 3, "workload.uniform");
  for (int i = 0; i < 1000; ++i) REQUIRE(a.next_u64() == b.next_u64());
}

TEST_CASE("the generator's output is fixed across compilers and libraries", "[random]") {
  // Known answers from an independent Python implementation of the documented derivation
  // (splitmix64 over seed, replicate and FNV-1a of the name, then xoshiro256**).
  RandomStream s(0, 0, "");
  CHECK(s.next_u64() == 0xd4e9384e6f5a37c4ULL);
  CHECK(s.next_u64() == 0x98f31a73738390ffULL);
  CHECK(s.next_u64() == 0x4853b0223447cbcfULL);
  RandomStream t(1, 2, "workload.memtester");
  CHECK(t.next_u64() == 0xf469c5398ee41db6ULL);
  CHECK(t.next_u64() == 0x643c2de96f199c79ULL);
  CHECK(t.next_u64() == 0x33528fd65c0a4122ULL);
  // FNV-1a reference vectors (FNV specification).
  CHECK(fnv1a64("") == 0xcbf29ce484222325ULL);
  CHECK(fnv1a64("a") == 0xaf63dc4c8601ec8cULL);
  CHECK(fnv1a64("foobar") == 0x85944171f73967e8ULL);
}

TEST_CASE("streams with different names, replicates or seeds are independent", "[random]") {
  const int n = 20000;
  const auto corr = [&](RandomStream x, RandomStream y) {
    double sx = 0, sy = 0, sxy = 0, sxx = 0, syy = 0;
    for (int i = 0; i < n; ++i) {
      const double a = x.uniform01(), b = y.uniform01();
      sx += a;
      sy += b;
      sxy += a * b;
      sxx += a * a;
      syy += b * b;
    }
    const double cov = sxy / n - (sx / n) * (sy / n);
    return cov / std::sqrt((sxx / n - (sx / n) * (sx / n)) * (syy / n - (sy / n) * (sy / n)));
  };
  // |r| < 0.03 holds with probability > 99.99% for independent streams of 20000.
  CHECK(std::abs(corr(RandomStream(1, 0, "a"), RandomStream(1, 0, "b"))) < 0.03);
  CHECK(std::abs(corr(RandomStream(1, 0, "a"), RandomStream(1, 1, "a"))) < 0.03);
  CHECK(std::abs(corr(RandomStream(1, 0, "a"), RandomStream(2, 0, "a"))) < 0.03);
  RandomStream p(1, 0, "a"), q(1, 0, "b");
  int equal = 0;
  for (int i = 0; i < 1000; ++i) equal += p.next_u64() == q.next_u64();
  CHECK(equal == 0);
}

TEST_CASE("below(n) is uniform over 0 .. n - 1", "[random]") {
  RandomStream s(7, 0, "below");
  const int buckets = 10, draws = 100000;
  std::vector<int> count(buckets, 0);
  for (int i = 0; i < draws; ++i) {
    const auto v = s.below(buckets);
    REQUIRE(v < buckets);
    ++count[v];
  }
  double chi2 = 0;
  for (int c : count)
    chi2 += (c - draws / buckets) * (c - draws / buckets) / double(draws / buckets);
  CHECK(chi2 < 27.88);  // chi-square 9 dof, p = 0.001
}

TEST_CASE("geometric(p) has mean (1 - p) / p and respects its cap", "[random]") {
  RandomStream s(9, 0, "geo");
  for (double p : {0.01, 0.2, 0.7}) {
    double sum = 0;
    const int n = 200000;
    for (int i = 0; i < n; ++i) sum += static_cast<double>(s.geometric(p, 1000000000));
    const double mean = (1 - p) / p;
    const double sd = std::sqrt(1 - p) / p / std::sqrt(double(n));
    CHECK(std::abs(sum / n - mean) < 5 * sd);
  }
  for (int i = 0; i < 100; ++i) CHECK(s.geometric(1e-9, 10) <= 10);
  CHECK(s.geometric(1.0, 10) == 0);
}

TEST_CASE("a geometric draw is floor(log u / log(1 - p)) of the stream's next uniform",
          "[random]") {
  // Our own logarithm (table + series) must agree with libm's wherever the quotient is not within
  // rounding of an integer, over the whole range of u, including u near 1 and near 2^-53.
  for (double p : {1e-12, 1e-6, 0.001, 0.034, 0.5, 0.93}) {
    RandomStream draws(11, 0, "geo-exact");
    RandomStream copy = draws;
    int compared = 0;
    for (int i = 0; i < 100000; ++i) {
      const double u = 1.0 - copy.uniform01();
      const double q = std::log(u) / std::log1p(-p);
      const auto got = draws.geometric(p, std::uint64_t{1} << 62);
      if (std::abs(q - std::round(q)) < 1e-14 * std::max(1.0, q)) continue;
      ++compared;
      REQUIRE(got == static_cast<std::uint64_t>(std::floor(q)));
    }
    INFO("p = " << p);
    CHECK(compared > 95000);
  }
  // Filling a buffer gives the same draws, in the same order, as drawing one by one.
  RandomStream a(5, 1, "fill"), b = a;
  const RandomStream::Geometric g(0.2);
  std::uint64_t buffer[100];
  g.fill(a, 50, buffer, 100);
  for (std::uint64_t v : buffer) REQUIRE(v == g(b, 50));
}

TEST_CASE("our logarithm is within a few ulps of the exact one over [2^-53, 1]", "[random]") {
  CHECK(log_unit(1.0) == 0.0);
  // Just below 1, where cancellation would lose the relative precision.
  for (double x = 1.0, i = 0; i < 2000; ++i) {
    x = std::nextafter(x, 0.0);
    const double exact = std::log(x);
    REQUIRE(std::abs(log_unit(x) - exact) <= 8e-16 * std::abs(exact));
  }
  // Everywhere else, including the table's seams and the smallest u a draw can give.
  RandomStream s(3, 0, "log");
  for (int i = 0; i < 200000; ++i) {
    const double x = i % 2 == 0 ? 1.0 - s.uniform01() : std::ldexp(1.0 - s.uniform01(), -40);
    const double exact = std::log(x);
    REQUIRE(std::abs(log_unit(x) - exact) <= 8e-16 * std::abs(exact));
  }
  const double smallest = std::ldexp(1.0, -53);
  CHECK(std::abs(log_unit(smallest) - std::log(smallest)) <= 8e-16 * 37);
}

TEST_CASE("geometric gaps with p >= 1 are 0 and draw nothing, one by one or in a buffer",
          "[random]") {
  RandomStream a(8, 0, "p1"), b = a, fresh = a;
  const RandomStream::Geometric g(1.0);
  std::uint64_t buffer[70];
  g.fill(a, 9, buffer, 70);
  for (std::uint64_t v : buffer) CHECK(v == 0);
  CHECK(g(b, 9) == 0);
  CHECK(a.next_u64() == fresh.next_u64());
  CHECK(b.next_u64() == RandomStream(8, 0, "p1").next_u64());
}
