#include "models/vm/guest_memory.h"

#include <array>
#include <bit>
#include <cmath>

namespace migsim::vm {
namespace {

using Word = sim::Bitmap::Word;
constexpr std::uint64_t kBits = sim::Bitmap::kBits;

// Calls block_fn(b) for each whole block of GuestMemory::kBlockWords words inside the page range
// [first, first + count), and word_fn(w, mask) for every other word it touches (mask: the bits
// inside the range), in increasing order.
template <class WordFn, class BlockFn>
void range_words(std::uint64_t first, std::uint64_t count, WordFn&& word_fn, BlockFn&& block_fn) {
  if (count == 0) return;
  constexpr std::uint64_t kBlock = GuestMemory::kBlockWords;
  const std::uint64_t last = first + count;  // exclusive
  const std::uint64_t w_last = (last - 1) / kBits;
  for (std::uint64_t w = first / kBits; w <= w_last;) {
    const std::uint64_t lo = w * kBits;
    if (w % kBlock == 0 && lo >= first && (w + kBlock) * kBits <= last) {
      block_fn(w / kBlock);
      w += kBlock;
      continue;
    }
    Word mask = ~Word{0};
    if (lo < first) mask &= ~Word{0} << (first - lo);
    if (lo + kBits > last) mask &= (Word{1} << (last - lo)) - 1;
    word_fn(w, mask);
    ++w;
  }
}

// kSelectInByte[b][k]: position of the k-th set bit of byte b (8 if none).
constexpr auto kSelectInByte = [] {
  std::array<std::array<std::uint8_t, 8>, 256> t{};
  for (unsigned b = 0; b < 256; ++b) {
    unsigned k = 0;
    for (auto& x : t[b]) x = 8;
    for (unsigned i = 0; i < 8; ++i)
      if (b & (1U << i)) t[b][k++] = static_cast<std::uint8_t>(i);
  }
  return t;
}();

// A page range split into its whole blocks [block_first, block_end) and the pages before and
// after them (each less than a block, or the whole range when it holds no whole block).
struct Split {
  std::uint64_t head_first, head_count, block_first, block_end, tail_first, tail_count;
};
Split split(std::uint64_t first, std::uint64_t count) {
  constexpr std::uint64_t kPages = GuestMemory::kBlockWords * kBits;
  const std::uint64_t last = first + count;
  const std::uint64_t bf = (first + kPages - 1) / kPages, be = last / kPages;
  if (bf >= be) return {first, count, 0, 0, last, 0};
  return {first, bf * kPages - first, bf, be, be * kPages, last - be * kPages};
}

// The k-th (0-based) set bit of `bits`, as a one-bit mask; k < popcount(bits). Byte counts by
// SWAR, their running sums by one multiplication, then a table inside the byte.
Word select_bit(Word bits, std::uint64_t k) {
  Word c = bits - ((bits >> 1) & 0x5555555555555555ULL);
  c = (c & 0x3333333333333333ULL) + ((c >> 2) & 0x3333333333333333ULL);
  c = (c + (c >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
  const Word running = c * 0x0101010101010101ULL;  // byte i: set bits in bytes 0..i
  unsigned byte = 0;
  while (((running >> (8 * byte)) & 0xff) <= k) ++byte;
  const std::uint64_t before = byte == 0 ? 0 : (running >> (8 * (byte - 1))) & 0xff;
  const unsigned bit = kSelectInByte[(bits >> (8 * byte)) & 0xff][k - before];
  return Word{1} << (8 * byte + bit);
}

}  // namespace

void GuestMemory::validate(const VmParams& params) {
  if (params.memory.count() % params.page_size.count() != 0)
    throw sim::ParamError("memory", "memory " + sim::format_bytes(params.memory) +
                                        " is not a whole number of " +
                                        sim::format_bytes(params.page_size) + " pages");
}

GuestMemory::GuestMemory(const VmParams& params, std::uint64_t seed, std::uint64_t replicate)
    : page_size_(params.page_size), track_stale_(params.track_stale) {
  validate(params);
  pages_ = static_cast<std::uint64_t>(params.memory.count() / params.page_size.count());
  log_ = sim::Bitmap(pages_);
  data_ = sim::Bitmap(pages_);
  stale_ = sim::Bitmap(pages_);
  sent_ever_ = sim::Bitmap(pages_);
  // Every page starts stale: the destination holds nothing yet.
  if (track_stale_) stale_.set_all();
  data_.set_all();
  reset_block_counts();
  if (params.zero_fraction > 0.0) {
    // Each page is zero independently with probability zero_fraction; geometric skips make the
    // cost proportional to zero pages, not to memory size.
    sim::RandomStream rng(seed, replicate, "vm.content");
    const sim::RandomStream::Geometric gap(params.zero_fraction);
    for (std::uint64_t p = gap(rng, pages_); p < pages_; p += 1 + gap(rng, pages_)) {
      data_.reset(p);
    }
  }
}

void GuestMemory::reset_block_counts() {
  const std::uint64_t blocks = (log_.word_count() + kBlockWords - 1) / kBlockWords;
  std::vector<std::int64_t> pages(blocks, static_cast<std::int64_t>(kBlockWords * kBits));
  if (blocks > 0)
    pages.back() = static_cast<std::int64_t>(pages_ - (blocks - 1) * kBlockWords * kBits);
  unsettled_per_block_.assign(pages.begin(), pages.end());
  unsettled_tree_ = sim::Fenwick(pages);
}

std::uint64_t GuestMemory::set_word(std::uint64_t w, Word set) {
  const Word before = settled(w);
  log_.word(w) |= set;
  data_.word(w) |= set;
  if (track_stale_) stale_.word(w) |= set;
  return static_cast<std::uint64_t>(std::popcount(settled(w) & ~before));
}

void GuestMemory::write_range(std::uint64_t first, std::uint64_t count) {
  std::uint64_t block = ~std::uint64_t{0};
  std::int64_t settled_here = 0;  // pages settled in `block`, applied once per block
  range_words(
      first, count,
      [&](std::uint64_t w, Word mask) {
        if (w / kBlockWords != block) {
          if (settled_here != 0) settle(block, settled_here);
          block = w / kBlockWords;
          settled_here = 0;
        }
        settled_here += static_cast<std::int64_t>(set_word(w, mask));
      },
      [&](std::uint64_t b) {
        std::int64_t n = 0;
        for (std::uint64_t w = b * kBlockWords; w < (b + 1) * kBlockWords; ++w)
          n += static_cast<std::int64_t>(set_word(w, ~Word{0}));
        if (n != 0) settle(b, n);
      });
  if (settled_here != 0) settle(block, settled_here);
}

void GuestMemory::write_page(std::uint64_t page) {
  write_mask(page / kBits, Word{1} << (page % kBits));
}

void GuestMemory::write_mask(std::uint64_t word_index, Word mask) {
  if (const auto n = set_word(word_index, mask); n != 0)
    settle(word_index / kBlockWords, static_cast<std::int64_t>(n));
}

std::uint64_t GuestMemory::unsettled_count(std::uint64_t first, std::uint64_t count) const {
  const Split r = split(first, count);
  std::uint64_t n = 0;
  const auto words = [&](std::uint64_t w, Word mask) {
    n += static_cast<std::uint64_t>(std::popcount(candidates(w, mask)));
  };
  const auto no_blocks = [](std::uint64_t) {};
  range_words(r.head_first, r.head_count, words, no_blocks);
  range_words(r.tail_first, r.tail_count, words, no_blocks);
  return n + static_cast<std::uint64_t>(unsettled_tree_.prefix(r.block_end) -
                                        unsettled_tree_.prefix(r.block_first));
}

std::pair<std::uint64_t, GuestMemory::Word> GuestMemory::find_in_block(std::uint64_t block,
                                                                       std::uint64_t k) const {
  for (std::uint64_t w = block * kBlockWords;; ++w) {
    const Word cand = candidates(w, ~Word{0});
    const auto n = static_cast<std::uint64_t>(std::popcount(cand));
    if (k < n) return {w, select_bit(cand, k)};
    k -= n;
  }
}

void GuestMemory::write_random(std::uint64_t first, std::uint64_t count, double p,
                               sim::RandomStream& rng) {
  if (count == 0 || p <= 0.0) return;
  if (p >= 1.0) {
    write_range(first, count);
    return;
  }
  // Candidates are the unsettled pages of the range, indexed in page order. Sparse (p < 1/2):
  // geometric gaps between hit candidates; dense: gaps between missed ones. Which pages are
  // chosen is decided on the state at entry; the writes are applied afterwards.
  const std::uint64_t m = unsettled_count(first, count);
  if (m == 0) return;
  const bool dense = p >= 0.5;
  const sim::RandomStream::Geometric geometric(dense ? 1.0 - p : p);
  // Gaps are drawn 64 at a time (same values, same order as one by one; the last buffer may be
  // drawn beyond what is used, which only advances this workload's own stream).
  std::uint64_t gaps[64];
  std::size_t used = 64;
  const auto gap = [&] {
    if (used == 64) {
      geometric.fill(rng, m, gaps, 64);
      used = 0;
    }
    return gaps[used++];
  };
  chosen_.clear();
  std::uint64_t next = gap();  // candidate index of the next hit (sparse) or miss (dense)
  std::uint64_t before = 0;    // candidates before the current word or block
  const auto word = [&](std::uint64_t w, Word mask) {
    const Word cand = candidates(w, mask);
    const auto n = static_cast<std::uint64_t>(std::popcount(cand));
    if (n == 0) return;
    Word chosen = dense ? cand : Word{0};
    while (next < before + n) {
      const Word bit = select_bit(cand, next - before);
      chosen = dense ? (chosen & ~bit) : (chosen | bit);
      next += 1 + gap();
    }
    before += n;
    if (chosen != 0) chosen_.emplace_back(w, chosen);
  };
  const auto skip_or_walk = [&](std::uint64_t block) {
    const std::uint64_t n = unsettled_per_block_[block];
    if (n == 0) return;
    if (!dense && next >= before + n) {  // no hit in this block: skip it whole
      before += n;
      return;
    }
    for (std::uint64_t w = block * kBlockWords; w < (block + 1) * kBlockWords; ++w)
      word(w, ~Word{0});
  };
  // Few hits among many blocks: find each hit's block in the tree (O(log blocks) per hit)
  // instead of visiting every block.
  const Split r = split(first, count);
  const double blocks = static_cast<double>(r.block_end - r.block_first);
  if (dense || p * static_cast<double>(m) * 8 > blocks) {
    range_words(first, count, word, skip_or_walk);
  } else {
    const auto no_blocks = [](std::uint64_t) {};
    range_words(r.head_first, r.head_count, word, no_blocks);
    const std::int64_t base = unsettled_tree_.prefix(r.block_first);
    const auto middle = static_cast<std::uint64_t>(unsettled_tree_.prefix(r.block_end) - base);
    while (next < before + middle) {
      const std::int64_t target = base + static_cast<std::int64_t>(next - before);
      const std::size_t block = unsettled_tree_.upper_bound(target);
      const auto [w, bit] =
          find_in_block(block, static_cast<std::uint64_t>(target - unsettled_tree_.prefix(block)));
      chosen_.emplace_back(w, bit);
      next += 1 + gap();
    }
    before += middle;
    range_words(r.tail_first, r.tail_count, word, no_blocks);
  }
  for (const auto& [w, mask] : chosen_) write_mask(w, mask);
}

LogFetch GuestMemory::fetch_and_clear(sim::Bitmap& pending) {
  LogFetch f;
  std::uint64_t block = 0;
  std::int64_t unsettled_here = 0;  // pages unsettled in `block`, applied once per block
  for (std::uint64_t w = 0; w < log_.word_count(); ++w) {
    const Word bits = log_.word(w);
    if (bits == 0) continue;
    f.dirty_count += static_cast<std::uint64_t>(std::popcount(bits));
    f.newly_pending += static_cast<std::uint64_t>(std::popcount(bits & ~pending.word(w)));
    pending.word(w) |= bits;
    if (w / kBlockWords != block) {
      if (unsettled_here != 0) settle(block, -unsettled_here);
      block = w / kBlockWords;
      unsettled_here = 0;
    }
    unsettled_here += std::popcount(settled(w));
    log_.word(w) = 0;
  }
  if (unsettled_here != 0) settle(block, -unsettled_here);
  return f;
}

void GuestMemory::capture(std::uint64_t word_index, Word mask) {
  if (track_stale_) {
    const int n = std::popcount(settled(word_index) & mask);
    if (n != 0) settle(word_index / kBlockWords, -n);
    stale_.word(word_index) &= ~mask;
  }
  sent_ever_.word(word_index) |= mask;
}

}  // namespace migsim::vm
