#include "models/migration/storage_fetch.h"

#include <algorithm>
#include <bit>

namespace migsim::migration {

using Word = sim::Bitmap::Word;

StorageLoader::StorageLoader(MigrationSession& s, storage::Storage& device,
                             std::int64_t parallelism)
    : s_(s),
      device_(device),
      parallelism_(static_cast<std::uint64_t>(
          std::max<std::int64_t>(1, std::min(parallelism, device.queue_depth())))),
      max_pages_(std::clamp<std::uint64_t>(
          static_cast<std::uint64_t>(device.max_request().count() / s.memory().page_size().count()),
          1, sim::Bitmap::kBits)),
      queued_(s.memory().pages()),
      next_(s.memory().pages()),
      idle_signal_(s.context().sim) {}

void StorageLoader::map_arrived(std::uint64_t w, Word mask, Word next) {
  queue_.push_back({w, mask, next});
  queued_.word(w) |= mask;
  next_.word(w) = (next_.word(w) & ~mask) | next;
  fill();
}

StorageLoader::Request StorageLoader::carve(Entry& e, int from) {
  const int first = from >= 0 ? from : std::countr_zero(e.mask);
  Word run = Word{1} << first;
  // Extend while the next page is queued here and continues this page's block.
  for (int b = first + 1; b < static_cast<int>(sim::Bitmap::kBits) &&
                          static_cast<std::uint64_t>(std::popcount(run)) < max_pages_;
       ++b) {
    const Word bit = Word{1} << b;
    if ((e.mask & bit) == 0 || (e.next & bit) == 0) break;
    run |= bit;
  }
  e.mask &= ~run;
  queued_.word(e.w) &= ~run;
  return {e.w, run, false};
}

void StorageLoader::fill() {
  while (in_slots_ < parallelism_ && !queue_.empty()) {
    Entry& e = queue_.front();
    e.mask &= queued_.word(e.w);  // a fault may have read some of them already
    if (e.mask == 0) {
      queue_.pop_front();
      continue;
    }
    const Request r = carve(e);
    if (e.mask == 0) queue_.pop_front();
    ++in_slots_;
    issue(r);
  }
}

void StorageLoader::issue(const Request& r) {
  const auto pages = static_cast<std::uint64_t>(std::popcount(r.mask));
  const Bytes bytes = s_.memory().page_size() * static_cast<std::int64_t>(pages);
  MigrationReport& report = s_.report();
  report.bytes_storage += bytes;
  report.pages_from_storage += pages;
  ++report.storage_requests;
  outstanding_.push_back(r);
  s_.context().sim.schedule(device_.read(bytes).at, sim::Band::kNormal, &complete, this);
}

void StorageLoader::expedite(std::uint64_t page) {
  if (!queued_.test(page)) return;  // already being read (or not from storage)
  // The run from the page on, within its word, as the queue would carve it; the queue entry
  // skips these pages later.
  Entry e{page / sim::Bitmap::kBits, queued_.word(page / sim::Bitmap::kBits),
          next_.word(page / sim::Bitmap::kBits)};
  Request r = carve(e, static_cast<int>(page % sim::Bitmap::kBits));
  r.demand = true;
  issue(r);  // a demand read: beyond the loader's own parallelism
}

void StorageLoader::complete(void* self) {
  auto* l = static_cast<StorageLoader*>(self);
  const Request r = l->outstanding_.front();
  l->outstanding_.pop_front();
  if (!r.demand) --l->in_slots_;  // a queued read frees a slot; a demand read held none
  l->s_.land(r.w, r.mask);
  l->fill();
  if (l->idle()) {
    l->idle_signal_.notify();
    if (l->idle_wake_ != nullptr) l->idle_wake_->poke();
  }
}

sim::Task<void> StorageLoader::drained() {
  while (!idle()) co_await idle_signal_.wait();
}

}  // namespace migsim::migration
