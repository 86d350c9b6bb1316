// How page contents become bytes on the wire, shared by every algorithm (MigrationSession uses
// it for each batch): zero pages as short records (QEMU), everything else through an optional
// compressor (QEMU multifd-zlib/zstd; the Huawei talk's "policy to balance the CPU utilization
// and the compression ratio").
//   - Ratio and per-core speed per data class and codec are the numbers bench/codec_calibration
//     measured on Debian's liblz4 and libzstd (bench/codec_calibration.txt), not assumptions.
//   - Compression runs on the host's migration cores (min(threads, host.migration_cores)); the
//     destination decompresses on as many. A batch takes the longest of its wire time, its
//     compression time and its decompression time (the three are pipelined), so encoding
//     throughput is min(cores x per-core speed, link rate x ratio).
//   - policy adaptive: before each batch, picks the codec and level that would have sent the
//     previous batch's mix of classes fastest with the cores available.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "models/vm/guest_memory.h"
#include "sim/params.h"
#include "sim/units.h"

namespace migsim::migration {

using sim::BitRate;
using sim::Bytes;
using sim::Duration;

struct CompressionParams {
  std::string codec = "none";
  std::int64_t level = 1;
  std::int64_t threads = 1;
  std::string policy = "fixed";

  template <class V>
  void visit(V& v) {
    v(sim::param("codec", codec,
                 "page compressor (none; lz4; zstd), with ratio and speed per content class "
                 "measured on liblz4/libzstd (bench/codec_calibration.txt)")
          .one_of({"none", "lz4", "zstd"}));
    v(sim::param("level", level, "compression level: lz4 1; zstd 1, 3 or 9 (the levels calibrated)")
          .at_least(1)
          .at_most(22));
    v(sim::param("threads", threads,
                 "compression threads; they run on at most host.migration_cores cores, and as "
                 "many decompress at the destination")
          .at_least(1)
          .at_most(1024));
    v(sim::param("policy", policy,
                 "fixed = always codec/level; adaptive = per batch, the calibrated setting that "
                 "sends the content fastest with the cores available: any codec and level "
                 "(codec none), or that codec's levels or no compression (codec lz4 or zstd)")
          .one_of({"fixed", "adaptive"}));
  }
  // Throws sim::ParamError for a level that was not calibrated for the codec.
  void check() const;
  bool active() const { return codec != "none" || policy == "adaptive"; }
};

// One calibrated setting: a codec at a level.
struct CodecSetting {
  std::string_view name;  // "none", "lz4", "zstd-1", ...
  // Per data class (vm::DataClass order): compression ratio, and per-core compress and
  // decompress speed in bytes per second (infinite for none).
  std::array<double, 4> ratio;
  std::array<double, 4> compress_bps;
  std::array<double, 4> decompress_bps;
};
// Every calibrated setting, "none" first.
const std::vector<CodecSetting>& codec_settings();

// What one batch's pages cost after encoding.
struct Encoded {
  double payload = 0.0;          // bytes on the wire for the pages sent in full (before framing)
  double raw = 0.0;              // their bytes before compression (0 when nothing was compressed)
  Duration compress{};           // wall time of compression on the cores used
  Duration decompress{};         // wall time of decompression at the destination
  double compress_core_s = 0.0;  // CPU seconds spent compressing (all cores)
};

class Encoder {
 public:
  Encoder(const CompressionParams& params, std::int64_t cores);
  bool active() const { return active_; }
  // The pages of a batch sent in full, per PageClass (zero pages already taken out when the
  // stream detects them). `goodput` is the rate the batch will be sent at.
  Encoded encode(const vm::GuestMemory::ClassCounts& pages, Bytes page_size, BitRate goodput);
  std::int64_t cores() const { return cores_; }

 private:
  static Encoded cost(const CodecSetting& s, const std::array<double, 4>& bytes,
                      std::int64_t cores);
  bool active_ = false;
  bool adaptive_ = false;
  std::int64_t cores_ = 1;
  std::vector<const CodecSetting*> settings_;  // fixed: one; adaptive: every calibrated one
  std::size_t current_ = 0;
  std::array<double, 4> last_mix_{0, 1, 0, 0};  // bytes per data class of the previous batch
};

}  // namespace migsim::migration
