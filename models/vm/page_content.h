// What ordinary data pages hold, as far as a compressor can tell: a small set of
// compressibility classes, and a generator of realistic sample pages for each. The simulator
// never holds page bytes; these samples exist so that codec speed and ratio per class are
// *measured* on real compressors (bench/codec_calibration.cpp) rather than assumed.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "sim/random.h"

namespace migsim::vm {

enum class DataClass : std::uint8_t {
  kText,    // natural-language text, logs, source: words from a skewed vocabulary
  kBinary,  // program heap and code: small integers, pointers sharing high bits, opcodes
  kSparse,  // kernel structures, page tables, mostly-empty buffers: few nonzero words
  kRandom,  // encrypted, compressed or media data: incompressible
};

inline constexpr DataClass kDataClasses[] = {DataClass::kText, DataClass::kBinary,
                                             DataClass::kSparse, DataClass::kRandom};

std::string_view data_class_name(DataClass c);

// Fills `page` with one sample of class `c`, drawn from `rng` (deterministic for a stream).
void fill_page(DataClass c, std::span<std::uint8_t> page, sim::RandomStream& rng);

}  // namespace migsim::vm
