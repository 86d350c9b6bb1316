// Upper limits on every declared quantity, chosen together so that every product the simulator
// forms fits in int64 (STYLE.md "Arithmetic cannot overflow"). The budget:
//   one pass over memory, framing included  <= 4 TiB + 2^33 pages x (4 KiB + 4 KiB)  < 2^47 B
//   bytes of a run  <= (live rounds + 1) passes <= 10,001 x 2^47                     < 2^61 B
//   a batch         <= 1 GiB of pages + 2^20 x 4 KiB of headers: 5 GiB, 12 h at 1 Mbit/s
//   simulated time  <= live-phase guard (1e8 s) + one batch + final pass (<= 1e8 s, checked at
//                      load) + host costs                                          < 2.2e8 s
//                      against int64 nanoseconds' 9.2e9 s.
// Products of rates and times are formed in __int128 or double (never int64).
#pragma once

#include <cstdint>

#include "sim/units.h"

namespace migsim::sim::limits {

inline constexpr Bytes kMaxMemory{std::int64_t{1} << 42};  // 4 TiB of guest RAM
inline constexpr Bytes kMinPageSize{512};
inline constexpr Bytes kMaxPageSize{std::int64_t{1} << 30};  // 1 GiB huge pages
// Bytes of framing per page, per batch or per zero-page record (Xen and QEMU use 4 to 16).
inline constexpr std::int64_t kMaxRecordBytes = 4096;
inline constexpr std::int64_t kMaxBatchPages = std::int64_t{1} << 20;
// A batch never holds more than this much page payload (fewer huge pages per batch).
inline constexpr Bytes kMaxBatchPayload{std::int64_t{1} << 30};
inline constexpr BitRate kMinLinkRate = BitRate::bits_per_second(1000000);        // 1 Mbit/s
inline constexpr BitRate kMaxLinkRate = BitRate::bits_per_second(1000000000000);  // 1 Tbit/s
// Memory traffic and dirtying rates inside the guest.
inline constexpr BitRate kMaxMemoryRate = BitRate::bytes_per_second(std::int64_t{1} << 40);
inline constexpr double kMaxEventRate = 1e12;  // writes per second
// Live rounds of any algorithm; keeps a record below ~4 MB (one round is ~330 bytes of JSON).
inline constexpr std::int64_t kMaxRounds = 10000;
// The live phase ends here whatever the rules say; one full pass must also fit in it.
inline constexpr Duration kMaxLivePhase = Duration::s(100000000);  // ~3.2 years
inline constexpr Duration kMaxPass = Duration::s(100000000);

}  // namespace migsim::sim::limits
