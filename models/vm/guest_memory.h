// Guest RAM on two hosts, as the migration sees it: one bit per page in each of eight
// word-packed bitmaps (eight bits per page: the one-byte budget).
//   dirty log  - the log-dirty bitmap of the host the guest runs on (Xen shadow op / KVM dirty
//                log); it records writes wherever the guest runs;
//   content    - three bitmaps holding the page's PageClass (page_content.h): the first is
//                "ordinary data" (classes 4-7), the other two the class's low bits. Zero,
//                duplicate and on-storage pages are what encoders and algorithms can send
//                cheaper; a guest write turns any of them into data of the writer's class, a
//                disk read or write-back through the page cache turns pages into an on-storage
//                run;
//   stale      - "the destination does not hold this page's latest version": set by a guest
//                write at the source, cleared when a copy captured after the last write *arrives*.
//                Independent of the dirty log, so it proves a migration correct: at the end
//                nothing may be stale. While the guest runs at the destination, the stale pages
//                are exactly the ones it cannot touch without faulting ("missing");
//   in_flight  - a copy captured since the page's last write is on its way; a write at the source
//                clears it (the copy on the wire is outdated), its arrival clears it;
//   sent_ever  - the page has been sent at least once (splits first-pass from re-sent bytes);
//   unsettled  - see below.
// The guest runs on the source or the destination (`run_at`). A page is "settled" when another
// write to it would change nothing: at the source, its log, data and stale bits are set and no
// copy is in flight; at the destination, it is missing (the guest cannot write it) or its log
// and data bits are set. The unsettled pages' counts per group of 512 pages and per block of
// 4096 pages (plain, and in a Fenwick tree) let random writers skip settled pages and find the
// k-th unsettled one in O(log blocks), so their cost follows the pages that change, not the
// writes and not the size of memory. At the destination, missing pages are counted the same way,
// so the access model finds the next fault in O(log blocks).
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "models/vm/page_content.h"
#include "sim/bitmap.h"
#include "sim/fenwick.h"
#include "sim/limits.h"
#include "sim/params.h"
#include "sim/random.h"
#include "sim/units.h"

namespace migsim::vm {

using sim::Bytes;

struct VmParams {
  Bytes memory = Bytes{std::int64_t{1} << 30};
  Bytes page_size = Bytes{4096};
  double zero_fraction = 0.0;
  double duplicate_fraction = 0.0;
  double storage_fraction = 0.0;
  double text_fraction = 0.0;
  double sparse_fraction = 0.0;
  double random_fraction = 0.0;
  std::string content_layout = "random";
  std::int64_t content_run_pages = 64;
  std::string written_class = "binary";
  bool track_stale = true;

  template <class V>
  void visit(V& v) {
    v(sim::param("memory", memory, "guest RAM size; a whole number of pages")
          .at_least(Bytes{4096})
          .at_most(sim::limits::kMaxMemory));
    v(sim::param("page_size", page_size, "guest page size (4KiB on x86)")
          .power_of_two()
          .at_least(sim::limits::kMinPageSize)
          .at_most(sim::limits::kMaxPageSize));
    v(sim::param("zero_fraction", zero_fraction,
                 "fraction of pages that are all-zero when migration starts (chosen at random "
                 "from stream 'vm.content'); a page the guest writes holds data")
          .at_least(0.0)
          .at_most(1.0));
    v(sim::param("duplicate_fraction", duplicate_fraction,
                 "fraction of pages identical to another page of the VM when migration starts")
          .at_least(0.0)
          .at_most(1.0));
    v(sim::param("storage_fraction", storage_fraction,
                 "fraction of pages identical to a block of the VM's disk (page cache) when "
                 "migration starts")
          .at_least(0.0)
          .at_most(1.0));
    v(sim::param("text_fraction", text_fraction,
                 "fraction of pages holding text-like data (the rest of the data is binary)")
          .at_least(0.0)
          .at_most(1.0));
    v(sim::param("sparse_fraction", sparse_fraction,
                 "fraction of pages holding sparse data (mostly-zero structures)")
          .at_least(0.0)
          .at_most(1.0));
    v(sim::param("random_fraction", random_fraction,
                 "fraction of pages holding incompressible data (media, encrypted)")
          .at_least(0.0)
          .at_most(1.0));
    v(sim::param("content_layout", content_layout,
                 "how the initial classes are placed: random = each page drawn on its own; runs "
                 "= runs of content_run_pages pages on average share a class (real zero pages "
                 "and page-cache files cluster)")
          .one_of({"random", "runs"}));
    v(sim::param("content_run_pages", content_run_pages,
                 "mean run length of the runs layout; an on-storage run is one extent of "
                 "consecutive disk blocks")
          .at_least(1)
          .at_most(std::int64_t{1} << 30)
          .counting("pages"));
    v(sim::param("written_class", written_class,
                 "the data class a guest write gives a page that held no ordinary data "
                 "(zero, duplicate or on-storage); a data page keeps its class")
          .one_of({"text", "binary", "sparse", "random"}));
    v(sim::param("track_stale", track_stale,
                 "keep the 1-bit-per-page destination-staleness record and fail the run if any "
                 "page is stale when the migration ends"));
  }
};

// Which host the guest's vCPUs run on.
enum class Side : std::uint8_t { kSource, kDestination };

// Result of fetching the dirty log.
struct LogFetch {
  std::uint64_t dirty_count = 0;    // pages marked in the log (Xen stats.dirty_count)
  std::uint64_t newly_pending = 0;  // of those, pages not already pending (QEMU's count)
};

class GuestMemory {
 public:
  using Word = sim::Bitmap::Word;

  // Throws sim::ParamError when memory is not a whole number of pages.
  GuestMemory(const VmParams& params, std::uint64_t seed, std::uint64_t replicate);
  // The checks the constructor makes, without allocating anything.
  static void validate(const VmParams& params);

  std::uint64_t pages() const { return pages_; }
  Bytes page_size() const { return page_size_; }
  Bytes memory() const { return page_size_ * static_cast<std::int64_t>(pages_); }
  std::uint64_t word_count() const { return log_.word_count(); }

  // --- guest side: called by workloads for the writes the guest makes ---
  void write_range(std::uint64_t first, std::uint64_t count);
  void write_page(std::uint64_t page);
  void write_mask(std::uint64_t word_index, Word mask);  // bits past the last page are ignored
  // Writes each page of [first, first + count) independently with probability p (0 <= p <= 1):
  // the distinct pages a Poisson stream of uniformly random writes touches. Only pages that are
  // not settled are drawn (writing a settled page changes nothing), so the cost is proportional
  // to the pages that change plus the blocks of the range, whatever the write rate.
  void write_random(std::uint64_t first, std::uint64_t count, double p, sim::RandomStream& rng);
  // Pages of [first, first + count) that a write would change (not settled).
  std::uint64_t unsettled_count(std::uint64_t first, std::uint64_t count) const;
  // The guest reads pages [first, first + count): at the destination, every one must be held
  // (a read of a missing page is counted as an access violation). Nothing else changes.
  void read_range(std::uint64_t first, std::uint64_t count);

  // --- where the guest runs, and what its host holds ---
  Side side() const { return side_; }
  // Moves the guest's vCPUs to `side` (at resume after a switch-over). Costs O(words).
  void run_at(Side side);
  // The guest's host holds page p's latest version (always true at the source).
  bool held(std::uint64_t page) const { return side_ == Side::kSource || !stale_.test(page); }
  // Pages the guest's host lacks: 0 at the source, stale pages at the destination.
  std::uint64_t missing_count() const { return side_ == Side::kSource ? 0 : missing_total_; }
  // Missing pages in [first, first + count), O(log blocks).
  std::uint64_t missing_in(std::uint64_t first, std::uint64_t count) const;
  // The k-th (0-based) missing page of [first, first + count); k < missing_in(first, count).
  std::uint64_t kth_missing(std::uint64_t first, std::uint64_t count, std::uint64_t k) const;
  // The first missing page in [from, end), or end if none. Passes over blocks with nothing
  // missing by their counts.
  std::uint64_t next_missing(std::uint64_t from, std::uint64_t end) const;
  // Accesses the guest made to pages its host did not hold (0 in a correct run).
  std::uint64_t access_violations() const { return access_violations_; }

  // --- hypervisor side: the dirty log ---
  // Xen CLEAN / QEMU sync: ORs the log into `pending`, then clears the log. With `fetched`, also
  // sets there the pages this fetch found (the round's own dirty set; `fetched` is not cleared).
  LogFetch fetch_and_clear(sim::Bitmap& pending, sim::Bitmap* fetched = nullptr);
  // Xen PEEK of one word: reads the log without modifying it.
  Word peek(std::uint64_t word_index) const { return log_.word(word_index); }
  // Clears the log without reading it (enabling log-dirty mode at the start of migration).
  void clear_log() {
    log_.clear_all();
    logged_groups_.clear_all();
    if (side_ == Side::kSource)
      reset_counts();  // nothing logged: nothing settled
    else
      recount();
  }
  std::uint64_t log_count() const { return log_.count(); }

  // --- content ---
  // Pages of word w holding ordinary data (classes text..random).
  Word data_word(std::uint64_t word_index) const { return data_.word(word_index); }
  PageClass page_class(std::uint64_t page) const;
  // The pages of word w whose class is c.
  Word class_word(std::uint64_t w, PageClass c) const {
    const auto k = static_cast<unsigned>(c);
    const Word a = c1(w), z = c0(w);
    return ((k & 4) ? data_.word(w) : ~data_.word(w)) & ((k & 2) ? a : ~a) & ((k & 1) ? z : ~z) &
           log_.valid_mask(w);
  }
  // The all-zero pages of word w (class_word(w, kZero), one branch when no page needs the low
  // class planes).
  Word zero_word(std::uint64_t w) const {
    const Word not_data = ~data_.word(w) & log_.valid_mask(w);
    return c1_.size() == 0 ? not_data : not_data & ~c1_.word(w) & ~c0_.word(w);
  }
  using ClassCounts = std::array<std::uint64_t, kPageClassCount>;
  // Adds to `counts` the pages of `mask` (word w) per class.
  void count_classes(std::uint64_t w, Word mask, ClassCounts& counts) const;
  // Pages per class over all memory (scans it).
  ClassCounts class_counts() const;
  // A disk read through the page cache (DMA into the pages): pages [first, first + count)
  // become one on-storage run. It changes them, like a write (logged, stale at the source).
  void load_from_disk(std::uint64_t first, std::uint64_t count);
  // A write-back of pages [first, first + count) to consecutive disk blocks: their content is
  // now on disk (one on-storage run); the pages themselves do not change.
  void store_to_disk(std::uint64_t first, std::uint64_t count);
  // Pages [first, first + count) hold data of class c (what a workload has there before the
  // migration starts: a desktop's documents are text). Nothing is logged.
  void set_data_class(std::uint64_t first, std::uint64_t count, DataClass c);
  // The class guest writes give pages that held no ordinary data, while the scope lives.
  class WriteClass {
   public:
    WriteClass(GuestMemory& m, DataClass c) : m_(m), saved_(m.write_class_) { m.write_class_ = c; }
    ~WriteClass() { m_.write_class_ = saved_; }
    WriteClass(const WriteClass&) = delete;
    WriteClass& operator=(const WriteClass&) = delete;

   private:
    GuestMemory& m_;
    DataClass saved_;
  };

  // --- destination state ---
  // The destination already holds the latest version of every page (an image identical to the
  // source's memory: memory_compare's older image, before the guest changes it). Call before
  // migration starts.
  void destination_holds_all();
  // The destination's copies of the pages in `mask` differ from the source's (its image is
  // older there).
  void destination_lacks(std::uint64_t word_index, Word mask) { discard(word_index, mask); }
  // The content of the pages in `mask` (word `word_index`) is captured for sending now: a copy of
  // each is in flight until arrive() or a write at the source.
  void capture(std::uint64_t word_index, Word mask);
  // The copies of the pages in `mask` captured earlier arrive at the destination. A page whose
  // copy is still current (in flight, not written since) is no longer stale; a page whose copy
  // was outdated by a write, or that the destination already holds, is unchanged. Returns how
  // many pages became current.
  std::uint64_t arrive(std::uint64_t word_index, Word mask);
  // The destination drops its copies of the pages in `mask` (QEMU's discard bitmap, TSMC's dirty
  // bitmap at the switch-over): they are stale until a copy captured from now on arrives.
  void discard(std::uint64_t word_index, Word mask);
  bool in_flight(std::uint64_t page) const { return in_flight_.test(page); }
  Word in_flight_word(std::uint64_t word_index) const { return in_flight_.word(word_index); }
  // Pages in `mask` that had been sent before (for first-pass vs re-sent accounting).
  Word sent_before(std::uint64_t word_index, Word mask) const {
    return sent_ever_.word(word_index) & mask;
  }
  bool tracks_stale() const { return track_stale_; }
  std::uint64_t stale_count() const { return stale_.count(); }
  Word stale_word(std::uint64_t word_index) const { return stale_.word(word_index); }
  std::uint64_t first_stale_page() const { return stale_.find_next(0); }
  std::uint64_t zero_page_count() const;                                      // scans memory
  std::uint64_t zero_pages_at_start() const { return zero_pages_at_start_; }  // counted when built
  // Settled pages of word w (for tests).
  Word settled_word(std::uint64_t w) const { return settled(w); }

  static constexpr std::uint64_t kBlockWords = 64;  // 4096 pages per settled-count block
  static constexpr std::uint64_t kGroupWords = 8;   // 512 pages per group inside a block

 private:
  Word settled(std::uint64_t w) const {
    if (side_ == Side::kDestination) return stale_.word(w) | (log_.word(w) & data_.word(w));
    return log_.word(w) & data_.word(w) &
           (track_stale_ ? stale_.word(w) & ~in_flight_.word(w) : ~Word{0});
  }
  // Recomputes word w's unsettled bits after a change that may go either way; returns how many
  // more pages are settled (negative: fewer). Block counts are the caller's, through settle().
  std::int64_t refresh(std::uint64_t w);
  // Missing-page counts (kept while the guest runs at the destination): word w lost `pages`
  // missing pages.
  void unmiss(std::uint64_t w, std::uint64_t pages);
  void rebuild_missing();
  // Applies `set` to word w of the log, data and stale bitmaps; returns how many pages it
  // settled. Callers pass that to settle() (once per block when they touch many words).
  std::uint64_t set_word(std::uint64_t w, Word set);
  // Sets the class of the pages in `mask` (word w) to c.
  void set_class(std::uint64_t w, Word mask, PageClass c) {
    const auto k = static_cast<unsigned>(c);
    data_.word(w) = (k & 4) ? data_.word(w) | mask : data_.word(w) & ~mask;
    if ((k & 3) != 0 && c1_.size() == 0) {  // the first page that is not binary or zero
      c1_ = sim::Bitmap(pages_);
      c0_ = sim::Bitmap(pages_);
    }
    if (c1_.size() == 0) return;
    c1_.word(w) = (k & 2) ? c1_.word(w) | mask : c1_.word(w) & ~mask;
    c0_.word(w) = (k & 1) ? c0_.word(w) | mask : c0_.word(w) & ~mask;
  }
  // Pages [first, first + count) become one on-storage run (the page after it, if it continued
  // an older run, now starts its own). Returns nothing; counts are refreshed by the caller.
  void make_storage_run(std::uint64_t first, std::uint64_t count);
  // The initial content mix (VmParams fractions and layout).
  void place_content(const VmParams& params, std::uint64_t seed, std::uint64_t replicate);
  void settle(std::uint64_t block, std::int64_t pages) {
    unsettled_per_block_[block] -= static_cast<std::uint32_t>(pages);
    unsettled_tree_.add(block, -pages);
  }
  // Changes to settled counts made word by word in increasing word order, applied once per
  // block (a Fenwick update costs O(log blocks)).
  class SettleBatch {
   public:
    explicit SettleBatch(GuestMemory& memory) : memory_(memory) {}
    SettleBatch(const SettleBatch&) = delete;
    SettleBatch& operator=(const SettleBatch&) = delete;
    ~SettleBatch() { flush(); }
    // `pages` more pages of word w are settled (negative: unsettled).
    void add(std::uint64_t w, std::int64_t pages) {
      if (w / kBlockWords != block_) {
        flush();
        block_ = w / kBlockWords;
      }
      pages_ += pages;
    }

   private:
    void flush() {
      if (pages_ != 0) memory_.settle(block_, pages_);
      pages_ = 0;
    }
    GuestMemory& memory_;
    std::uint64_t block_ = 0;
    std::int64_t pages_ = 0;
  };
  // Nothing settled (at construction and after the log is cleared at the source).
  void reset_counts();
  // Recomputes every word's unsettled bits and the counts, O(words).
  void recount();
  // Word w's pages in `bits` become settled / unsettled (the bitmap and the group count; block
  // counts are the caller's, through settle()). Return how many.
  int mark_settled(std::uint64_t w, Word bits) {
    unsettled_.word(w) &= ~bits;
    const int n = std::popcount(bits);
    unsettled_per_group_[w / kGroupWords] -= static_cast<std::uint16_t>(n);
    return n;
  }
  int mark_unsettled(std::uint64_t w, Word bits) {
    unsettled_.word(w) |= bits;
    const int n = std::popcount(bits);
    unsettled_per_group_[w / kGroupWords] += static_cast<std::uint16_t>(n);
    return n;
  }
  // Candidates (unsettled pages) of one word within `mask`.
  Word candidates(std::uint64_t w, Word mask) const { return unsettled_.word(w) & mask; }
  // write_random's steps. Candidates are the unsettled pages of the range in page order; `skip`
  // is how many candidates come before the next chosen one (sparse) or the next missed one
  // (dense), counted from where the step starts; it is left counting from where the step ends.
  class Gaps;  // geometric gaps drawn 64 at a time
  template <bool kDense>
  // by_group (sparse only): locate hits from each group's running word counts, which pays
  // when hits are rarer than about one per word.
  void choose_by_walk(std::uint64_t first, std::uint64_t count, Gaps& gaps, std::uint64_t& skip,
                      bool by_group = false);
  void choose_by_tree(std::uint64_t block_first, std::uint64_t block_end, Gaps& gaps,
                      std::uint64_t& skip);
  // The word holding the k-th unsettled page of whole block b, and that page's bit.
  std::pair<std::uint64_t, Word> find_in_block(std::uint64_t block, std::uint64_t k) const;

  std::uint64_t pages_;
  Bytes page_size_;
  bool track_stale_;
  Side side_ = Side::kSource;
  std::uint64_t access_violations_ = 0;
  std::uint64_t zero_pages_at_start_ = 0;
  DataClass write_class_ = DataClass::kBinary;
  sim::Bitmap log_, data_, stale_, in_flight_, sent_ever_;
  // The class's low bits; allocated when the first page needs one (a guest of binary data and
  // zero pages only, the default, never pays for them).
  sim::Bitmap c1_, c0_;
  Word c1(std::uint64_t w) const { return c1_.size() != 0 ? c1_.word(w) : Word{0}; }
  Word c0(std::uint64_t w) const { return c0_.size() != 0 ? c0_.word(w) : Word{0}; }
  sim::Bitmap logged_groups_;  // groups (kGroupWords words) that may hold logged pages: a fetch
                               // visits these, not all of memory
  sim::Bitmap unsettled_;      // not settled: what random writers draw from (kept, not derived, so
                               // a walk over memory reads one bitmap, not three)
  std::vector<std::uint16_t> unsettled_per_group_;  // per kGroupWords words
  std::vector<std::uint32_t> unsettled_per_block_;
  sim::Fenwick unsettled_tree_;
  std::vector<std::pair<std::uint64_t, Word>> chosen_;  // scratch for write_random
  // Missing pages per block, plain and in a Fenwick tree (destination only).
  std::vector<std::uint32_t> missing_per_block_;
  sim::Fenwick missing_tree_;
  std::uint64_t missing_total_ = 0;
};

}  // namespace migsim::vm
