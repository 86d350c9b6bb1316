#include "workloads/workload.h"

#include <cmath>

namespace migsim::workloads {

const WorkloadRegistry& workloads() {
  static const WorkloadRegistry registry = [] {
    WorkloadRegistry r;
    register_idle(r);
    register_sequential(r);
    register_uniform(r);
    register_hotcold(r);
    register_memtester(r);
    return r;
  }();
  return registry;
}

Region::Pages Region::resolve(const WorkloadContext& ctx) const {
  const std::int64_t page = ctx.page_size.count();
  const std::int64_t memory = page * static_cast<std::int64_t>(ctx.pages);
  if (offset.count() % page != 0)
    throw sim::ParamError("offset", "offset " + sim::format_bytes(offset) +
                                        " is not a multiple of the page size " +
                                        sim::format_bytes(ctx.page_size));
  if (offset.count() >= memory)
    throw sim::ParamError("offset", "offset " + sim::format_bytes(offset) +
                                        " is beyond guest memory (" +
                                        sim::format_bytes(Bytes{memory}) + ")");
  const std::int64_t sz = size.count() == 0 ? memory - offset.count() : size.count();
  if (sz % page != 0)
    throw sim::ParamError(
        "size", "size " + sim::format_bytes(Bytes{sz}) + " is not a whole number of pages");
  if (sz > memory - offset.count())  // offset < memory: no overflow
    throw sim::ParamError(
        "size", "region " + sim::format_bytes(offset) + " + " + sim::format_bytes(Bytes{sz}) +
                    " extends past guest memory (" + sim::format_bytes(Bytes{memory}) + ")");
  return Pages{static_cast<std::uint64_t>(offset.count() / page),
               static_cast<std::uint64_t>(sz / page)};
}

void write_random_subset(vm::GuestMemory& memory, std::uint64_t first, std::uint64_t count,
                         double p, sim::RandomStream& rng) {
  if (count == 0 || p <= 0.0) return;
  if (p < 0.5) {
    const sim::RandomStream::Geometric gap(p);
    for (std::uint64_t i = gap(rng, count); i < count; i += 1 + gap(rng, count))
      memory.write_page(first + i);
    return;
  }
  // Dense: build each word's mask by removing the pages missed (probability 1 - p).
  const double q = 1.0 - p;
  const sim::RandomStream::Geometric miss(q);
  std::uint64_t next_miss = q > 0.0 ? miss(rng, count) : count;
  std::uint64_t i = 0;
  while (i < count) {
    const std::uint64_t page = first + i;
    const std::uint64_t word = page / sim::Bitmap::kBits;
    const std::uint64_t bit = page % sim::Bitmap::kBits;
    const std::uint64_t n = std::min<std::uint64_t>(sim::Bitmap::kBits - bit, count - i);
    sim::Bitmap::Word mask =
        (n == sim::Bitmap::kBits ? ~sim::Bitmap::Word{0} : ((sim::Bitmap::Word{1} << n) - 1))
        << bit;
    while (next_miss < i + n) {
      mask &= ~(sim::Bitmap::Word{1} << (bit + (next_miss - i)));
      next_miss += 1 + miss(rng, count);
    }
    memory.write_mask(word, mask);
    i += n;
  }
}

}  // namespace migsim::workloads
