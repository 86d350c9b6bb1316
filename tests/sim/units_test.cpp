#include <catch2/catch.hpp>

#include "sim/units.h"

using namespace migsim::sim;

TEST_CASE("sizes parse with binary and decimal units", "[units]") {
  Bytes b;
  std::string err;
  REQUIRE(parse_bytes("4GiB", b, err));
  CHECK(b.count() == 4LL << 30);
  REQUIRE(parse_bytes("512MiB", b, err));
  CHECK(b.count() == 512LL << 20);
  REQUIRE(parse_bytes("125MB", b, err));
  CHECK(b.count() == 125000000);
  REQUIRE(parse_bytes("0.5KiB", b, err));
  CHECK(b.count() == 512);
  REQUIRE(parse_bytes(" 7 B ", b, err));
  CHECK(b.count() == 7);
}

TEST_CASE("durations, data rates and event rates parse to exact integers", "[units]") {
  std::string err;
  Duration d;
  REQUIRE(parse_duration("300ms", d, err));
  CHECK(d == Duration::ms(300));
  REQUIRE(parse_duration("1.5s", d, err));
  CHECK(d == Duration::ms(1500));
  REQUIRE(parse_duration("0.1ms", d, err));
  CHECK(d == Duration::us(100));
  BitRate r;
  REQUIRE(parse_bit_rate("1Gbit/s", r, err));
  CHECK(r.bps() == 1000000000);
  REQUIRE(parse_bit_rate("125MB/s", r, err));
  CHECK(r.bps() == 1000000000);
  REQUIRE(parse_bit_rate("128MiB/s", r, err));
  CHECK(r.bps() == (128LL << 20) * 8);
  REQUIRE(parse_bit_rate("941.5Mbit/s", r, err));
  CHECK(r.bps() == 941500000);
  Rate w;
  REQUIRE(parse_rate("20000/s", w, err));
  CHECK(w.per_second() == 20000.0);
}

TEST_CASE("invalid quantities are rejected with what is allowed", "[units]") {
  std::string err;
  Bytes b;
  CHECK_FALSE(parse_bytes("4096", b, err));
  CHECK(err.find("missing unit") != std::string::npos);
  CHECK_FALSE(parse_bytes("4Gib", b, err));
  CHECK(err.find("unknown unit 'Gib'") != std::string::npos);
  CHECK(err.find("GiB") != std::string::npos);
  CHECK_FALSE(parse_bytes("-1GiB", b, err));
  CHECK_FALSE(parse_bytes("GiB", b, err));
  CHECK_FALSE(parse_bytes("0.3B", b, err));            // not a whole number of bytes
  CHECK_FALSE(parse_bytes("99999999999TiB", b, err));  // overflow
  Duration d;
  CHECK_FALSE(parse_duration("300", d, err));
  CHECK_FALSE(parse_duration("3 parsecs", d, err));
  BitRate r;
  CHECK_FALSE(parse_bit_rate("1Gbps", r, err));
  CHECK_FALSE(parse_bit_rate("1.2.3Gbit/s", r, err));
  Rate w;
  CHECK_FALSE(parse_rate("20000", w, err));
  CHECK_FALSE(parse_rate("fast/s", w, err));
}

TEST_CASE("canonical text reads back as the same value", "[units]") {
  std::string err;
  for (std::int64_t v : {0LL, 1LL, 4096LL, 1LL << 30, 1000LL, 3LL << 40, 12345LL}) {
    Bytes b;
    REQUIRE(parse_bytes(format_bytes(Bytes{v}), b, err));
    CHECK(b.count() == v);
  }
  CHECK(format_bytes(Bytes{1LL << 30}) == "1GiB");
  for (std::int64_t ns : {0LL, 1LL, 100000LL, 300000000LL, 1500000000LL, 123456789LL}) {
    Duration d;
    REQUIRE(parse_duration(format_duration(Duration::ns(ns)), d, err));
    CHECK(d.count_ns() == ns);
  }
  CHECK(format_duration(Duration::ms(300)) == "300ms");
  for (std::int64_t bps : {1000000000LL, 941500000LL, 1073741824LL, 7LL, 9415000000LL}) {
    BitRate r;
    REQUIRE(parse_bit_rate(format_bit_rate(BitRate::bits_per_second(bps)), r, err));
    CHECK(r.bps() == bps);
  }
  CHECK(format_bit_rate(BitRate::bits_per_second(941500000)) == "941.5Mbit/s");
  CHECK(format_bit_rate(BitRate::bytes_per_second(128LL << 20)) == "128MiB/s");
  for (double v : {100000.0, 20000.0, 0.5, 1e-3, 123456789.25}) {
    Rate r;
    REQUIRE(parse_rate(format_rate(Rate{v}), r, err));
    CHECK(r.per_second() == v);
  }
}

TEST_CASE("transfer time rounds up to the nanosecond and is exact for whole values", "[units]") {
  const BitRate gbit = BitRate::bits_per_second(1000000000);
  CHECK(gbit.time_for(Bytes{125000000}) == Duration::s(1));
  CHECK(gbit.time_for(Bytes{1}).count_ns() == 8);
  const BitRate odd = BitRate::bits_per_second(3);
  CHECK(odd.time_for(Bytes{1}).count_ns() == 2666666667);  // 8/3 s rounded up
}
