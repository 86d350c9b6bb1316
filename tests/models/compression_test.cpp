// The compression block: the encoder follows the calibrated ratio and speed, sending is bound by
// min(cores x per-core speed, link rate x ratio), and the adaptive policy tracks the best
// setting in both regimes (issue 7's trend).
#include <catch2/catch.hpp>
#include <string>

#include "models/migration/encoder.h"
#include "tests/support.h"

using namespace migsim;

namespace {

const migration::CodecSetting& setting(std::string_view name) {
  for (const auto& s : migration::codec_settings())
    if (s.name == name) return s;
  throw std::logic_error("no setting");
}

double metric(const test::Json& r, const char* name) {
  return r["metrics"][name].get<double>();
}

// An idle 256 MiB guest whose pages are all of one data class: one pass, no dirtying.
std::string idle_vm(const std::string& link, const std::string& cores,
                    const std::string& compression, const std::string& vm_extra = "") {
  return "vm: {memory: 256MiB" + vm_extra + "}\nworkload: {type: idle}\nlink: {" + link +
         "}\nhost: {hypervisor: xen-legacy, migration_cores: " + cores +
         "}\nmigration: {algorithm: pre_copy, compression: {" + compression + "}}\n";
}

}  // namespace

TEST_CASE("an encoded batch shrinks by the class's calibrated ratio at its per-core speed",
          "[compression]") {
  migration::CompressionParams p;
  p.codec = "zstd";
  p.level = 3;
  p.threads = 8;
  migration::Encoder e(p, /*cores=*/2);  // 8 threads on 2 cores: 2 cores' worth
  CHECK(e.cores() == 2);
  vm::GuestMemory::ClassCounts pages{};
  pages[static_cast<std::size_t>(vm::data_page(vm::DataClass::kText))] = 1000;
  pages[static_cast<std::size_t>(vm::PageClass::kStorage)] = 500;  // file data: binary
  const auto out = e.encode(pages, sim::Bytes{4096}, sim::BitRate::bits_per_second(1000000000));
  const auto& z = setting("zstd-3");
  const double text = 1000 * 4096.0, binary = 500 * 4096.0;
  CHECK(out.raw == Approx(text + binary));
  CHECK(out.payload == Approx(text / z.ratio[0] + binary / z.ratio[1]));
  CHECK(out.compress_core_s == Approx(text / z.compress_bps[0] + binary / z.compress_bps[1]));
  CHECK(out.compress.seconds() == Approx(out.compress_core_s / 2).epsilon(1e-6));
}

TEST_CASE("a fast link with one core is CPU-bound and a slow link with four is network-bound",
          "[compression]") {
  const double memory = 256.0 * 1048576.0;
  const auto& lz4 = setting("lz4");
  SECTION("10 Gbit, 1 core: lz4 runs at its per-core speed, slower than sending raw") {
    const auto lz = test::run_yaml(idle_vm("bandwidth: 10Gbit/s", "1", "codec: lz4"));
    const auto raw = test::run_yaml(idle_vm("bandwidth: 10Gbit/s", "1", "codec: none"));
    // The live pass (total minus downtime) runs at lz4's per-core speed on binary data.
    CHECK(metric(lz, "total_time_s") - metric(lz, "downtime_s") ==
          Approx(memory / lz4.compress_bps[1]).epsilon(0.02));
    CHECK(metric(lz, "total_time_s") > metric(raw, "total_time_s"));
    CHECK(metric(lz, "bytes_total") < metric(raw, "bytes_total") / 1.5);
    CHECK(metric(lz, "bytes_before_compression") == Approx(memory).epsilon(0.001));
    CHECK(metric(raw, "bytes_before_compression") == 0);
    CHECK(metric(lz, "cpu_compress_s") == Approx(memory / lz4.compress_bps[1]).epsilon(0.01));
  }
  SECTION("100 Mbit, 4 cores: zstd-9's ratio shortens the migration by about that ratio") {
    const auto z9 = test::run_yaml(idle_vm("bandwidth: 100Mbit/s", "4",
                                           "codec: zstd, level: 9, "
                                           "threads: 4"));
    const auto raw = test::run_yaml(idle_vm("bandwidth: 100Mbit/s", "4", "codec: none"));
    CHECK(metric(raw, "total_time_s") / metric(z9, "total_time_s") ==
          Approx(setting("zstd-9").ratio[1]).epsilon(0.05));
  }
}

TEST_CASE("QEMU zero pages stay 9-byte records with a codec on", "[compression]") {
  const auto r = test::run_yaml(
      "vm: {memory: 64MiB, zero_fraction: 0.5}\nworkload: {type: idle}\n"
      "host: {hypervisor: qemu}\nmigration: {algorithm: pre_copy, compression: {codec: lz4}}\n");
  const double zero = metric(r, "pages_zero");
  CHECK(zero > 0.45 * 16384);
  // Only the data pages went through the codec.
  CHECK(metric(r, "bytes_before_compression") == Approx((16384 - zero) * 4096.0));
}

TEST_CASE("adaptive compression is within 5% of the better of none and the best fixed codec",
          "[compression][trend]") {
  // A mixed guest: text, sparse and incompressible data, with writes, so later rounds matter.
  // QEMU's 128 MiB/s cap is lifted so the link, not the cap, sets the regime.
  const std::string mix =
      ", zero_fraction: 0.05, text_fraction: 0.3, sparse_fraction: 0.1, random_fraction: 0.15, "
      "content_layout: runs";
  const std::string work = "workload: {type: uniform, rate: 20000/s}\n";
  for (const auto& [link, cores] : {std::pair<std::string, std::string>{"10Gbit/s", "1"},
                                    std::pair<std::string, std::string>{"100Mbit/s", "4"}}) {
    INFO(link << " with " << cores << " cores");
    const auto run = [&](const std::string& compression) {
      const std::string yaml =
          "vm: {memory: 256MiB" + mix + "}\n" + work + "link: {bandwidth: " + link +
          "}\nhost: {hypervisor: qemu, migration_cores: " + cores +
          "}\nmigration: {algorithm: pre_copy, max_bandwidth: 0bit/s, compression: {" +
          compression + ", threads: " + cores + "}}\n";
      return metric(test::run_yaml(yaml), "total_time_s");
    };
    const double none = run("codec: none");
    double best_fixed = 1e300;
    for (const char* c :
         {"codec: lz4", "codec: zstd, level: 1", "codec: zstd, level: 3", "codec: zstd, level: 9"})
      best_fixed = std::min(best_fixed, run(c));
    const double adaptive = run("policy: adaptive");
    CHECK(adaptive <= 1.05 * std::min(none, best_fixed));
  }
}
