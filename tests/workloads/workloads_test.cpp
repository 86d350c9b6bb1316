#include <catch2/catch.hpp>
#include <cmath>

#include "sim/params.h"
#include "workloads/disk_io.h"
#include "workloads/workload.h"

using namespace migsim;
using sim::Bytes;
using sim::Duration;

namespace {

struct Fixture {
  explicit Fixture(std::int64_t pages, std::uint64_t replicate = 0) {
    vm::VmParams p;
    p.memory = Bytes{pages * 4096};
    memory = std::make_unique<vm::GuestMemory>(p, 1, replicate);
    ctx = workloads::WorkloadContext{memory->pages(), Bytes{4096}, 1, replicate};
  }
  std::unique_ptr<vm::GuestActivity> make(
      const std::string& type, const std::vector<std::pair<std::string, std::string>>& values) {
    const auto* entry = workloads::workloads().find(type);
    REQUIRE(entry != nullptr);
    auto params = entry->make_params();
    std::size_t used = 0;
    sim::for_each_param(*params, [&](const sim::ParamDecl& d) {
      for (const auto& [k, v] : values) {
        std::string err;
        if (d.name != k) continue;
        REQUIRE(d.parse(v, err));
        ++used;
      }
    });
    REQUIRE(used == values.size());  // every key given is a parameter of this workload
    return entry->make(*params, ctx);
  }
  std::uint64_t dirty() {
    sim::Bitmap pending(memory->pages());
    return memory->fetch_and_clear(pending).dirty_count;
  }
  std::unique_ptr<vm::GuestMemory> memory;
  workloads::WorkloadContext ctx;
};

}  // namespace

TEST_CASE("every documented workload is registered", "[workloads]") {
  for (const char* name :
       {"idle", "sequential", "uniform", "hotcold", "memtester", "read_heavy", "desktop", "trace"})
    CHECK(workloads::workloads().find(name) != nullptr);
  CHECK(workloads::workloads().entries().size() == 8);
}

TEST_CASE("sequential dirties dirty_rate x t, in order, and wraps around its region",
          "[workloads]") {
  Fixture f(1000);
  auto w = f.make("sequential",
                  {{"dirty_rate", "4096000B/s"}, {"offset", "400KiB"}, {"size", "400KiB"}});
  // 1000 pages/s over a 100-page region starting at page 100.
  w->advance(Duration::ms(0), Duration::ms(30), *f.memory);
  sim::Bitmap pending(f.memory->pages());
  CHECK(f.memory->fetch_and_clear(pending).dirty_count == 30);
  CHECK(pending.find_next(0) == 100);
  CHECK(pending.count_range(100, 30) == 30);
  w->advance(Duration::ms(30), Duration::ms(110), *f.memory);  // pages 130..199, then 100..109
  sim::Bitmap next(f.memory->pages());
  CHECK(f.memory->fetch_and_clear(next).dirty_count == 80);
  CHECK(next.count_range(130, 70) == 70);
  CHECK(next.count_range(100, 10) == 10);
  CHECK(next.count_range(200, 800) == 0);
  w->advance(Duration::ms(110), Duration::s(5), *f.memory);  // more than a lap: the whole region
  CHECK(f.dirty() == 100);
}

TEST_CASE("uniform writes saturate as N (1 - exp(-w t / N))", "[workloads]") {
  const std::int64_t n = 1 << 16;
  for (double wt_over_n : {0.05, 0.7, 3.0}) {
    Fixture f(n);
    const double rate = 100000.0;
    auto w = f.make("uniform", {{"rate", sim::format_rate(sim::Rate{rate})}});
    const auto t = Duration::ns(static_cast<std::int64_t>(wt_over_n * n / rate * 1e9));
    // Applied in many small steps, as a migration would.
    for (int i = 0; i < 100; ++i)
      w->advance(Duration::ns(t.count_ns() * i / 100), Duration::ns(t.count_ns() * (i + 1) / 100),
                 *f.memory);
    const double expect = n * (1 - std::exp(-wt_over_n));
    const double sd = std::sqrt(n * std::exp(-wt_over_n) * (1 - std::exp(-wt_over_n)));
    INFO("w t / N = " << wt_over_n);
    CHECK(std::abs(static_cast<double>(f.dirty()) - expect) < 5 * sd + 1);
  }
}

TEST_CASE("hotcold sends hot_share of the writes to the hot fraction", "[workloads]") {
  const std::int64_t n = 1 << 16;
  Fixture f(n);
  auto w = f.make("hotcold", {{"rate", "10000/s"}, {"hot_fraction", "0.1"}, {"hot_share", "0.9"}});
  w->advance(Duration{}, Duration::s(1), *f.memory);
  sim::Bitmap pending(f.memory->pages());
  (void)f.memory->fetch_and_clear(pending);
  const double hot = n * 0.1, cold = n * 0.9;
  const double hot_expect = hot * (1 - std::exp(-9000.0 / hot));
  const double cold_expect = cold * (1 - std::exp(-1000.0 / cold));
  CHECK(static_cast<double>(pending.count_range(0, static_cast<std::uint64_t>(hot))) ==
        Approx(hot_expect).epsilon(0.03));
  CHECK(static_cast<double>(pending.count_range(static_cast<std::uint64_t>(hot),
                                                static_cast<std::uint64_t>(cold))) ==
        Approx(cold_expect).epsilon(0.1));
}

TEST_CASE("memtester writes exactly its buffer, and nothing during a compare pass",
          "[workloads][memtester]") {
  Fixture f(1 << 14);  // 64 MiB
  auto w = f.make("memtester", {{"buffer", "8MiB"},
                                {"offset", "16MiB"},
                                {"bandwidth", "1GiB/s"},
                                {"random_phase", "false"},
                                {"phase", "0"}});
  // Phase 0 is the first Stuck Address pass: a write of all 8 MiB (7.8 ms at 1 GiB/s), then a
  // read of it. Half of the write covers the first half of the buffer.
  const Duration pass = Duration::ns(static_cast<std::int64_t>((8 << 20) / 1073741824.0 * 1e9));
  w->advance(Duration{}, Duration::ns(pass.count_ns() / 2), *f.memory);
  sim::Bitmap p1(f.memory->pages());
  CHECK(f.memory->fetch_and_clear(p1).dirty_count == Approx(1024).margin(1));
  CHECK(p1.find_next(0) == 4096);  // 16 MiB / 4 KiB
  w->advance(Duration::ns(pass.count_ns() / 2), pass, *f.memory);
  CHECK(f.dirty() == Approx(1024).margin(1));
  w->advance(pass + Duration::us(10), pass * 2 - Duration::us(10), *f.memory);  // compare_regions
  CHECK(f.dirty() == 0);
  // Over a long interval every buffer page, and only those, is written.
  w->advance(pass * 2, Duration::s(100), *f.memory);
  sim::Bitmap all(f.memory->pages());
  CHECK(f.memory->fetch_and_clear(all).dirty_count == 2048);
  CHECK(all.count_range(4096, 2048) == 2048);
}

TEST_CASE("memtester's random phase differs by replicate and is reported",
          "[workloads][memtester]") {
  Fixture a(1 << 14, 0), b(1 << 14, 1);
  auto wa = a.make("memtester", {{"buffer", "8MiB"}});
  auto wb = b.make("memtester", {{"buffer", "8MiB"}});
  const auto fa = wa->facts(), fb = wb->facts();
  REQUIRE(fa.size() >= 1);
  CHECK(fa[0].first == "workload_phase");
  CHECK(fa[0].second != fb[0].second);
  Fixture c(1 << 14, 0);
  auto wc = c.make("memtester", {{"buffer", "8MiB"}, {"random_phase", "false"}, {"phase", "0.25"}});
  CHECK(wc->facts()[0].second == 0.25);
}

TEST_CASE("a workload region that does not fit the VM is a parameter error", "[workloads]") {
  Fixture f(256);  // 1 MiB
  CHECK_THROWS_AS(f.make("sequential", {{"offset", "2MiB"}}), sim::ParamError);
  CHECK_THROWS_AS(f.make("uniform", {{"offset", "512KiB"}, {"size", "1MiB"}}), sim::ParamError);
  CHECK_THROWS_AS(f.make("memtester", {{"buffer", "2MiB"}}), sim::ParamError);
  CHECK_THROWS_AS(f.make("sequential", {{"offset", "100B"}}), sim::ParamError);
}

TEST_CASE(
    "desktop: the page cache starts on storage, file reads reload it at the active rate, "
    "edits write text",
    "[workloads][desktop]") {
  Fixture f(1 << 18);  // 1 GiB
  auto w = f.make("desktop", {{"cache_fraction", "0.5"},
                              {"active_fraction", "0.25"},
                              {"active_time", "2s"},
                              {"file_read_rate", "40/s"},
                              {"file_read_size", "64KiB"},
                              {"launch_rate", "0/s"},
                              {"os_write_rate", "0/s"}});
  w->prepare(*f.memory);
  const auto storage = [&] {
    const auto c = f.memory->class_counts();
    return c[static_cast<std::size_t>(vm::PageClass::kStorage)] +
           c[static_cast<std::size_t>(vm::PageClass::kStorageNext)];
  };
  CHECK(storage() == (1u << 17));     // the top half: files in the page cache
  CHECK(f.memory->log_count() == 0);  // already there before the migration: nothing logged
  const double seconds = 2000;
  w->advance(Duration{}, Duration::s(2000), *f.memory);
  double reads = 0;
  for (const auto& [name, value] : w->facts())
    if (name == "file_reads") reads = value;
  // Poisson reads only while active: 40/s x 25% of the time, within 4 standard deviations of
  // the count (phases add variance: 1000 periods of 2 s mean).
  const double expected = 40 * 0.25 * seconds;
  CHECK(std::abs(reads - expected) < 0.1 * expected);
  // Reads land in the cache (still on storage) and dirty it; edits wrote the documents, which
  // hold text (os_fraction 0.03 of memory first, then edit_fraction 0.008).
  CHECK(storage() == (1u << 17));
  const std::uint64_t os = 7864, docs = 2097;
  CHECK(f.memory->class_counts()[static_cast<std::size_t>(vm::data_page(vm::DataClass::kText))] ==
        docs);
  sim::Bitmap pending(f.memory->pages());
  (void)f.memory->fetch_and_clear(pending);
  std::uint64_t edited = 0, cached = 0;
  for (std::uint64_t p = 0; p < f.memory->pages(); ++p) {
    if (!pending.test(p)) continue;
    if (p >= os && p < os + docs) ++edited;
    if (p >= (1u << 17)) ++cached;
  }
  CHECK(edited > 0);
  CHECK(cached == (1u << 17));  // 20000 reads of 16 pages wrap the cache more than twice
  // Its average disk load is what the shared storage sees.
  CHECK(w->disk_load().bytes_per_s == Approx(0.25 * 40 * 65536.0));
}

TEST_CASE("desktop: defaults that do not fit the VM are rejected by name", "[workloads][desktop]") {
  Fixture f(1024);  // 4 MiB: a 16 MiB launch cannot fit its 2 MiB page cache
  CHECK_THROWS_AS(f.make("desktop", {}), sim::ParamError);
  try {
    (void)f.make("desktop", {});
  } catch (const sim::ParamError& e) {
    CHECK(e.key() == "launch_read");
  }
}

TEST_CASE(
    "disk I/O: reads load on-storage runs into the page-cache region at their rate, "
    "writes change pages and write them back",
    "[workloads][disk]") {
  Fixture f(1 << 16);  // 256 MiB
  workloads::DiskIoParams p;
  p.read_rate = sim::Rate{100.0};
  p.read_size = Bytes{128 * 1024};  // 32 pages
  p.write_rate = sim::Rate{10.0};
  p.write_size = Bytes{64 * 1024};  // 16 pages
  p.region.offset = Bytes{std::int64_t{128} << 20};
  workloads::DiskIo io(p, f.ctx);
  CHECK(io.disk_load().bytes_per_s == Approx(100 * 131072.0 + 10 * 65536.0));
  CHECK(io.disk_load().requests_per_s == Approx(110.0));
  io.advance(Duration{}, Duration::s(10), *f.memory);
  double reads = 0, writes = 0;
  for (const auto& [name, value] : io.facts()) {
    if (name == "disk_reads") reads = value;
    if (name == "disk_writes") writes = value;
  }
  // Poisson counts over 10 s: within 4 standard deviations.
  CHECK(std::abs(reads - 1000) < 4 * std::sqrt(1000.0));
  CHECK(std::abs(writes - 100) < 4 * std::sqrt(100.0));
  sim::Bitmap pending(f.memory->pages());
  const auto fetched = f.memory->fetch_and_clear(pending);
  // Every page touched is in the region (the top half), logged, and on storage.
  CHECK(pending.find_next(0) >= (1u << 15));
  const auto c = f.memory->class_counts();
  const auto on_storage = c[static_cast<std::size_t>(vm::PageClass::kStorage)] +
                          c[static_cast<std::size_t>(vm::PageClass::kStorageNext)];
  CHECK(on_storage == fetched.dirty_count);
  // About 1000 reads of 32 pages fill the 32768-page region from its start (distinct pages
  // until the cursor wraps), writes go in from its middle.
  CHECK(fetched.dirty_count >= std::min<double>(reads * 32, 1u << 15));
  CHECK(fetched.dirty_count <= (1u << 15));
  // Runs: one start per request that still stands (later ones cut earlier runs).
  CHECK(c[static_cast<std::size_t>(vm::PageClass::kStorage)] < on_storage / 10);
}

TEST_CASE("disk I/O requests that do not fit the region are rejected by name",
          "[workloads][disk]") {
  Fixture f(1024);  // 4 MiB
  workloads::DiskIoParams p;
  p.read_rate = sim::Rate{1.0};
  p.read_size = Bytes{8 << 20};
  try {
    workloads::DiskIo io(p, f.ctx);
    FAIL("accepted");
  } catch (const sim::ParamError& e) {
    CHECK(e.key() == "read_size");
  }
}
