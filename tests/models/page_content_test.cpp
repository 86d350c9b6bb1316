// The sample pages the codec calibration compresses have the character their class claims.
#include <array>
#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "models/vm/page_content.h"

using namespace migsim;

namespace {

std::vector<std::uint8_t> sample(vm::DataClass c, int pages, std::uint64_t seed) {
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(pages) * 4096);
  sim::RandomStream rng(seed, 0, "test.page-content");
  for (int p = 0; p < pages; ++p)
    vm::fill_page(c, std::span<std::uint8_t>(bytes.data() + p * 4096, 4096), rng);
  return bytes;
}

// Shannon entropy of the byte histogram, bits per byte.
double entropy(const std::vector<std::uint8_t>& bytes) {
  std::array<double, 256> n{};
  for (auto b : bytes) n[b] += 1;
  double h = 0;
  for (double k : n)
    if (k > 0)
      h -= k / static_cast<double>(bytes.size()) * std::log2(k / static_cast<double>(bytes.size()));
  return h;
}

}  // namespace

TEST_CASE("sample pages are deterministic per stream and differ across streams", "[content]") {
  for (const auto c : vm::kDataClasses) {
    INFO(vm::data_class_name(c));
    CHECK(sample(c, 4, 1) == sample(c, 4, 1));
    CHECK(sample(c, 4, 1) != sample(c, 4, 2));
  }
}

TEST_CASE(
    "each content class has its character: text printable, sparse mostly zero, random "
    "full entropy, binary in between",
    "[content]") {
  const auto text = sample(vm::DataClass::kText, 64, 3);
  for (auto b : text) REQUIRE((b == '\n' || (b >= 0x20 && b < 0x7f)));
  const auto sparse = sample(vm::DataClass::kSparse, 64, 3);
  const auto zeros = std::count(sparse.begin(), sparse.end(), std::uint8_t{0});
  CHECK(static_cast<double>(zeros) / static_cast<double>(sparse.size()) > 0.85);
  const double h_random = entropy(sample(vm::DataClass::kRandom, 64, 3));
  const double h_binary = entropy(sample(vm::DataClass::kBinary, 64, 3));
  const double h_text = entropy(text);
  CHECK(h_random > 7.99);
  CHECK(h_binary < h_random - 0.5);
  CHECK(h_text < 5.0);
}
