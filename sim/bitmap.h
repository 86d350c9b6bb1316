// A word-packed bitmap over page frame numbers, with the range and word operations the memory
// and migration models need (cost proportional to words touched, never to writes).
#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <vector>

namespace migsim::sim {

class Bitmap {
 public:
  using Word = std::uint64_t;
  static constexpr std::uint64_t kBits = 64;

  Bitmap() = default;
  // All bits clear. The words come from the buffers of this thread's destroyed bitmaps when one
  // is large enough: a run builds the same bitmaps as the run before it, and reusing their
  // buffers spares handing the pages back to the system and faulting them in again.
  explicit Bitmap(std::uint64_t size);
  Bitmap(const Bitmap&) = default;
  Bitmap(Bitmap&&) noexcept = default;
  Bitmap& operator=(const Bitmap&) = default;
  Bitmap& operator=(Bitmap&&) noexcept = default;
  ~Bitmap();

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
  // Index of the first non-zero word at or after word `w`, or word_count() if none. Skips runs
  // of zero words eight at a time (what a scan of a sparse dirty log costs).
  std::uint64_t next_nonzero_word(std::uint64_t w) const {
    const std::uint64_t n = words_.size();
    for (; w + 8 <= n; w += 8) {
      const Word* p = words_.data() + w;
      if ((p[0] | p[1] | p[2] | p[3] | p[4] | p[5] | p[6] | p[7]) != 0) break;
    }
    while (w < n && words_[w] == 0) ++w;
    return w;
  }

 private:
  std::uint64_t size_ = 0;
  std::vector<Word> words_;
};

namespace detail {
// kSelectInByte[b][k]: position of the k-th set bit of byte b (8 if none).
inline constexpr auto kSelectInByte = [] {
  std::array<std::array<std::uint8_t, 8>, 256> t{};
  for (unsigned b = 0; b < 256; ++b) {
    unsigned k = 0;
    for (auto& x : t[b]) x = 8;
    for (unsigned i = 0; i < 8; ++i)
      if (b & (1U << i)) t[b][k++] = static_cast<std::uint8_t>(i);
  }
  return t;
}();
}  // namespace detail

// The k-th (0-based) set bit of `bits`, as a one-bit mask; k < popcount(bits). Byte counts by
// SWAR, their running sums by one multiplication, then a table inside the byte.
inline Bitmap::Word select_bit(Bitmap::Word bits, std::uint64_t k) {
  Bitmap::Word c = bits - ((bits >> 1) & 0x5555555555555555ULL);
  c = (c & 0x3333333333333333ULL) + ((c >> 2) & 0x3333333333333333ULL);
  c = (c + (c >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
  const Bitmap::Word running = c * 0x0101010101010101ULL;  // byte i: set bits in bytes 0..i (<= 64)
  // The byte holding the bit is the number of running sums <= k; adding 127 - k to every byte
  // sets a byte's top bit exactly when its sum exceeds k (no carry: 64 + 127 < 256).
  const Bitmap::Word above = (running + (127 - k) * 0x0101010101010101ULL) & 0x8080808080808080ULL;
  const unsigned byte = 8 - static_cast<unsigned>(std::popcount(above));
  const std::uint64_t before = (running << 8 >> (8 * byte)) & 0xff;
  const unsigned bit = detail::kSelectInByte[(bits >> (8 * byte)) & 0xff][k - before];
  return Bitmap::Word{1} << (8 * byte + bit);
}

}  // namespace migsim::sim
