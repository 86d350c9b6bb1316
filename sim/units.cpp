#include "sim/units.h"

#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <span>

namespace migsim::sim {
namespace {

struct Unit {
  std::string_view name;
  std::int64_t factor;  // in the base unit
};

constexpr std::array kByteUnits{
    Unit{"B", 1},
    Unit{"KiB", std::int64_t{1} << 10},
    Unit{"MiB", std::int64_t{1} << 20},
    Unit{"GiB", std::int64_t{1} << 30},
    Unit{"TiB", std::int64_t{1} << 40},
    Unit{"KB", 1000},
    Unit{"MB", 1000000},
    Unit{"GB", 1000000000},
    Unit{"TB", 1000000000000},
};
constexpr std::array kDurationUnits{
    Unit{"ns", 1},         Unit{"us", 1000},         Unit{"ms", 1000000},
    Unit{"s", 1000000000}, Unit{"min", 60000000000}, Unit{"h", 3600000000000},
};
// Rates in bits per second: bit forms and byte forms (x8).
constexpr std::array kBitRateUnits{
    Unit{"bit/s", 1},
    Unit{"Kbit/s", 1000},
    Unit{"Mbit/s", 1000000},
    Unit{"Gbit/s", 1000000000},
    Unit{"Tbit/s", 1000000000000},
    Unit{"B/s", 8},
    Unit{"KB/s", 8000},
    Unit{"MB/s", 8000000},
    Unit{"GB/s", 8000000000},
    Unit{"KiB/s", std::int64_t{8} << 10},
    Unit{"MiB/s", std::int64_t{8} << 20},
    Unit{"GiB/s", std::int64_t{8} << 30},
    Unit{"TB/s", 8000000000000},
    Unit{"TiB/s", std::int64_t{8} << 40},
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Splits "12.5MiB" into a non-negative decimal number and a unit suffix.
bool split_number(std::string_view text, std::string_view& number, std::string_view& unit) {
  text = trim(text);
  std::size_t i = 0;
  while (i < text.size() && ((text[i] >= '0' && text[i] <= '9') || text[i] == '.')) ++i;
  number = text.substr(0, i);
  unit = trim(text.substr(i));
  return !number.empty() && number != ".";
}

// number * factor as an exact integer, or false when it is not whole or overflows.
bool scale_exact(std::string_view number, std::int64_t factor, std::int64_t& out) {
  const auto dot = number.find('.');
  std::string_view whole = number.substr(0, dot);
  std::string_view frac =
      dot == std::string_view::npos ? std::string_view{} : number.substr(dot + 1);
  if (frac.find('.') != std::string_view::npos) return false;
  __int128 value = 0;
  for (char c : whole) {
    value = value * 10 + (c - '0');
    if (value > std::numeric_limits<std::int64_t>::max()) return false;
  }
  value *= factor;
  __int128 frac_num = 0, frac_den = 1;
  for (char c : frac) {
    if (frac_den > std::numeric_limits<std::int64_t>::max()) return false;
    frac_num = frac_num * 10 + (c - '0');
    frac_den *= 10;
  }
  const __int128 frac_scaled = frac_num * factor;
  if (frac_scaled % frac_den != 0) return false;
  value += frac_scaled / frac_den;
  if (value > std::numeric_limits<std::int64_t>::max()) return false;
  out = static_cast<std::int64_t>(value);
  return true;
}

template <std::size_t N>
bool parse_with_units(std::string_view text, const std::array<Unit, N>& units,
                      std::string_view kind, std::string_view example, std::int64_t& out,
                      std::string& error) {
  std::string_view number, unit;
  const std::string allowed_units = [&] {
    std::string s;
    for (const auto& u : units) s += (s.empty() ? "" : ", ") + std::string(u.name);
    return s;
  }();
  if (!split_number(text, number, unit)) {
    error = "expected " + std::string(kind) + " with a unit, such as " + std::string(example) +
            " (units: " + allowed_units + ")";
    return false;
  }
  if (unit.empty()) {
    error = "missing unit: write " + std::string(kind) + " such as " + std::string(example) +
            " (units: " + allowed_units + ")";
    return false;
  }
  for (const auto& u : units) {
    if (u.name == unit) {
      if (!scale_exact(number, u.factor, out)) {
        error = "'" + std::string(trim(text)) +
                "' is not a whole number of the base unit or is too large";
        return false;
      }
      return true;
    }
  }
  error = "unknown unit '" + std::string(unit) + "' for " + std::string(kind) +
          " (units: " + allowed_units + ")";
  return false;
}

std::string format_with_units(std::int64_t value, std::span<const Unit> units, std::size_t first,
                              std::size_t last) {
  // The largest unit in [first, last) that writes the value exactly, with at most three
  // decimals ("941.5Mbit/s" rather than "941500Kbit/s").
  for (std::size_t i = last; i-- > first;) {
    const std::int64_t f = units[i].factor;
    if (value % f == 0) return std::to_string(value / f) + std::string(units[i].name);
    if (i > first && f % 1000 == 0 && value >= f && value % (f / 1000) == 0) {
      const std::int64_t whole = value / f, milli = (value % f) / (f / 1000);
      std::string frac = std::to_string(milli + 1000).substr(1);
      while (!frac.empty() && frac.back() == '0') frac.pop_back();
      return std::to_string(whole) + "." + frac + std::string(units[i].name);
    }
  }
  return std::to_string(value) + std::string(units[first].name);
}

std::string pattern_for(std::span<const Unit> units) {
  std::string alternatives;
  for (const auto& u : units)
    alternatives += (alternatives.empty() ? "" : "|") + std::string(u.name);
  return "^\\s*[0-9]*\\.?[0-9]+\\s*(" + alternatives + ")\\s*$";
}

}  // namespace

std::string bytes_pattern() {
  return pattern_for(kByteUnits);
}
std::string duration_pattern() {
  return pattern_for(kDurationUnits);
}
std::string bit_rate_pattern() {
  return pattern_for(kBitRateUnits);
}
std::string rate_pattern() {
  return "^\\s*[0-9]*\\.?[0-9]+\\s*/s\\s*$";
}

Duration BitRate::time_for(Bytes bytes) const {
  const __int128 num = static_cast<__int128>(bytes.count()) * 8 * 1000000000;
  const __int128 ns = (num + bps_ - 1) / bps_;
  return ns >= Duration::max().count_ns() ? Duration::max()
                                          : Duration::ns(static_cast<std::int64_t>(ns));
}

Bytes BitRate::bytes_in(Duration d) const {
  const __int128 bits = static_cast<__int128>(bps_) * d.count_ns() / 1000000000;
  return Bytes{static_cast<std::int64_t>(bits / 8)};
}

bool parse_bytes(std::string_view text, Bytes& out, std::string& error) {
  std::int64_t v = 0;
  if (!parse_with_units(text, kByteUnits, "a size", "4GiB or 512MiB", v, error)) return false;
  out = Bytes{v};
  return true;
}

bool parse_duration(std::string_view text, Duration& out, std::string& error) {
  std::int64_t v = 0;
  if (!parse_with_units(text, kDurationUnits, "a duration", "300ms or 1.5s", v, error))
    return false;
  out = Duration::ns(v);
  return true;
}

bool parse_bit_rate(std::string_view text, BitRate& out, std::string& error) {
  std::int64_t v = 0;
  if (!parse_with_units(text, kBitRateUnits, "a data rate", "1Gbit/s or 125MB/s", v, error))
    return false;
  out = BitRate::bits_per_second(v);
  return true;
}

bool parse_rate(std::string_view text, Rate& out, std::string& error) {
  std::string_view number, unit;
  if (!split_number(text, number, unit) || unit != "/s") {
    error = "expected an event rate such as 20000/s";
    return false;
  }
  double v = 0;
  const auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), v);
  if (ec != std::errc{} || ptr != number.data() + number.size() || !std::isfinite(v)) {
    error = "expected an event rate such as 20000/s";
    return false;
  }
  out = Rate{v};
  return true;
}

std::string format_bytes(Bytes b) {
  if (b.count() == 0) return "0B";
  // Binary units only, so the text is exact ("1GiB", "4KiB", "1000B").
  return format_with_units(b.count(), kByteUnits, 0, 5);
}

std::string format_duration(Duration d) {
  if (d.count_ns() == 0) return "0s";
  // Up to seconds; minutes and hours read poorly in records.
  return format_with_units(d.count_ns(), kDurationUnits, 0, 4);
}

std::string format_bit_rate(BitRate r) {
  if (r.bps() == 0) return "0bit/s";
  // Byte rates in binary units read naturally ("128MiB/s"); otherwise bits.
  const std::int64_t b = r.bps();
  for (std::size_t i : {13, 11, 10, 9}) {  // TiB/s, GiB/s, MiB/s, KiB/s
    if (b % kBitRateUnits[i].factor == 0)
      return std::to_string(b / kBitRateUnits[i].factor) + std::string(kBitRateUnits[i].name);
  }
  return format_with_units(b, kBitRateUnits, 0, 5);
}

std::string format_rate(Rate r) {
  // Fixed notation: the rate parser takes plain decimals ("100000/s", not "1e+05/s").
  std::array<char, 400> buf{};
  const auto [ptr, ec] =
      std::to_chars(buf.data(), buf.data() + buf.size(), r.per_second(), std::chars_format::fixed);
  return std::string(buf.data(), ptr) + "/s";
}

std::string format_double(double v) {
  std::array<char, 64> buf{};
  const auto [ptr, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  return std::string(buf.data(), ptr);
}

}  // namespace migsim::sim
