// libFuzzer target: any text through the unit parsers (sizes, durations, data rates, event
// rates). What a parser accepts must format to canonical text that parses back to the same
// value, and parsing must never crash or overflow (UBSan) whatever the digits.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "sim/units.h"

namespace {

template <class T, class Parse, class Format>
void round_trip(std::string_view text, Parse parse, Format format) {
  T value{};
  std::string error;
  if (!parse(text, value, error)) {
    if (error.empty()) std::abort();  // a refusal always says why
    return;
  }
  const std::string canonical = format(value);
  T again{};
  if (!parse(canonical, again, error) || !(again == value)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace migsim::sim;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  round_trip<Bytes>(text, parse_bytes, format_bytes);
  round_trip<Duration>(text, parse_duration, format_duration);
  round_trip<BitRate>(text, parse_bit_rate, format_bit_rate);
  round_trip<Rate>(text, parse_rate, format_rate);
  return 0;
}
