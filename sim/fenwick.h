// A Fenwick (binary indexed) tree: prefix sums of non-negative counts with point updates and
// search by prefix, each O(log n). Guest memory keeps one over per-block counts so a random
// writer can find the k-th page it could change without walking memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace migsim::sim {

class Fenwick {
 public:
  Fenwick() = default;
  // O(n) construction from the initial values.
  explicit Fenwick(const std::vector<std::int64_t>& values) : t_(values.size() + 1, 0) {
    for (std::size_t i = 1; i < t_.size(); ++i) {
      t_[i] += values[i - 1];
      const std::size_t parent = i + (i & (~i + 1));
      if (parent < t_.size()) t_[parent] += t_[i];
    }
  }
  std::size_t size() const { return t_.empty() ? 0 : t_.size() - 1; }
  void add(std::size_t i, std::int64_t delta) {
    for (++i; i < t_.size(); i += i & (~i + 1)) t_[i] += delta;
  }
  // Sum of values [0, n).
  std::int64_t prefix(std::size_t n) const {
    std::int64_t s = 0;
    for (; n > 0; n -= n & (~n + 1)) s += t_[n];
    return s;
  }
  // The smallest i with prefix(i + 1) > target; size() if there is none.
  std::size_t upper_bound(std::int64_t target) const {
    std::size_t pos = 0;
    std::size_t step = 1;
    while (step * 2 < t_.size()) step *= 2;
    for (; step > 0; step /= 2) {
      if (pos + step < t_.size() && t_[pos + step] <= target) {
        pos += step;
        target -= t_[pos];
      }
    }
    return pos;
  }

 private:
  std::vector<std::int64_t> t_;  // 1-based
};

}  // namespace migsim::sim
