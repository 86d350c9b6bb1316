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

// What a page holds, as the migration stream's encoders see it: 3 bits per page.
//   zero         - all-zero (QEMU sends a 9-byte record);
//   duplicate    - identical to another page of the same VM (content-based sharing finds it);
//   storage      - identical to a block of the VM's disk (the page cache after a disk read or
//                  write-back). The block number is held as runs: `storage` starts a run at
//                  some block b, and each following `storage_next` page holds block b+1, b+2...
//                  The simulator needs block numbers only for how reads merge into requests, so
//                  the run boundaries are all it keeps;
//   text..random - ordinary data of a compressibility class (DataClass).
// Values 4..7 are data. Binary, the class of a page nobody said anything about, is 4: its low
// bits are zero, so fresh memory needs only its "data" bits set.
enum class PageClass : std::uint8_t {
  kZero = 0,
  kDuplicate = 1,
  kStorage = 2,
  kStorageNext = 3,
  kBinary = 4,
  kText = 5,
  kSparse = 6,
  kRandom = 7,
};
inline constexpr int kPageClassCount = 8;
inline constexpr PageClass data_page(DataClass c) {
  switch (c) {
    case DataClass::kText:
      return PageClass::kText;
    case DataClass::kSparse:
      return PageClass::kSparse;
    case DataClass::kRandom:
      return PageClass::kRandom;
    default:
      return PageClass::kBinary;
  }
}
inline constexpr bool is_data(PageClass c) {
  return static_cast<int>(c) >= 4;
}
// The compressibility of a page's bytes: data pages their own class; duplicate and on-storage
// pages hold ordinary file or heap data (binary); zero pages are handled before any codec.
inline constexpr DataClass compressibility(PageClass c) {
  switch (c) {
    case PageClass::kText:
      return DataClass::kText;
    case PageClass::kSparse:
      return DataClass::kSparse;
    case PageClass::kRandom:
      return DataClass::kRandom;
    default:
      return DataClass::kBinary;
  }
}
// The data class named `name` (text, binary, sparse, random); throws std::invalid_argument.
DataClass data_class_named(std::string_view name);

// Fills `page` with one sample of class `c`, drawn from `rng` (deterministic for a stream).
void fill_page(DataClass c, std::span<std::uint8_t> page, sim::RandomStream& rng);

}  // namespace migsim::vm
