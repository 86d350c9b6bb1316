#include "models/vm/guest_memory.h"

#include <bit>
#include <cmath>

namespace migsim::vm {

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

void GuestMemory::write_range(std::uint64_t first, std::uint64_t count) {
  log_.set_range(first, count);
  data_.set_range(first, count);
  if (track_stale_) stale_.set_range(first, count);
}

void GuestMemory::write_page(std::uint64_t page) {
  log_.set(page);
  data_.set(page);
  if (track_stale_) stale_.set(page);
}

void GuestMemory::write_mask(std::uint64_t word_index, Word mask) {
  log_.word(word_index) |= mask;
  data_.word(word_index) |= mask;
  if (track_stale_) stale_.word(word_index) |= mask;
}

LogFetch GuestMemory::fetch_and_clear(sim::Bitmap& pending) {
  LogFetch f;
  for (std::uint64_t w = 0; w < log_.word_count(); ++w) {
    const Word bits = log_.word(w);
    if (bits == 0) continue;
    f.dirty_count += static_cast<std::uint64_t>(std::popcount(bits));
    f.newly_pending += static_cast<std::uint64_t>(std::popcount(bits & ~pending.word(w)));
    pending.word(w) |= bits;
    log_.word(w) = 0;
  }
  return f;
}

void GuestMemory::capture(std::uint64_t word_index, Word mask) {
  if (track_stale_) stale_.word(word_index) &= ~mask;
  sent_ever_.word(word_index) |= mask;
}

}  // namespace migsim::vm
