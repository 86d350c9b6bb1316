#include "sim/bitmap.h"

#include <algorithm>

namespace migsim::sim {
namespace {

// Word buffers of this thread's destroyed bitmaps, largest capacity last. Bounded in number; the
// memory it holds is at most what the largest bitmaps of one run used.
class BufferPool {
 public:
  static constexpr std::size_t kMaxBuffers = 16;

  // Reserved up front so that give(), called from a destructor, never allocates.
  BufferPool() { free_.reserve(kMaxBuffers); }

  std::vector<Bitmap::Word> take(std::size_t words) {
    if (words == 0) return {};
    // The smallest buffer that is large enough.
    const auto it = std::lower_bound(
        free_.begin(), free_.end(), words,
        [](const std::vector<Bitmap::Word>& b, std::size_t n) { return b.capacity() < n; });
    if (it == free_.end()) return std::vector<Bitmap::Word>(words, 0);
    std::vector<Bitmap::Word> buffer = std::move(*it);
    free_.erase(it);
    buffer.assign(words, 0);
    return buffer;
  }

  void give(std::vector<Bitmap::Word>&& buffer) {
    if (buffer.capacity() == 0) return;
    if (free_.size() == kMaxBuffers) {
      if (free_.front().capacity() >= buffer.capacity()) return;
      free_.erase(free_.begin());  // keep the largest
    }
    const auto it = std::lower_bound(
        free_.begin(), free_.end(), buffer.capacity(),
        [](const std::vector<Bitmap::Word>& b, std::size_t n) { return b.capacity() < n; });
    free_.insert(it, std::move(buffer));
  }

 private:
  std::vector<std::vector<Bitmap::Word>> free_;
};

// Set once this thread's pool is destroyed: a bitmap that outlives it (one with static storage)
// frees its own words.
thread_local bool pool_destroyed = false;

struct ThreadPool {
  ThreadPool() = default;
  ~ThreadPool() { pool_destroyed = true; }
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;
  BufferPool buffers;
};

BufferPool* pool() {
  if (pool_destroyed) return nullptr;
  thread_local ThreadPool p;
  return &p.buffers;
}

}  // namespace

Bitmap::Bitmap(std::uint64_t size) : size_(size) {
  const std::uint64_t words = (size + kBits - 1) / kBits;
  if (BufferPool* p = pool())
    words_ = p->take(words);
  else
    words_.assign(words, 0);
}

Bitmap::~Bitmap() {
  if (BufferPool* p = pool()) p->give(std::move(words_));
}

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
