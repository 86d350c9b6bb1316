#include "models/vm/guest_memory.h"

#include <array>
#include <bit>
#include <cmath>
#include <stdexcept>

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

}  // namespace

void GuestMemory::validate(const VmParams& params) {
  if (params.memory.count() % params.page_size.count() != 0)
    throw sim::ParamError("memory", "memory " + sim::format_bytes(params.memory) +
                                        " is not a whole number of " +
                                        sim::format_bytes(params.page_size) + " pages");
  const double special = params.zero_fraction + params.duplicate_fraction +
                         params.storage_fraction + params.text_fraction + params.sparse_fraction +
                         params.random_fraction;
  if (special > 1.0 + 1e-12)
    throw sim::ParamError(params.random_fraction > 0    ? "random_fraction"
                          : params.sparse_fraction > 0  ? "sparse_fraction"
                          : params.text_fraction > 0    ? "text_fraction"
                          : params.storage_fraction > 0 ? "storage_fraction"
                                                        : "duplicate_fraction",
                          "zero, duplicate, storage, text, sparse and random fractions add up to " +
                              sim::format_double(special) +
                              "; at most 1 is allowed (binary data is the rest)");
}

GuestMemory::GuestMemory(const VmParams& params, std::uint64_t seed, std::uint64_t replicate)
    : page_size_(params.page_size), track_stale_(params.track_stale) {
  validate(params);
  pages_ = static_cast<std::uint64_t>(params.memory.count() / params.page_size.count());
  log_ = sim::Bitmap(pages_);
  data_ = sim::Bitmap(pages_);
  stale_ = sim::Bitmap(pages_);
  in_flight_ = sim::Bitmap(pages_);
  sent_ever_ = sim::Bitmap(pages_);
  unsettled_ = sim::Bitmap(pages_);
  logged_groups_ = sim::Bitmap((log_.word_count() + kGroupWords - 1) / kGroupWords);
  write_class_ = data_class_named(params.written_class);
  // Every page starts stale: the destination holds nothing yet.
  if (track_stale_) stale_.set_all();
  data_.set_all();  // binary data (class 4) everywhere
  reset_counts();
  place_content(params, seed, replicate);
}

void GuestMemory::place_content(const VmParams& params, std::uint64_t seed,
                                std::uint64_t replicate) {
  sim::RandomStream rng(seed, replicate, "vm.content");
  const std::array<std::pair<double, PageClass>, 6> mix{{
      {params.zero_fraction, PageClass::kZero},
      {params.duplicate_fraction, PageClass::kDuplicate},
      {params.storage_fraction, PageClass::kStorage},
      {params.text_fraction, data_page(DataClass::kText)},
      {params.sparse_fraction, data_page(DataClass::kSparse)},
      {params.random_fraction, data_page(DataClass::kRandom)},
  }};
  double others = 0.0;
  for (std::size_t i = 1; i < mix.size(); ++i) others += mix[i].first;
  const auto fill = [&](std::uint64_t first, std::uint64_t count, PageClass c) {
    if (c == PageClass::kStorage) return make_storage_run(first, count);
    range_words(
        first, count, [&](std::uint64_t w, Word mask) { set_class(w, mask, c); },
        [&](std::uint64_t b) {
          for (std::uint64_t w = b * kBlockWords; w < (b + 1) * kBlockWords; ++w)
            set_class(w, ~Word{0}, c);
        });
  };
  const auto draw = [&]() {
    double u = rng.uniform01();
    for (const auto& [f, c] : mix) {
      if (u < f) return c;
      u -= f;
    }
    return data_page(DataClass::kBinary);
  };
  if (params.content_layout == "runs") {
    // Runs of geometric length (mean content_run_pages), each of one class drawn by fraction.
    const sim::RandomStream::Geometric extra(1.0 / static_cast<double>(params.content_run_pages));
    for (std::uint64_t p = 0; p < pages_;) {
      const std::uint64_t len = std::min(pages_ - p, 1 + extra(rng, pages_));
      const PageClass c = draw();
      if (c != data_page(DataClass::kBinary)) fill(p, len, c);
      p += len;
    }
  } else if (others == 0.0) {
    if (params.zero_fraction > 0.0) {
      // Only zero pages: each page is zero independently; geometric skips make the cost
      // proportional to zero pages, not to memory size.
      const sim::RandomStream::Geometric gap(params.zero_fraction);
      for (std::uint64_t p = gap(rng, pages_); p < pages_; p += 1 + gap(rng, pages_)) {
        set_class(p / kBits, Word{1} << (p % kBits), PageClass::kZero);
        ++zero_pages_at_start_;
      }
    }
    return;  // zero pages counted as placed; no page is settled before logging starts
  } else {
    // Each page drawn on its own; an on-storage page is a run of one block (no contiguity).
    for (std::uint64_t p = 0; p < pages_; ++p)
      if (const PageClass c = draw(); c != data_page(DataClass::kBinary))
        set_class(p / kBits, Word{1} << (p % kBits), c);
  }
  // Nothing is logged yet, so no page is settled whatever its class: the counts stand.
  zero_pages_at_start_ = zero_page_count();
}

std::uint64_t GuestMemory::zero_page_count() const {
  std::uint64_t n = 0;
  for (std::uint64_t w = 0; w < log_.word_count(); ++w)
    n += static_cast<std::uint64_t>(std::popcount(zero_word(w)));
  return n;
}

PageClass GuestMemory::page_class(std::uint64_t page) const {
  const std::uint64_t w = page / kBits;
  const unsigned b = page % kBits;
  return static_cast<PageClass>((((data_.word(w) >> b) & 1) << 2) | (((c1(w) >> b) & 1) << 1) |
                                ((c0(w) >> b) & 1));
}

void GuestMemory::count_classes(std::uint64_t w, Word mask, ClassCounts& counts) const {
  const Word d = data_.word(w), a = c1(w), z = c0(w);
  const Word hi[2] = {~d & mask, d & mask};
  for (int k = 0; k < kPageClassCount; ++k) {
    const Word bits = hi[k >> 2] & ((k & 2) ? a : ~a) & ((k & 1) ? z : ~z);
    counts[static_cast<std::size_t>(k)] += static_cast<std::uint64_t>(std::popcount(bits));
  }
}

GuestMemory::ClassCounts GuestMemory::class_counts() const {
  ClassCounts counts{};
  for (std::uint64_t w = 0; w < log_.word_count(); ++w)
    count_classes(w, log_.valid_mask(w), counts);
  return counts;
}

void GuestMemory::make_storage_run(std::uint64_t first, std::uint64_t count) {
  if (count == 0) return;
  const auto next = [&](std::uint64_t w, Word mask) {
    set_class(w, mask, PageClass::kStorageNext);
  };
  range_words(first, count, next, [&](std::uint64_t b) {
    for (std::uint64_t w = b * kBlockWords; w < (b + 1) * kBlockWords; ++w) next(w, ~Word{0});
  });
  set_class(first / kBits, Word{1} << (first % kBits), PageClass::kStorage);
  if (const std::uint64_t after = first + count;
      after < pages_ && page_class(after) == PageClass::kStorageNext)
    set_class(after / kBits, Word{1} << (after % kBits), PageClass::kStorage);
}

void GuestMemory::set_data_class(std::uint64_t first, std::uint64_t count, DataClass c) {
  SettleBatch batch(*this);
  const auto one = [&](std::uint64_t w, Word mask) {
    set_class(w, mask, data_page(c));
    batch.add(w, refresh(w));
  };
  range_words(first, count, one, [&](std::uint64_t b) {
    for (std::uint64_t w = b * kBlockWords; w < (b + 1) * kBlockWords; ++w) one(w, ~Word{0});
  });
}

void GuestMemory::load_from_disk(std::uint64_t first, std::uint64_t count) {
  if (count == 0) return;
  SettleBatch batch(*this);
  range_words(
      first, count,
      [&](std::uint64_t w, Word mask) {
        if (side_ == Side::kDestination) {
          if (const Word missing = mask & stale_.word(w); missing != 0) {
            access_violations_ += static_cast<std::uint64_t>(std::popcount(missing));
            mask &= ~missing;
          }
        }
        log_.word(w) |= mask;
        logged_groups_.set(w / kGroupWords);
        if (track_stale_ && side_ == Side::kSource) {
          stale_.word(w) |= mask;
          in_flight_.word(w) &= ~mask;
        }
      },
      [&](std::uint64_t b) {
        for (std::uint64_t w = b * kBlockWords; w < (b + 1) * kBlockWords; ++w) {
          Word mask = ~Word{0};
          if (side_ == Side::kDestination) {
            if (const Word missing = stale_.word(w); missing != 0) {
              access_violations_ += static_cast<std::uint64_t>(std::popcount(missing));
              mask &= ~missing;
            }
          }
          log_.word(w) |= mask;
          if (track_stale_ && side_ == Side::kSource) {
            stale_.word(w) |= mask;
            in_flight_.word(w) &= ~mask;
          }
        }
        for (std::uint64_t g = b * kBlockWords / kGroupWords;
             g < (b + 1) * kBlockWords / kGroupWords; ++g)
          logged_groups_.set(g);
      });
  make_storage_run(first, count);
  const std::uint64_t last_word = std::min(first + count, pages_ - 1) / kBits;
  for (std::uint64_t w = first / kBits; w <= last_word; ++w) batch.add(w, refresh(w));
}

void GuestMemory::store_to_disk(std::uint64_t first, std::uint64_t count) {
  if (count == 0) return;
  SettleBatch batch(*this);
  make_storage_run(first, count);
  const std::uint64_t last_word = std::min(first + count, pages_ - 1) / kBits;
  for (std::uint64_t w = first / kBits; w <= last_word; ++w) batch.add(w, refresh(w));
}

void GuestMemory::destination_holds_all() {
  if (!track_stale_) return;
  stale_.clear_all();
  in_flight_.clear_all();
  if (side_ == Side::kDestination) rebuild_missing();
  recount();
}

void GuestMemory::reset_counts() {
  unsettled_.set_all();
  const std::uint64_t words = log_.word_count();
  const auto pages_in = [&](std::uint64_t unit_words, std::uint64_t i) {
    const std::uint64_t lo = i * unit_words * kBits;
    return std::min(pages_ - lo, unit_words * kBits);
  };
  unsettled_per_group_.resize((words + kGroupWords - 1) / kGroupWords);
  for (std::uint64_t g = 0; g < unsettled_per_group_.size(); ++g)
    unsettled_per_group_[g] = static_cast<std::uint16_t>(pages_in(kGroupWords, g));
  std::vector<std::int64_t> pages((words + kBlockWords - 1) / kBlockWords);
  for (std::uint64_t b = 0; b < pages.size(); ++b)
    pages[b] = static_cast<std::int64_t>(pages_in(kBlockWords, b));
  unsettled_per_block_.assign(pages.begin(), pages.end());
  unsettled_tree_ = sim::Fenwick(pages);
}

std::uint64_t GuestMemory::set_word(std::uint64_t w, Word set) {
  if (side_ == Side::kDestination) {
    // The guest cannot write a page its host does not hold: the access model stops it first.
    if (const Word missing = set & stale_.word(w); missing != 0) {
      access_violations_ += static_cast<std::uint64_t>(std::popcount(missing));
      set &= ~missing;
    }
  }
  if ((unsettled_.word(w) & set) == 0) return 0;  // every page written is already settled
  log_.word(w) |= set;
  logged_groups_.set(w / kGroupWords);
  if (const Word fresh = set & ~data_.word(w); fresh != 0) {
    // A page that held no ordinary data now holds the writer's class; the page after a
    // rewritten on-storage page cannot continue its run.
    set_class(w, fresh, data_page(write_class_));
    const Word after = (fresh << 1) & c1(w) & c0(w) & ~data_.word(w);
    if (after != 0) c0_.word(w) &= ~after;  // storage_next -> storage
    if ((fresh >> (kBits - 1)) != 0 && w + 1 < log_.word_count() &&
        (class_word(w + 1, PageClass::kStorageNext) & 1) != 0)
      c0_.word(w + 1) &= ~Word{1};
  }
  if (track_stale_ && side_ == Side::kSource) {
    stale_.word(w) |= set;
    in_flight_.word(w) &= ~set;  // a copy on the wire is now outdated
  }
  return static_cast<std::uint64_t>(mark_settled(w, unsettled_.word(w) & settled(w)));
}

std::int64_t GuestMemory::refresh(std::uint64_t w) {
  const Word now_unsettled = ~settled(w) & log_.valid_mask(w);
  const Word was = unsettled_.word(w);
  std::int64_t delta = 0;
  if (const Word settling = was & ~now_unsettled; settling != 0) delta += mark_settled(w, settling);
  if (const Word unsettling = now_unsettled & ~was; unsettling != 0)
    delta -= mark_unsettled(w, unsettling);
  return delta;
}

void GuestMemory::read_range(std::uint64_t first, std::uint64_t count) {
  if (side_ == Side::kSource || count == 0 || missing_total_ == 0) return;
  const std::uint64_t end = first + count;
  for (std::uint64_t p = next_missing(first, end); p < end; p = next_missing(p + 1, end))
    ++access_violations_;
}

void GuestMemory::write_range(std::uint64_t first, std::uint64_t count) {
  SettleBatch batch(*this);
  range_words(
      first, count,
      [&](std::uint64_t w, Word mask) {
        batch.add(w, static_cast<std::int64_t>(set_word(w, mask)));
      },
      [&](std::uint64_t b) {
        if (unsettled_per_block_[b] == 0) return;  // all settled: the writes change nothing
        for (std::uint64_t w = b * kBlockWords; w < (b + 1) * kBlockWords; w += kGroupWords) {
          if (unsettled_per_group_[w / kGroupWords] == 0) continue;
          for (std::uint64_t i = w; i < w + kGroupWords; ++i)
            batch.add(i, static_cast<std::int64_t>(set_word(i, ~Word{0})));
        }
      });
}

void GuestMemory::write_page(std::uint64_t page) {
  write_mask(page / kBits, Word{1} << (page % kBits));
}

void GuestMemory::write_mask(std::uint64_t word_index, Word mask) {
  mask &= log_.valid_mask(word_index);  // no page past the end
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
  std::uint64_t w = block * kBlockWords;
  for (;; w += kGroupWords) {
    const std::uint64_t n = unsettled_per_group_[w / kGroupWords];
    if (k < n) break;
    k -= n;
  }
  for (;; ++w) {
    const Word cand = candidates(w, ~Word{0});
    const auto n = static_cast<std::uint64_t>(std::popcount(cand));
    if (k < n) return {w, sim::select_bit(cand, k)};
    k -= n;
  }
}

// Gaps are drawn 64 at a time (the same values in the same order as one by one; the last buffer
// may be drawn beyond what is used, which only advances this workload's own stream).
class GuestMemory::Gaps {
 public:
  Gaps(double p, sim::RandomStream& rng, std::uint64_t cap) : geometric_(p), rng_(rng), cap_(cap) {}
  std::uint64_t next() {
    if (used_ == kBuffer) {
      geometric_.fill(rng_, cap_, buffer_.data(), kBuffer);
      used_ = 0;
    }
    return buffer_[used_++];
  }

 private:
  static constexpr std::size_t kBuffer = 64;
  sim::RandomStream::Geometric geometric_;
  sim::RandomStream& rng_;
  std::uint64_t cap_;
  std::array<std::uint64_t, kBuffer> buffer_{};
  std::size_t used_ = kBuffer;
};

template <bool kDense>
void GuestMemory::choose_by_walk(std::uint64_t first, std::uint64_t count, Gaps& gaps,
                                 std::uint64_t& skip_io, bool by_group) {
  if (count == 0) return;
  std::uint64_t skip = skip_io;
  const std::uint64_t last = first + count;  // exclusive
  const std::uint64_t w_first = first / kBits, w_last = (last - 1) / kBits;
  const Word head_mask = ~Word{0} << (first % kBits);
  const Word tail_mask = last % kBits == 0 ? ~Word{0} : (Word{1} << (last % kBits)) - 1;
  for (std::uint64_t w = w_first; w <= w_last; ++w) {
    // A whole block or group where nothing is written is passed over by its count: sparse, when
    // the next chosen candidate lies beyond it; dense (which writes every candidate but the
    // missed ones), when it has no candidate.
    const auto nothing_written = [&](std::uint64_t n) { return kDense ? n == 0 : skip >= n; };
    if (w % kGroupWords == 0 && w > w_first && w + kGroupWords <= w_last) {
      if (w % kBlockWords == 0 && w + kBlockWords <= w_last) {
        const std::uint64_t n = unsettled_per_block_[w / kBlockWords];
        if (nothing_written(n)) {
          skip -= n;
          w += kBlockWords - 1;
          continue;
        }
      }
      const std::uint64_t n = unsettled_per_group_[w / kGroupWords];
      if (nothing_written(n)) {
        skip -= n;
        w += kGroupWords - 1;
        continue;
      }
      if (!kDense && by_group) {
        // A hit in this group: the words' running counts locate each hit's word without a
        // branch per word (with rare hits, a mispredicted branch per hit is the walk's cost).
        std::array<Word, kGroupWords> cand{};
        std::array<std::uint64_t, kGroupWords + 1> before{};  // candidates before word i
        for (std::size_t i = 0; i < kGroupWords; ++i) {
          cand[i] = unsettled_.word(w + i);
          before[i + 1] = before[i] + static_cast<std::uint64_t>(std::popcount(cand[i]));
        }
        for (; skip < n; skip += 1 + gaps.next()) {
          std::size_t i = 0;
          for (std::size_t j = 1; j < kGroupWords; ++j) i += before[j] <= skip ? 1 : 0;
          const Word bit = sim::select_bit(cand[i], skip - before[i]);
          if (!chosen_.empty() && chosen_.back().first == w + i)
            chosen_.back().second |= bit;
          else
            chosen_.emplace_back(w + i, bit);
        }
        skip -= n;
        w += kGroupWords - 1;
        continue;
      }
    }
    const Word cand =
        candidates(w, (w == w_first ? head_mask : ~Word{0}) & (w == w_last ? tail_mask : ~Word{0}));
    const auto n = static_cast<std::uint64_t>(std::popcount(cand));
    Word chosen = kDense ? cand : Word{0};
    // k: index among this word's candidates (each select depends on the gaps only, so the
    // selects of one word overlap).
    std::uint64_t k = skip;
    for (; k < n; k += 1 + gaps.next()) {
      const Word bit = sim::select_bit(cand, k);
      chosen = kDense ? (chosen & ~bit) : (chosen | bit);
    }
    skip = k - n;
    if (chosen != 0) chosen_.emplace_back(w, chosen);
  }
  skip_io = skip;
}

void GuestMemory::choose_by_tree(std::uint64_t block_first, std::uint64_t block_end, Gaps& gaps,
                                 std::uint64_t& skip) {
  const std::int64_t base = unsettled_tree_.prefix(block_first);
  const std::int64_t end = unsettled_tree_.prefix(block_end);
  auto target = base + static_cast<std::int64_t>(
                           std::min<std::uint64_t>(skip, static_cast<std::uint64_t>(end - base)));
  while (target < end) {
    const std::size_t block = unsettled_tree_.upper_bound(target);
    const auto [w, bit] =
        find_in_block(block, static_cast<std::uint64_t>(target - unsettled_tree_.prefix(block)));
    chosen_.emplace_back(w, bit);
    const std::uint64_t gap = gaps.next();
    if (gap >= static_cast<std::uint64_t>(end - target - 1)) {
      skip = gap - static_cast<std::uint64_t>(end - target - 1);
      return;
    }
    target += 1 + static_cast<std::int64_t>(gap);
  }
  skip -= static_cast<std::uint64_t>(end - base);
}

// Below this write probability a sparse walk locates hits group by group (measured with
// bench/random_bench.cpp: better at p = 0.003 and 0.034, worse at 0.3).
constexpr double kByGroupBelow = 0.05;

void GuestMemory::write_random(std::uint64_t first, std::uint64_t count, double p,
                               sim::RandomStream& rng) {
  if (count == 0 || p <= 0.0) return;
  if (p >= 1.0) {
    write_range(first, count);
    return;
  }
  // Sparse (p < 1/2): geometric gaps between chosen candidates; dense: between missed ones.
  // Which pages are chosen is decided on the state at entry; the writes are applied afterwards.
  const std::uint64_t m = unsettled_count(first, count);
  if (m == 0) return;
  const bool dense = p >= 0.5;
  Gaps gaps(dense ? 1.0 - p : p, rng, m);
  std::uint64_t skip = gaps.next();
  chosen_.clear();
  // Few chosen pages among many blocks: find each one's block in the tree (O(log blocks) per
  // page) instead of visiting every block.
  const Split r = split(first, count);
  const double blocks = static_cast<double>(r.block_end - r.block_first);
  if (dense) {
    choose_by_walk<true>(first, count, gaps, skip);
  } else if (p * static_cast<double>(m) * 8 > blocks) {
    choose_by_walk<false>(first, count, gaps, skip, p < kByGroupBelow);
  } else {
    choose_by_walk<false>(r.head_first, r.head_count, gaps, skip);
    choose_by_tree(r.block_first, r.block_end, gaps, skip);
    choose_by_walk<false>(r.tail_first, r.tail_count, gaps, skip);
  }
  // Chosen words are in increasing order: settle counts once per block.
  SettleBatch batch(*this);
  for (const auto& [w, mask] : chosen_) batch.add(w, static_cast<std::int64_t>(set_word(w, mask)));
}

LogFetch GuestMemory::fetch_and_clear(sim::Bitmap& pending, sim::Bitmap* fetched) {
  LogFetch f;
  SettleBatch batch(*this);
  const std::uint64_t words = log_.word_count();
  for (std::uint64_t g = logged_groups_.find_next(0); g < logged_groups_.size();
       g = logged_groups_.find_next(g + 1)) {
    const std::uint64_t end = std::min(words, (g + 1) * kGroupWords);
    for (std::uint64_t w = g * kGroupWords; w < end; ++w) {
      const Word bits = log_.word(w);
      if (bits == 0) continue;
      f.dirty_count += static_cast<std::uint64_t>(std::popcount(bits));
      f.newly_pending += static_cast<std::uint64_t>(std::popcount(bits & ~pending.word(w)));
      pending.word(w) |= bits;
      if (fetched != nullptr) fetched->word(w) |= bits;
      log_.word(w) = 0;
      batch.add(w, refresh(w));
    }
    logged_groups_.reset(g);
  }
  return f;
}

void GuestMemory::capture(std::uint64_t word_index, Word mask) {
  mask &= log_.valid_mask(word_index);
  if (track_stale_) {
    in_flight_.word(word_index) |= mask;
    if (const std::int64_t d = refresh(word_index); d != 0) settle(word_index / kBlockWords, d);
  }
  sent_ever_.word(word_index) |= mask;
}

std::uint64_t GuestMemory::arrive(std::uint64_t word_index, Word mask) {
  if (!track_stale_) return 0;
  const Word current = in_flight_.word(word_index) & mask;
  in_flight_.word(word_index) &= ~mask;
  const Word now_held = current & stale_.word(word_index);
  if (now_held == 0) {
    if (current != 0)
      if (const std::int64_t d = refresh(word_index); d != 0) settle(word_index / kBlockWords, d);
    return 0;
  }
  stale_.word(word_index) &= ~now_held;
  const auto n = static_cast<std::uint64_t>(std::popcount(now_held));
  if (side_ == Side::kDestination) unmiss(word_index, n);
  if (const std::int64_t d = refresh(word_index); d != 0) settle(word_index / kBlockWords, d);
  return n;
}

void GuestMemory::discard(std::uint64_t word_index, Word mask) {
  if (!track_stale_) return;
  mask &= log_.valid_mask(word_index);
  const Word newly = mask & ~stale_.word(word_index);
  stale_.word(word_index) |= mask;
  in_flight_.word(word_index) &= ~mask;
  if (side_ == Side::kDestination && newly != 0) {
    const auto n = static_cast<std::uint64_t>(std::popcount(newly));
    missing_per_block_[word_index / kBlockWords] += static_cast<std::uint32_t>(n);
    missing_tree_.add(word_index / kBlockWords, static_cast<std::int64_t>(n));
    missing_total_ += n;
  }
  if (const std::int64_t d = refresh(word_index); d != 0) settle(word_index / kBlockWords, d);
}

void GuestMemory::run_at(Side side) {
  if (side == Side::kDestination && !track_stale_)
    throw std::logic_error("the guest cannot run at the destination without the staleness record");
  side_ = side;
  recount();
  if (side_ == Side::kDestination) rebuild_missing();
}

void GuestMemory::recount() {
  const std::uint64_t words = log_.word_count();
  for (std::uint64_t w = 0; w < words; ++w) {
    const Word u = ~settled(w) & log_.valid_mask(w);
    unsettled_.word(w) = u;
  }
  std::vector<std::int64_t> per_block((words + kBlockWords - 1) / kBlockWords, 0);
  for (std::uint64_t g = 0; g < unsettled_per_group_.size(); ++g) {
    std::uint64_t n = 0;
    const std::uint64_t end = std::min(words, (g + 1) * kGroupWords);
    for (std::uint64_t w = g * kGroupWords; w < end; ++w)
      n += static_cast<std::uint64_t>(std::popcount(unsettled_.word(w)));
    unsettled_per_group_[g] = static_cast<std::uint16_t>(n);
    per_block[g * kGroupWords / kBlockWords] += static_cast<std::int64_t>(n);
  }
  unsettled_per_block_.assign(per_block.begin(), per_block.end());
  unsettled_tree_ = sim::Fenwick(per_block);
}

void GuestMemory::rebuild_missing() {
  const std::uint64_t words = stale_.word_count();
  std::vector<std::int64_t> per_block((words + kBlockWords - 1) / kBlockWords, 0);
  missing_total_ = 0;
  for (std::uint64_t w = 0; w < words; ++w) {
    const auto n = static_cast<std::int64_t>(std::popcount(stale_.word(w)));
    per_block[w / kBlockWords] += n;
    missing_total_ += static_cast<std::uint64_t>(n);
  }
  missing_per_block_.assign(per_block.begin(), per_block.end());
  missing_tree_ = sim::Fenwick(per_block);
}

void GuestMemory::unmiss(std::uint64_t w, std::uint64_t pages) {
  missing_per_block_[w / kBlockWords] -= static_cast<std::uint32_t>(pages);
  missing_tree_.add(w / kBlockWords, -static_cast<std::int64_t>(pages));
  missing_total_ -= pages;
}

std::uint64_t GuestMemory::missing_in(std::uint64_t first, std::uint64_t count) const {
  if (side_ == Side::kSource || missing_total_ == 0 || count == 0) return 0;
  const Split r = split(first, count);
  std::uint64_t n = 0;
  const auto words = [&](std::uint64_t w, Word mask) {
    n += static_cast<std::uint64_t>(std::popcount(stale_.word(w) & mask));
  };
  const auto no_blocks = [](std::uint64_t) {};
  range_words(r.head_first, r.head_count, words, no_blocks);
  range_words(r.tail_first, r.tail_count, words, no_blocks);
  return n + static_cast<std::uint64_t>(missing_tree_.prefix(r.block_end) -
                                        missing_tree_.prefix(r.block_first));
}

std::uint64_t GuestMemory::kth_missing(std::uint64_t first, std::uint64_t count,
                                       std::uint64_t k) const {
  const Split r = split(first, count);
  std::uint64_t found = pages_;
  const auto in_words = [&](std::uint64_t f, std::uint64_t c) {
    range_words(
        f, c,
        [&](std::uint64_t w, Word mask) {
          if (found != pages_) return;
          const Word bits = stale_.word(w) & mask;
          const auto n = static_cast<std::uint64_t>(std::popcount(bits));
          if (k < n) {
            found =
                w * kBits + static_cast<std::uint64_t>(std::countr_zero(sim::select_bit(bits, k)));
          } else {
            k -= n;
          }
        },
        [](std::uint64_t) {});
  };
  in_words(r.head_first, r.head_count);
  if (found != pages_) return found;
  const std::int64_t base = missing_tree_.prefix(r.block_first);
  const std::int64_t in_blocks = missing_tree_.prefix(r.block_end) - base;
  if (static_cast<std::int64_t>(k) < in_blocks) {
    const std::int64_t target = base + static_cast<std::int64_t>(k);
    const std::size_t block = missing_tree_.upper_bound(target);
    std::uint64_t j = static_cast<std::uint64_t>(target - missing_tree_.prefix(block));
    for (std::uint64_t w = block * kBlockWords;; ++w) {
      const Word bits = stale_.word(w);
      const auto n = static_cast<std::uint64_t>(std::popcount(bits));
      if (j < n)
        return w * kBits + static_cast<std::uint64_t>(std::countr_zero(sim::select_bit(bits, j)));
      j -= n;
    }
  }
  k -= static_cast<std::uint64_t>(in_blocks);
  in_words(r.tail_first, r.tail_count);
  if (found == pages_) throw std::logic_error("kth_missing: k beyond the missing pages");
  return found;
}

std::uint64_t GuestMemory::next_missing(std::uint64_t from, std::uint64_t end) const {
  if (side_ == Side::kSource || missing_total_ == 0 || from >= end) return end;
  std::uint64_t w = from / kBits;
  Word bits = stale_.word(w) & (~Word{0} << (from % kBits));
  const std::uint64_t w_end = (end - 1) / kBits;  // inclusive
  for (;;) {
    if (bits != 0) {
      const std::uint64_t p = w * kBits + static_cast<std::uint64_t>(std::countr_zero(bits));
      return p < end ? p : end;
    }
    if (++w > w_end) return end;
    // Whole blocks with nothing missing are passed over at once: the tree finds the next
    // block with a missing page in O(log blocks), however long the run of held blocks.
    if (w % kBlockWords == 0 && w <= w_end && missing_per_block_[w / kBlockWords] == 0) {
      const std::size_t b = w / kBlockWords;
      w = static_cast<std::uint64_t>(missing_tree_.upper_bound(missing_tree_.prefix(b))) *
          kBlockWords;
    }
    if (w > w_end) return end;
    bits = stale_.word(w);
  }
}

}  // namespace migsim::vm
