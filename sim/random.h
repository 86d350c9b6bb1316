// Reproducible random streams. A stream is identified by (seed, replicate, name) and its output
// depends only on those: the generator (xoshiro256**) and the distributions below are our own
// code, so results do not change with the compiler or standard library (std:: distributions
// are implementation-defined). Streams with different names are statistically independent.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace migsim::sim {

class RandomStream {
 public:
  RandomStream(std::uint64_t seed, std::uint64_t replicate, std::string_view name);

  std::uint64_t next_u64();
  // Uniform in [0, 1) with 53 random bits.
  double uniform01();
  // Uniform integer in [0, n), n > 0, without modulo bias (Lemire's method).
  std::uint64_t below(std::uint64_t n);
  // Number of failures before the first success of a Bernoulli(p) sequence, 0 < p <= 1.
  // Capped at `cap` (callers pass the length of what they are scanning).
  std::uint64_t geometric(double p, std::uint64_t cap);

  // The same for many draws with one p: precomputes 1 / log(1 - p).
  class Geometric {
   public:
    explicit Geometric(double p);
    std::uint64_t operator()(RandomStream& rng, std::uint64_t cap) const;
    // Fills `out` with draws, exactly as calling operator() once per element would; the draws
    // are independent, so the processor overlaps them (several times faster than one by one).
    void fill(RandomStream& rng, std::uint64_t cap, std::uint64_t* out, std::size_t n) const;

   private:
    double inv_log_q_;  // 0 when p >= 1
  };

 private:
  std::array<std::uint64_t, 4> s_{};
};

// Natural logarithm of x in [2^-53, 1] (what geometric gaps need), the same on every machine:
// our own table and series, within a few units in the last place of the exact value, and
// exactly 0 at 1. Exposed for tests.
double log_unit(double x);

// FNV-1a, used to turn stream names into seeds. Exposed for tests.
std::uint64_t fnv1a64(std::string_view text);

}  // namespace migsim::sim
