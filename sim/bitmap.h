// A word-packed bitmap over page frame numbers, with the range and word operations the memory
// and migration models need (cost proportional to words touched, never to writes).
#pragma once

#include <bit>
#include <cstdint>
#include <vector>

namespace migsim::sim {

class Bitmap {
 public:
  using Word = std::uint64_t;
  static constexpr std::uint64_t kBits = 64;

  Bitmap() = default;
  explicit Bitmap(std::uint64_t size) : size_(size), words_((size + kBits - 1) / kBits, 0) {}

  std::uint64_t size() const { return size_; }
  std::uint64_t word_count() const { return words_.size(); }
  Word word(std::uint64_t i) const { return words_[i]; }
  Word& word(std::uint64_t i) { return words_[i]; }
  // Mask of the bits of word i that lie inside the bitmap (the last word may be partial).
  Word valid_mask(std::uint64_t i) const {
    const std::uint64_t tail = size_ - i * kBits;
    return tail >= kBits ? ~Word{0} : (Word{1} << tail) - 1;
  }

  bool test(std::uint64_t i) const { return (words_[i / kBits] >> (i % kBits)) & 1U; }
  void set(std::uint64_t i) { words_[i / kBits] |= Word{1} << (i % kBits); }
  void reset(std::uint64_t i) { words_[i / kBits] &= ~(Word{1} << (i % kBits)); }

  void set_all();
  void clear_all();
  // Sets bits [first, first + count).
  void set_range(std::uint64_t first, std::uint64_t count);
  std::uint64_t count() const;
  std::uint64_t count_range(std::uint64_t first, std::uint64_t count) const;
  bool none() const;
  // Index of the first set bit at or after `from`, or size() if none.
  std::uint64_t find_next(std::uint64_t from) const;

 private:
  std::uint64_t size_ = 0;
  std::vector<Word> words_;
};

}  // namespace migsim::sim
