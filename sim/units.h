// Physical quantities that cross module boundaries: sizes, durations, data rates and event
// rates. Scenario files write them with units ("4GiB", "300ms", "1Gbit/s", "125MB/s",
// "20000/s"); parse_* turns that text into the types below and format_* writes the canonical
// form back, so a resolved scenario re-parses to the same values.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

namespace migsim::sim {

// A byte count.
class Bytes {
 public:
  constexpr Bytes() = default;
  constexpr explicit Bytes(std::int64_t count) : count_(count) {}
  constexpr std::int64_t count() const { return count_; }
  constexpr auto operator<=>(const Bytes&) const = default;
  constexpr Bytes operator+(Bytes o) const { return Bytes{count_ + o.count_}; }
  constexpr Bytes operator-(Bytes o) const { return Bytes{count_ - o.count_}; }
  constexpr Bytes& operator+=(Bytes o) {
    count_ += o.count_;
    return *this;
  }
  constexpr Bytes operator*(std::int64_t k) const { return Bytes{count_ * k}; }

 private:
  std::int64_t count_ = 0;
};

// A span of simulated time (and, measured from the start, a point in it): integer nanoseconds.
class Duration {
 public:
  constexpr Duration() = default;
  static constexpr Duration ns(std::int64_t n) { return Duration{n}; }
  static constexpr Duration us(std::int64_t n) { return Duration{n * 1000}; }
  static constexpr Duration ms(std::int64_t n) { return Duration{n * 1000000}; }
  static constexpr Duration s(std::int64_t n) { return Duration{n * 1000000000}; }
  static constexpr Duration max() { return Duration{INT64_MAX}; }
  constexpr std::int64_t count_ns() const { return ns_; }
  constexpr double seconds() const { return static_cast<double>(ns_) / 1e9; }
  constexpr auto operator<=>(const Duration&) const = default;
  // Saturates at max() instead of overflowing (the kernel refuses events at max()).
  constexpr Duration operator+(Duration o) const {
    std::int64_t r = 0;
    return __builtin_add_overflow(ns_, o.ns_, &r) ? max() : Duration{r};
  }
  constexpr Duration operator-(Duration o) const { return Duration{ns_ - o.ns_}; }
  constexpr Duration& operator+=(Duration o) { return *this = *this + o; }
  constexpr Duration& operator-=(Duration o) {
    ns_ -= o.ns_;
    return *this;
  }
  constexpr Duration operator*(std::int64_t k) const { return Duration{ns_ * k}; }

 private:
  constexpr explicit Duration(std::int64_t n) : ns_(n) {}
  std::int64_t ns_ = 0;
};

// A data rate in bits per second. Integer, so transfer times are exact integer arithmetic.
class BitRate {
 public:
  constexpr BitRate() = default;
  static constexpr BitRate bits_per_second(std::int64_t b) { return BitRate{b}; }
  static constexpr BitRate bytes_per_second(std::int64_t b) { return BitRate{b * 8}; }
  constexpr std::int64_t bps() const { return bps_; }
  constexpr double bytes_per_second_f() const { return static_cast<double>(bps_) / 8.0; }
  constexpr auto operator<=>(const BitRate&) const = default;

  // Time to move `bytes` at this rate, rounded up to the next nanosecond. Rate must be > 0.
  Duration time_for(Bytes bytes) const;
  // Bytes moved in `d` at this rate, rounded down.
  Bytes bytes_in(Duration d) const;

 private:
  constexpr explicit BitRate(std::int64_t b) : bps_(b) {}
  std::int64_t bps_ = 0;
};

// An event rate (writes per second and the like).
class Rate {
 public:
  constexpr Rate() = default;
  constexpr explicit Rate(double per_second) : per_second_(per_second) {}
  constexpr double per_second() const { return per_second_; }
  constexpr auto operator<=>(const Rate&) const = default;

 private:
  double per_second_ = 0.0;
};

namespace literals {
constexpr Bytes operator""_B(unsigned long long n) {
  return Bytes{static_cast<std::int64_t>(n)};
}
constexpr Bytes operator""_KiB(unsigned long long n) {
  return Bytes{static_cast<std::int64_t>(n) << 10};
}
constexpr Bytes operator""_MiB(unsigned long long n) {
  return Bytes{static_cast<std::int64_t>(n) << 20};
}
constexpr Bytes operator""_GiB(unsigned long long n) {
  return Bytes{static_cast<std::int64_t>(n) << 30};
}
}  // namespace literals

// Parsers. Each returns false and fills `error` with what is allowed when the text is not a
// valid quantity of that kind. Numbers may be decimal fractions ("0.5GiB") when the result is a
// whole number of the base unit (bytes, nanoseconds, bits/s).
bool parse_bytes(std::string_view text, Bytes& out, std::string& error);
bool parse_duration(std::string_view text, Duration& out, std::string& error);
bool parse_bit_rate(std::string_view text, BitRate& out, std::string& error);
bool parse_rate(std::string_view text, Rate& out, std::string& error);

// Canonical text: the largest unit that represents the value exactly ("1GiB", "300ms",
// "941500000bit/s" -> "941.5Mbit/s", "20MiB/s").
std::string format_bytes(Bytes b);
std::string format_duration(Duration d);
std::string format_bit_rate(BitRate r);
std::string format_rate(Rate r);

// Regular expressions (ECMA-262) matching what the parsers accept, for the JSON schema.
std::string bytes_pattern();
std::string duration_pattern();
std::string bit_rate_pattern();
std::string rate_pattern();

// Shortest text that reads back as the same double (used for every double we print).
std::string format_double(double v);

}  // namespace migsim::sim
