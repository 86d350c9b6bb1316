// Memory comparison before migration, Huawei (Yang & Hong, "VM Live Migration Speedup in Xen",
// Xen Summit NA 2012; seed-papers.md 2): the destination already holds an older image of the
// VM (a VM migrated back to a host it left, a VM cloned from a template). Pre-copy, in which
// before each batch of the first pass the source sends a hash of each page, the destination
// hashes its own copy and answers with the pages that differ, and only those are sent.
//   - The image: the destination held every page `image_age` before the migration starts; the
//     guest's writes since then (its workload, run for that long) and a random
//     `changed_fraction` of pages differ. changed_fraction 1 = nothing in common.
//   - Hashing costs CPU at both ends (`hash_speed` per core on host.migration_cores; default:
//     xxh3-64 measured on 4 KiB pages, bench/codec_calibration.txt) and a round trip per batch:
//     with nothing in common it is pure overhead.
//   - compare: first_pass (the pages dirtied later differ by construction) or every_round.
// The "matched" test is exact: a page matches when the destination holds its latest version
// (the staleness record), so a hash collision is not modelled.
#include "models/migration/algorithm.h"
#include "models/migration/live_rounds.h"

namespace migsim::migration {
namespace {

struct MemoryCompareParams {
  LiveCopyParams live;
  Duration image_age = Duration::s(60);
  double changed_fraction = 0.0;
  std::string compare = "first_pass";
  std::int64_t hash_bytes = 8;
  BitRate hash_speed = BitRate::bits_per_second(std::int64_t{15261} * 8000000);

  template <class V>
  void visit(V& v) {
    live.visit(v);
    v(sim::param("image_age", image_age,
                 "the destination's image was taken this long before the migration starts; the "
                 "guest's writes since then make pages differ")
          .at_least(Duration{})
          .at_most(Duration::s(86400)));
    v(sim::param("changed_fraction", changed_fraction,
                 "share of pages (at random) that differ from the image besides the guest's "
                 "writes; 1 = the destination has nothing in common")
          .at_least(0.0)
          .at_most(1.0));
    v(sim::param("compare", compare,
                 "first_pass = compare hashes in the first pass only (later rounds send pages "
                 "dirtied since, which differ); every_round = before every batch")
          .one_of({"first_pass", "every_round"}));
    v(sim::param("hash_bytes", hash_bytes, "bytes per page hash (xxh3-64: 8)")
          .at_least(1)
          .at_most(64)
          .counting("bytes"));
    v(sim::param("hash_speed", hash_speed,
                 "hashing throughput per core (default: xxh3-64 on 4 KiB pages, measured by "
                 "bench/codec_calibration: 15261 MB/s)")
          .at_least(sim::limits::kMinLinkRate)
          .at_most(sim::limits::kMaxLinkRate));
  }
  static MemoryCompareParams for_hypervisor(std::string_view hypervisor) {
    MemoryCompareParams p;
    p.live = LiveCopyParams::for_hypervisor(hypervisor);
    return p;
  }
};

class MemoryCompare final : public Algorithm {
 public:
  explicit MemoryCompare(const MemoryCompareParams& p) : p_(p), stop_(p.live.stop) {
    p_.live.check();
  }

  sim::Process run(MigrationContext& ctx, MigrationReport& report) override {
    // The destination's image: all of memory image_age ago, then what changed.
    vm::GuestMemory& mem = ctx.guest.memory();
    mem.destination_holds_all();
    if (p_.changed_fraction > 0.0) {
      sim::RandomStream rng(ctx.seed, ctx.replicate, "migration.image");
      const sim::RandomStream::Geometric gap(p_.changed_fraction);
      const std::uint64_t n = mem.pages();
      for (std::uint64_t q = gap(rng, n); q < n; q += 1 + gap(rng, n))
        mem.destination_lacks(q / sim::Bitmap::kBits, sim::Bitmap::Word{1} << (q % 64));
    }
    if (p_.image_age.count_ns() > 0) {
      co_await ctx.sim.sleep(p_.image_age);  // the guest runs on; its writes mark pages stale
      ctx.guest.sync(ctx.sim.now());
    }

    MigrationSession s(ctx, p_.live.format, report);
    s.compare_before_sending(true, Bytes{p_.hash_bytes},
                             static_cast<double>(p_.hash_speed.bps()) / 8.0);
    LiveRoundHooks hooks;
    if (p_.compare == "first_pass") hooks.after_fetch = [&s] { s.compare_before_sending(false); };
    report.stop_reason = co_await run_live_rounds(s, p_.live, stop_, hooks);
    s.compare_before_sending(false);
    co_await s.suspend();
    co_await s.final_copy();
    co_await s.transfer_state_and_resume();
    s.finish();
  }

 private:
  MemoryCompareParams p_;
  StopPolicy stop_;
};

}  // namespace

void register_memory_compare(AlgorithmRegistry& registry) {
  registry.add(make_algorithm_entry<MemoryCompareParams, MemoryCompare>(
      "memory_compare",
      "pre-copy against an older image at the destination: page hashes first, only the pages "
      "that differ are sent",
      "Yang & Hong (Huawei), VM Live Migration Speedup in Xen, Xen Summit NA 2012 "
      "(seed-papers.md 2)",
      &MemoryCompareParams::for_hypervisor));
}

}  // namespace migsim::migration
