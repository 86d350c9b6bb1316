#include "models/storage/disk.h"

#include <algorithm>
#include <cmath>

namespace migsim::storage {

namespace {
// Blocks tracked per disk: two 32-bit versions each (512 MiB of state at the cap).
constexpr std::uint64_t kMaxBlocks = std::uint64_t{1} << 26;
}  // namespace

void DiskParams::check() const {
  if (blocks() > kMaxBlocks)
    throw sim::ParamError("disk_block_size", "the disk would have " + std::to_string(blocks()) +
                                                 " blocks; at most " + std::to_string(kMaxBlocks) +
                                                 " are tracked: use larger blocks");
}

VirtualDisk::VirtualDisk(const DiskParams& params, std::uint64_t seed, std::uint64_t replicate)
    : p_(params),
      source_(params.blocks(), 0),
      destination_(params.blocks(), 0),
      span_blocks_(std::max<std::uint64_t>(
          1, static_cast<std::uint64_t>(
                 std::ceil(static_cast<double>(params.blocks()) * params.write_span)))),
      rng_(seed, replicate, "disk.writes") {
  span_blocks_ = std::min(span_blocks_, params.blocks());
}

std::uint64_t VirtualDisk::draw_block() {
  return rng_.below(span_blocks_);
}

std::uint64_t VirtualDisk::stale_blocks() const {
  std::uint64_t n = 0;
  for (std::size_t b = 0; b < source_.size(); ++b) n += destination_[b] < source_[b] ? 1 : 0;
  return n;
}

}  // namespace migsim::storage
