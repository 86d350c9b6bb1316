#include "models/migration/encoder.h"

#include <algorithm>
#include <limits>

namespace migsim::migration {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kMB = 1e6;

// bench/codec_calibration.txt (command and machine there): ratio, compress MB/s, decompress MB/s
// per class in the order text, binary, sparse, random.
CodecSetting setting(std::string_view name, std::array<std::array<double, 3>, 4> rows) {
  CodecSetting s{name, {}, {}, {}};
  for (std::size_t c = 0; c < 4; ++c) {
    s.ratio[c] = rows[c][0];
    s.compress_bps[c] = rows[c][1] * kMB;
    s.decompress_bps[c] = rows[c][2] * kMB;
  }
  return s;
}

std::string setting_name(const CompressionParams& p) {
  if (p.codec == "none") return "none";
  if (p.codec == "lz4") return "lz4";
  return "zstd-" + std::to_string(p.level);
}

}  // namespace

const std::vector<CodecSetting>& codec_settings() {
  static const std::vector<CodecSetting> settings = {
      CodecSetting{"none", {1, 1, 1, 1}, {kInf, kInf, kInf, kInf}, {kInf, kInf, kInf, kInf}},
      setting(
          "lz4",
          {{{1.509, 366, 1349}, {1.648, 537, 2123}, {12.291, 2786, 5276}, {0.996, 2936, 36401}}}),
      setting("zstd-1",
              {{{2.474, 160, 471}, {1.937, 193, 557}, {15.853, 600, 1388}, {0.998, 1090, 27355}}}),
      setting("zstd-3",
              {{{2.501, 129, 431}, {2.004, 176, 849}, {14.876, 547, 2369}, {0.998, 619, 21486}}}),
      setting("zstd-9",
              {{{2.639, 22, 581}, {2.042, 24, 891}, {16.013, 114, 2328}, {0.998, 134, 22274}}}),
  };
  return settings;
}

void CompressionParams::check() const {
  if (codec == "lz4" && level != 1)
    throw sim::ParamError("level", "lz4 was calibrated at level 1 only; allowed: 1");
  if (codec == "zstd" && level != 1 && level != 3 && level != 9)
    throw sim::ParamError(
        "level", "zstd level " + std::to_string(level) + " was not calibrated; allowed: 1, 3, 9");
}

Encoder::Encoder(const CompressionParams& params, std::int64_t cores)
    : active_(params.active()), adaptive_(params.policy == "adaptive"), cores_(cores) {
  params.check();
  cores_ = std::max<std::int64_t>(1, std::min(params.threads, cores));
  const auto& all = codec_settings();
  if (adaptive_) {
    // codec none: every calibrated codec and level; lz4 or zstd: that codec's levels, or none.
    for (const auto& s : all)
      if (params.codec == "none" || s.name == "none" || s.name.starts_with(params.codec))
        settings_.push_back(&s);
  } else {
    const std::string name = setting_name(params);
    settings_.push_back(&*std::find_if(all.begin(), all.end(),
                                       [&](const CodecSetting& s) { return s.name == name; }));
  }
}

Encoded Encoder::cost(const CodecSetting& s, const std::array<double, 4>& bytes,
                      std::int64_t cores) {
  Encoded e;
  double comp = 0, decomp = 0;
  for (std::size_t c = 0; c < 4; ++c) {
    if (bytes[c] == 0) continue;
    e.payload += bytes[c] / s.ratio[c];
    e.raw += bytes[c];
    if (s.compress_bps[c] != kInf) comp += bytes[c] / s.compress_bps[c];
    if (s.decompress_bps[c] != kInf) decomp += bytes[c] / s.decompress_bps[c];
  }
  e.compress_core_s = comp;
  e.compress = Duration::ns(static_cast<std::int64_t>(comp / static_cast<double>(cores) * 1e9));
  e.decompress = Duration::ns(static_cast<std::int64_t>(decomp / static_cast<double>(cores) * 1e9));
  if (s.name == "none") e.raw = 0;
  return e;
}

Encoded Encoder::encode(const vm::GuestMemory::ClassCounts& pages, Bytes page_size,
                        BitRate goodput) {
  std::array<double, 4> bytes{};
  const auto page = static_cast<double>(page_size.count());
  for (int k = 0; k < vm::kPageClassCount; ++k) {
    const auto cls = static_cast<std::size_t>(vm::compressibility(static_cast<vm::PageClass>(k)));
    // Zero pages sent in full (no detection) compress like sparse data.
    const std::size_t as = k == static_cast<int>(vm::PageClass::kZero)
                               ? static_cast<std::size_t>(vm::DataClass::kSparse)
                               : cls;
    bytes[as] += static_cast<double>(pages[static_cast<std::size_t>(k)]) * page;
  }
  if (adaptive_) {
    // The setting that would have sent the previous batch's mix fastest: the longest of wire,
    // compression and decompression time per raw byte.
    const double rate = static_cast<double>(goodput.bps()) / 8.0;
    double best = kInf;
    for (std::size_t i = 0; i < settings_.size(); ++i) {
      const Encoded e = cost(*settings_[i], last_mix_, cores_);
      const double t = std::max({e.payload / rate, e.compress.seconds(), e.decompress.seconds()});
      if (t < best * (1 - 1e-9)) {
        best = t;
        current_ = i;
      }
    }
    double total = 0;
    for (double b : bytes) total += b;
    if (total > 0) last_mix_ = bytes;
  }
  return cost(*settings_[current_], bytes, cores_);
}

}  // namespace migsim::migration
