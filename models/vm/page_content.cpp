#include "models/vm/page_content.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>

namespace migsim::vm {
namespace {

// A vocabulary drawn with Zipf-like weights (rank r has weight 1/r): English word frequencies
// follow this law closely, which is what gives text its LZ-compressibility.
constexpr std::array<std::string_view, 64> kWords = {
    "the",     "of",      "and",     "to",     "a",     "in",     "is",     "that",
    "for",     "it",      "as",      "was",    "with",  "be",     "by",     "on",
    "not",     "he",      "this",    "are",    "or",    "his",    "from",   "at",
    "which",   "but",     "have",    "an",     "had",   "they",   "you",    "were",
    "their",   "one",     "all",     "we",     "can",   "her",    "has",    "there",
    "been",    "if",      "more",    "when",   "will",  "would",  "who",    "so",
    "memory",  "page",    "request", "server", "error", "value",  "time",   "user",
    "process", "network", "system",  "data",   "file",  "return", "status", "session"};

std::size_t zipf_rank(sim::RandomStream& rng, std::size_t n) {
  // Inverse of the continuous approximation of the harmonic CDF: r = n^u (u uniform).
  const double r = std::pow(static_cast<double>(n), rng.uniform01());
  return std::min(n - 1, static_cast<std::size_t>(r) - 1);
}

void fill_text(std::span<std::uint8_t> page, sim::RandomStream& rng) {
  std::size_t i = 0;
  std::size_t line = 0;
  while (i < page.size()) {
    const std::string_view w = kWords[zipf_rank(rng, kWords.size())];
    for (char c : w) {
      if (i == page.size()) return;
      page[i++] = static_cast<std::uint8_t>(c);
    }
    if (i == page.size()) return;
    line += w.size() + 1;
    const std::uint64_t r = rng.below(100);
    char sep = ' ';
    if (line > 72) {
      sep = '\n';
      line = 0;
    } else if (r < 6) {
      sep = r < 4 ? ',' : '.';
    } else if (r < 8) {
      // A number: log lines and documents carry some.
      const auto n = std::to_string(rng.below(100000));
      for (char c : n) {
        if (i == page.size()) return;
        page[i++] = static_cast<std::uint8_t>(c);
      }
      if (i == page.size()) return;
    }
    page[i++] = static_cast<std::uint8_t>(sep);
  }
}

void fill_binary(std::span<std::uint8_t> page, sim::RandomStream& rng) {
  // 8-byte slots: heap objects are mostly pointers into a few regions (shared high bits,
  // aligned), small integers and flags, zero fields, and some opaque bytes.
  const std::uint64_t bases[4] = {0x00007f3a1c000000ULL, 0x00005610aa400000ULL,
                                  0xffff888004000000ULL, 0x00007ffd5e800000ULL};
  for (std::size_t i = 0; i + 8 <= page.size(); i += 8) {
    const std::uint64_t r = rng.below(100);
    std::uint64_t v = 0;
    if (r < 30)
      v = bases[rng.below(4)] + rng.below(1 << 20) * 8;  // a pointer
    else if (r < 55)
      v = rng.below(r < 45 ? 16 : 4096);  // a small integer or flag
    else if (r < 80)
      v = 0;  // an empty field
    else
      v = rng.next_u64();  // hashes, keys, packed data
    std::memcpy(page.data() + i, &v, 8);
  }
}

void fill_sparse(std::span<std::uint8_t> page, sim::RandomStream& rng) {
  std::fill(page.begin(), page.end(), std::uint8_t{0});
  // About one 8-byte word in 16 is set (page-table entries, list heads, counters).
  for (std::size_t i = 0; i + 8 <= page.size(); i += 8) {
    if (rng.below(16) != 0) continue;
    const std::uint64_t v = (rng.below(1 << 24) << 12) | 0x67;  // PTE-like: frame | flags
    std::memcpy(page.data() + i, &v, 8);
  }
}

void fill_random(std::span<std::uint8_t> page, sim::RandomStream& rng) {
  for (std::size_t i = 0; i < page.size(); i += 8) {
    const std::uint64_t v = rng.next_u64();
    std::memcpy(page.data() + i, &v, std::min<std::size_t>(8, page.size() - i));
  }
}

}  // namespace

std::string_view data_class_name(DataClass c) {
  switch (c) {
    case DataClass::kText:
      return "text";
    case DataClass::kBinary:
      return "binary";
    case DataClass::kSparse:
      return "sparse";
    case DataClass::kRandom:
      return "random";
  }
  return "?";
}

DataClass data_class_named(std::string_view name) {
  for (DataClass c : kDataClasses)
    if (data_class_name(c) == name) return c;
  throw std::invalid_argument("unknown data class '" + std::string(name) + "'");
}

void fill_page(DataClass c, std::span<std::uint8_t> page, sim::RandomStream& rng) {
  switch (c) {
    case DataClass::kText:
      return fill_text(page, rng);
    case DataClass::kBinary:
      return fill_binary(page, rng);
    case DataClass::kSparse:
      return fill_sparse(page, rng);
    case DataClass::kRandom:
      return fill_random(page, rng);
  }
}

}  // namespace migsim::vm
