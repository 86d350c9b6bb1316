// Measures what page compression and hashing cost and achieve, per page-content class, with the
// real libraries the simulator's compression and memory-comparison models stand for (Debian's
// liblz4, libzstd, libxxhash). Pages are compressed one at a time with reused contexts, as a
// migration stream encodes them. Prints one row per (class, codec): compression ratio, and
// single-core compress and decompress throughput of page input. The printed table is checked in
// as bench/codec_calibration.txt with the command that produced it.
//
// Usage: codec_calibration [PAGES]   (default 4096 pages of 4 KiB per class)
#include <lz4.h>
#include <xxhash.h>
#include <zstd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "models/vm/page_content.h"

using namespace migsim;

namespace {

constexpr std::size_t kPage = 4096;

// Runs `pass` (one pass over all pages) until at least 0.3 s have gone by; seconds per pass.
double time_per_pass(const std::function<void()>& pass) {
  using clock = std::chrono::steady_clock;
  pass();  // warm-up
  int passes = 0;
  const auto start = clock::now();
  double elapsed = 0;
  do {
    pass();
    ++passes;
    elapsed = std::chrono::duration<double>(clock::now() - start).count();
  } while (elapsed < 0.3);
  return elapsed / passes;
}

struct Codec {
  std::string name;
  // Compresses one page into dst (capacity cap); returns the compressed size.
  std::function<std::size_t(const std::uint8_t*, std::uint8_t*, std::size_t)> compress;
  std::function<void(const std::uint8_t*, std::size_t, std::uint8_t*)> decompress;
};

}  // namespace

int main(int argc, char** argv) {
  const std::size_t pages = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 4096;
  if (pages == 0) {
    std::fprintf(stderr, "usage: codec_calibration [PAGES > 0]\n");
    return 2;
  }
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ZSTD_DCtx* dctx = ZSTD_createDCtx();
  std::vector<Codec> codecs;
  codecs.push_back({"lz4",
                    [](const std::uint8_t* s, std::uint8_t* d, std::size_t cap) {
                      return static_cast<std::size_t>(LZ4_compress_default(
                          reinterpret_cast<const char*>(s), reinterpret_cast<char*>(d), kPage,
                          static_cast<int>(cap)));
                    },
                    [](const std::uint8_t* s, std::size_t n, std::uint8_t* d) {
                      LZ4_decompress_safe(reinterpret_cast<const char*>(s),
                                          reinterpret_cast<char*>(d), static_cast<int>(n), kPage);
                    }});
  for (int level : {1, 3, 9}) {
    codecs.push_back({"zstd-" + std::to_string(level),
                      [cctx, level](const std::uint8_t* s, std::uint8_t* d, std::size_t cap) {
                        return ZSTD_compressCCtx(cctx, d, cap, s, kPage, level);
                      },
                      [dctx](const std::uint8_t* s, std::size_t n, std::uint8_t* d) {
                        ZSTD_decompressDCtx(dctx, d, kPage, s, n);
                      }});
  }

  std::printf(
      "# codec_calibration %zu pages of %zu B per class; liblz4 %s, libzstd %s, "
      "libxxhash %u\n",
      pages, kPage, LZ4_versionString(), ZSTD_versionString(), XXH_versionNumber());
  std::printf("%-8s %-8s %8s %14s %14s\n", "class", "codec", "ratio", "compress_MB/s",
              "decompress_MB/s");
  const std::size_t cap =
      std::max<std::size_t>(LZ4_compressBound(kPage), ZSTD_compressBound(kPage));
  std::vector<std::uint8_t> in(pages * kPage), out(pages * cap), back(kPage);
  std::vector<std::size_t> sizes(pages);
  double hash_seconds = 0;
  for (const vm::DataClass c : vm::kDataClasses) {
    sim::RandomStream rng(1, 0, "codec-calibration." + std::string(vm::data_class_name(c)));
    for (std::size_t p = 0; p < pages; ++p)
      vm::fill_page(c, std::span<std::uint8_t>(in.data() + p * kPage, kPage), rng);
    const double mb = static_cast<double>(pages * kPage) / 1e6;
    for (const Codec& codec : codecs) {
      std::size_t total = 0;
      const double tc = time_per_pass([&] {
        total = 0;
        for (std::size_t p = 0; p < pages; ++p) {
          sizes[p] = codec.compress(in.data() + p * kPage, out.data() + p * cap, cap);
          total += sizes[p];
        }
      });
      const double td = time_per_pass([&] {
        for (std::size_t p = 0; p < pages; ++p)
          codec.decompress(out.data() + p * cap, sizes[p], back.data());
      });
      std::printf("%-8s %-8s %8.3f %14.0f %14.0f\n", std::string(vm::data_class_name(c)).c_str(),
                  codec.name.c_str(),
                  static_cast<double>(pages * kPage) / static_cast<double>(total), mb / tc,
                  mb / td);
    }
    std::uint64_t sink = 0;
    hash_seconds += time_per_pass([&] {
      for (std::size_t p = 0; p < pages; ++p) sink ^= XXH3_64bits(in.data() + p * kPage, kPage);
    });
    if (sink == 42) std::printf("#\n");  // keeps the hashing from being optimised away
  }
  std::printf("# xxh3-64 page hashing: %.0f MB/s per core (all classes)\n",
              static_cast<double>(pages * kPage) * 4 / 1e6 / hash_seconds);
  ZSTD_freeCCtx(cctx);
  ZSTD_freeDCtx(dctx);
  return 0;
}
