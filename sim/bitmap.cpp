#include "sim/bitmap.h"

#include <algorithm>

namespace migsim::sim {

void Bitmap::set_all() {
  std::fill(words_.begin(), words_.end(), ~Word{0});
  if (!words_.empty()) words_.back() &= valid_mask(words_.size() - 1);
}

void Bitmap::clear_all() {
  std::fill(words_.begin(), words_.end(), Word{0});
}

void Bitmap::set_range(std::uint64_t first, std::uint64_t count) {
  if (count == 0) return;
  const std::uint64_t last = first + count;  // exclusive
  std::uint64_t w = first / kBits;
  const std::uint64_t w_end = (last - 1) / kBits;
  const Word head = ~Word{0} << (first % kBits);
  const Word tail = (last % kBits) == 0 ? ~Word{0} : (Word{1} << (last % kBits)) - 1;
  if (w == w_end) {
    words_[w] |= head & tail;
    return;
  }
  words_[w++] |= head;
  for (; w < w_end; ++w) words_[w] = ~Word{0};
  words_[w_end] |= tail;
}

std::uint64_t Bitmap::count() const {
  std::uint64_t n = 0;
  for (Word w : words_) n += static_cast<std::uint64_t>(std::popcount(w));
  return n;
}

std::uint64_t Bitmap::count_range(std::uint64_t first, std::uint64_t count) const {
  if (count == 0) return 0;
  const std::uint64_t last = first + count;
  std::uint64_t w = first / kBits;
  const std::uint64_t w_end = (last - 1) / kBits;
  const Word head = ~Word{0} << (first % kBits);
  const Word tail = (last % kBits) == 0 ? ~Word{0} : (Word{1} << (last % kBits)) - 1;
  if (w == w_end) return static_cast<std::uint64_t>(std::popcount(words_[w] & head & tail));
  std::uint64_t n = static_cast<std::uint64_t>(std::popcount(words_[w++] & head));
  for (; w < w_end; ++w) n += static_cast<std::uint64_t>(std::popcount(words_[w]));
  return n + static_cast<std::uint64_t>(std::popcount(words_[w_end] & tail));
}

bool Bitmap::none() const {
  return std::all_of(words_.begin(), words_.end(), [](Word w) { return w == 0; });
}

std::uint64_t Bitmap::find_next(std::uint64_t from) const {
  if (from >= size_) return size_;
  std::uint64_t w = from / kBits;
  Word bits = words_[w] & (~Word{0} << (from % kBits));
  while (bits == 0) {
    if (++w >= words_.size()) return size_;
    bits = words_[w];
  }
  return std::min(size_, w * kBits + static_cast<std::uint64_t>(std::countr_zero(bits)));
}

}  // namespace migsim::sim
