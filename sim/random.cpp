#include "sim/random.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>

namespace migsim::sim {
namespace {

std::uint64_t splitmix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

constexpr std::uint64_t rotl(std::uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}

}  // namespace

std::uint64_t fnv1a64(std::string_view text) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

RandomStream::RandomStream(std::uint64_t seed, std::uint64_t replicate, std::string_view name) {
  std::uint64_t x = seed;
  std::uint64_t mix = splitmix64(x);
  x = mix ^ (replicate * 0xd1342543de82ef95ULL);
  mix = splitmix64(x);
  x = mix ^ fnv1a64(name);
  for (auto& word : s_) word = splitmix64(x);
}

std::uint64_t RandomStream::next_u64() {
  const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

double RandomStream::uniform01() {
  return static_cast<double>(next_u64() >> 11) * 0x1.0p-53;
}

std::uint64_t RandomStream::below(std::uint64_t n) {
  unsigned __int128 m = static_cast<unsigned __int128>(next_u64()) * n;
  auto low = static_cast<std::uint64_t>(m);
  if (low < n) {
    const std::uint64_t threshold = (0 - n) % n;
    while (low < threshold) {
      m = static_cast<unsigned __int128>(next_u64()) * n;
      low = static_cast<std::uint64_t>(m);
    }
  }
  return static_cast<std::uint64_t>(m >> 64);
}

std::uint64_t RandomStream::geometric(double p, std::uint64_t cap) {
  return Geometric(p)(*this, cap);
}

namespace {

// Natural logarithm of x in [2^-53, 1], our own code so draws are the same on every machine
// (libm picks an FMA or non-FMA variant at run time) and cheap (integer indexing, no division,
// no branch). x = m 2^e with m in [1, 2); c is m rounded to a multiple of 1/256, and
// log m = log c + log(1 + r), r = (m - c) / c (m - c is exact), |r| <= 1/512, by its series to
// r^7 (truncation below 2^-72 r). For c >= 1.5 the table holds log(c / 2) and e counts one
// more, so that x just below a power of two gives log(c / 2) = 0 exactly near 1 instead of a
// difference of two near-equal terms: log 1 = 0 and values just below 1 keep their relative
// precision. log c and 1 / c come from a table the compiler computes.
constexpr int kLogBits = 8;
constexpr int kLogSteps = 1 << kLogBits;

// log c for c in [0.75, 1.5], to double precision: 2 atanh(s), s = (c - 1) / (c + 1), |s| < 0.2.
constexpr double log_exact(double c) {
  const double s = (c - 1.0) / (c + 1.0), s2 = s * s;
  double sum = 0.0, power = s;
  for (int k = 1; k < 80; k += 2, power *= s2) sum += power / k;
  return 2.0 * sum;
}

struct LogEntry {
  double c, inv_c, log_c;  // log_c: log(c / 2) from c = 1.5 on
};
constexpr auto kLogTable = [] {
  std::array<LogEntry, kLogSteps + 1> t{};
  for (int i = 0; i <= kLogSteps; ++i) {
    const double c = 1.0 + static_cast<double>(i) / kLogSteps;
    t[static_cast<std::size_t>(i)] = {c, 1.0 / c,
                                      2 * i < kLogSteps ? log_exact(c) : log_exact(c / 2)};
  }
  return t;
}();

inline double log_unit_inline(double x) {
  const auto bits = std::bit_cast<std::uint64_t>(x);
  const std::uint64_t mantissa = bits & 0x000fffffffffffffULL;
  const std::uint64_t i = (mantissa + (std::uint64_t{1} << (51 - kLogBits))) >> (52 - kLogBits);
  const int e = static_cast<int>((bits >> 52) & 0x7ff) - 1023 + (2 * i >= kLogSteps ? 1 : 0);
  const double m = std::bit_cast<double>(mantissa | 0x3ff0000000000000ULL);
  const LogEntry& t = kLogTable[i];
  const double r = (m - t.c) * t.inv_c;
  const double series =
      r * (1.0 + r * (-1.0 / 2 +
                      r * (1.0 / 3 + r * (-1.0 / 4 + r * (1.0 / 5 + r * (-1.0 / 6 + r / 7))))));
  return static_cast<double>(e) * 0.6931471805599453 + (t.log_c + series);
}

}  // namespace

double log_unit(double x) {
  return log_unit_inline(x);
}

RandomStream::Geometric::Geometric(double p) : inv_log_q_(p >= 1.0 ? 0.0 : 1.0 / std::log1p(-p)) {}

void RandomStream::Geometric::fill(RandomStream& rng, std::uint64_t cap, std::uint64_t* out,
                                   std::size_t n) const {
  double u[64];
  while (n > 0) {
    const std::size_t k = n < 64 ? n : 64;
    if (inv_log_q_ == 0.0) {  // p >= 1: every gap is 0 and, as in operator(), nothing is drawn
      std::fill(out, out + k, std::uint64_t{0});
    } else {
      for (std::size_t i = 0; i < k; ++i) u[i] = 1.0 - rng.uniform01();
      const double cap_d = static_cast<double>(cap);
      for (std::size_t i = 0; i < k; ++i) u[i] = std::floor(log_unit_inline(u[i]) * inv_log_q_);
      for (std::size_t i = 0; i < k; ++i)
        out[i] = u[i] >= cap_d ? cap : static_cast<std::uint64_t>(u[i]);
    }
    out += k;
    n -= k;
  }
}

std::uint64_t RandomStream::Geometric::operator()(RandomStream& rng, std::uint64_t cap) const {
  if (inv_log_q_ == 0.0) return 0;
  const double u = 1.0 - rng.uniform01();  // (0, 1]
  const double g = std::floor(log_unit_inline(u) * inv_log_q_);
  return g >= static_cast<double>(cap) ? cap : static_cast<std::uint64_t>(g);
}

}  // namespace migsim::sim
