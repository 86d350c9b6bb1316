#include "sim/random.h"

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

RandomStream::Geometric::Geometric(double p) : inv_log_q_(p >= 1.0 ? 0.0 : 1.0 / std::log1p(-p)) {}

std::uint64_t RandomStream::Geometric::operator()(RandomStream& rng, std::uint64_t cap) const {
  if (inv_log_q_ == 0.0) return 0;
  const double u = 1.0 - rng.uniform01();  // (0, 1]
  const double g = std::floor(std::log(u) * inv_log_q_);
  return g >= static_cast<double>(cap) ? cap : static_cast<std::uint64_t>(g);
}

}  // namespace migsim::sim
