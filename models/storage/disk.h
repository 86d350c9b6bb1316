// A VM's local disk in a shared-nothing migration (XvMotion, Mashtizadeh et al. 2014; Storage
// vMotion's I/O mirroring, Mashtizadeh et al. 2011): fixed-size blocks, the guest's writes to
// them, and the version of every block at the source and at the destination, so a migration
// can prove the destination ends with each block's latest contents. Blocks are the unit the
// bulk copy sends and the mirror tracks; a guest write dirties the block it falls in.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/limits.h"
#include "sim/params.h"
#include "sim/random.h"
#include "sim/units.h"

namespace migsim::storage {

using sim::BitRate;
using sim::Bytes;
using sim::Duration;

struct DiskParams {
  Bytes size = Bytes{std::int64_t{8} << 30};
  Bytes block_size = Bytes{std::int64_t{1} << 20};
  BitRate write_rate = BitRate::bytes_per_second(20'000'000);
  Bytes write_size = Bytes{64 << 10};
  double write_span = 0.25;
  std::int64_t io_depth = 8;
  Duration write_latency = Duration::ms(1);
  BitRate copy_rate = BitRate::bytes_per_second(400'000'000);

  template <class V>
  void visit(V& v) {
    v(sim::param("disk_size", size, "the disk moved with the VM")
          .at_least(Bytes{1})
          .at_most(Bytes{std::int64_t{64} << 40}));
    v(sim::param("disk_block_size", block_size,
                 "unit of the bulk copy and of dirty-block tracking (Storage vMotion copies and "
                 "mirrors in regions of this size)")
          .at_least(Bytes{64 << 10})
          .at_most(Bytes{std::int64_t{1} << 30}));
    v(sim::param("disk_write_rate", write_rate,
                 "the guest's disk writes as it would issue them undisturbed (0: none)")
          .at_least(BitRate{})
          .at_most(BitRate::bytes_per_second(std::int64_t{10} << 30)));
    v(sim::param("disk_write_size", write_size, "bytes per guest write request")
          .at_least(Bytes{4096})
          .at_most(Bytes{std::int64_t{64} << 20}));
    v(sim::param("disk_write_span", write_span,
                 "fraction of the disk, from its start, the guest's writes fall in (uniformly)")
          .at_least(1e-9)
          .at_most(1.0));
    v(sim::param("disk_io_depth", io_depth,
                 "guest writes outstanding at once: with write latency L the guest writes at most "
                 "io_depth x write_size / L")
          .at_least(1)
          .at_most(256)
          .counting("requests"));
    v(sim::param("disk_write_latency", write_latency, "a write's service time on the local disk")
          .at_least(Duration::us(10))
          .at_most(Duration::s(10)));
    v(sim::param("disk_copy_rate", copy_rate,
                 "how fast the source disk reads for the bulk copy (the network may be slower)")
          .at_least(BitRate::bytes_per_second(1'000'000))
          .at_most(BitRate::bytes_per_second(std::int64_t{100} << 30)));
  }
  std::uint64_t blocks() const {
    return static_cast<std::uint64_t>((size.count() + block_size.count() - 1) / block_size.count());
  }
  // Throws sim::ParamError when the disk has too many blocks to track.
  void check() const;
};

// Where each block's latest version is. Versions only grow, so a copy that arrives after a
// newer mirror write cannot roll the destination back.
class VirtualDisk {
 public:
  VirtualDisk(const DiskParams& params, std::uint64_t seed, std::uint64_t replicate);

  const DiskParams& params() const { return p_; }
  std::uint64_t blocks() const { return source_.size(); }
  // The block a guest write falls in, drawn uniformly over the write span.
  std::uint64_t draw_block();
  // The guest writes `block` at the source; returns its new version.
  std::uint32_t write(std::uint64_t block) { return ++source_[block]; }
  std::uint32_t version(std::uint64_t block) const { return source_[block]; }
  // A copy of `block` at `version` reaches the destination.
  void arrive(std::uint64_t block, std::uint32_t version) {
    if (version > destination_[block]) destination_[block] = version;
  }
  // Blocks whose destination copy is older than the source's.
  std::uint64_t stale_blocks() const;

 private:
  DiskParams p_;
  std::vector<std::uint32_t> source_, destination_;
  std::uint64_t span_blocks_;
  sim::RandomStream rng_;
};

}  // namespace migsim::storage
