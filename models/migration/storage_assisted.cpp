// Storage-assisted live migration, Jo & Egger (VEE'13 "Efficient live migration of virtual
// machines using shared storage"; CloudCom'13 "Optimizing live migration for virtual desktop
// clouds"; seed-papers.md 4):
//   - pre-copy, in which a page whose content is a block of the VM's disk on the shared storage
//     (the page cache: disk reads and write-backs put it there, a guest write takes it out) is
//     sent as a (page, block) map entry instead of its content;
//   - the destination reads those blocks from the storage device in parallel with the network
//     stream, `fetch_parallelism` requests at once, consecutive blocks merged;
//   - CloudCom'13 (background_fetch: true): at the switch-over the loads still outstanding go
//     on after the guest resumes; a guest access to a page not yet loaded reads it from the
//     storage at once (not from the source). VEE'13 (false): the switch-over waits, with the
//     guest still running at the source, until every load is done.
// A page written after its map entry was captured is stale: the dirty log sends it again.
#include "models/migration/algorithm.h"
#include "models/migration/live_rounds.h"
#include "models/migration/post_switch.h"
#include "models/migration/storage_fetch.h"

namespace migsim::migration {
namespace {

struct StorageAssistedParams {
  LiveCopyParams live;
  std::int64_t map_entry_bytes = 16;
  std::int64_t fetch_parallelism = 16;
  bool background_fetch = true;

  template <class V>
  void visit(V& v) {
    live.visit(v);
    v(sim::param("map_entry_bytes", map_entry_bytes,
                 "bytes sent per on-storage page instead of its content: a (page frame, disk "
                 "block) pair")
          .at_least(0)
          .at_most(sim::limits::kMaxRecordBytes)
          .counting("bytes"));
    v(sim::param("fetch_parallelism", fetch_parallelism,
                 "storage read requests the destination keeps outstanding (at most the device's "
                 "queue_depth)")
          .at_least(1)
          .at_most(65536));
    v(sim::param("background_fetch", background_fetch,
                 "true: the guest resumes before every load is done, the rest load in the "
                 "background and faults read from storage (CloudCom'13); false: the switch-over "
                 "waits for the loads (VEE'13)"));
  }
  static StorageAssistedParams for_hypervisor(std::string_view hypervisor) {
    StorageAssistedParams p;
    p.live = LiveCopyParams::for_hypervisor(hypervisor);
    return p;
  }
};

class StorageAssisted final : public Algorithm {
 public:
  explicit StorageAssisted(const StorageAssistedParams& p) : p_(p), stop_(p.live.stop) {
    p_.live.check();
  }

  sim::Process run(MigrationContext& ctx, MigrationReport& report) override {
    MigrationSession s(ctx, p_.live.format, report);
    StorageLoader loader(s, *ctx.storage, p_.fetch_parallelism);
    s.map_storage_pages(Bytes{p_.map_entry_bytes}, &loader);
    // VEE'13: the live rounds go on until the destination has loaded what was mapped.
    LiveRoundHooks hooks;
    sim::Wakeup& gate = ctx.sim.make_wakeup();
    if (!p_.background_fetch) {
      hooks.may_stop = [&loader] { return loader.idle(); };
      hooks.gate_wake = &gate;
      loader.on_idle(&gate);
    }
    // Round 1 sends the map first (it is small), so the destination's loads start at once and
    // run alongside the rest of the copy.
    hooks.at_start = [&s, this]() -> sim::Task<void> {
      for (std::uint64_t from = 0;;) {
        const Batch b =
            s.take_storage_pages(from, static_cast<std::uint64_t>(p_.live.format.batch_pages));
        if (b.pages == 0) break;
        co_await s.transmit(b, p_.live.max_bandwidth);
      }
    };
    report.stop_reason = co_await run_live_rounds(s, p_.live, stop_, hooks);
    co_await s.suspend();
    co_await s.final_copy();
    if (!p_.background_fetch) {
      // The last round's map entries reach the destination and are loaded, during the downtime.
      co_await s.landed();
      co_await loader.drained();
      co_await s.transfer_state_and_resume();
      s.finish();
      co_return;
    }
    // CloudCom'13: resume now; outstanding loads go on, faults read from storage first.
    co_await s.transfer_state_and_resume(Bytes{}, /*at_destination=*/true);
    PostSwitchOptions o;
    o.expedite = [&loader](std::uint64_t page) { loader.expedite(page); };
    if (s.memory().missing_count() > 0) co_await run_post_switch(s, o);
    co_await s.landed();
    co_await loader.drained();
    s.finish();
  }

 private:
  StorageAssistedParams p_;
  StopPolicy stop_;
};

}  // namespace

void register_storage_assisted(AlgorithmRegistry& registry) {
  registry.add(make_algorithm_entry<StorageAssistedParams, StorageAssisted>(
      "storage_assisted",
      "pre-copy that sends on-storage pages as map entries; the destination loads them from "
      "shared storage, in the background after resume",
      "Jo, Gustafsson, Son, Egger VEE 2013; Jo & Egger CloudCom 2013 (seed-papers.md 4)",
      &StorageAssistedParams::for_hypervisor, /*resumes_early=*/true));
}

}  // namespace migsim::migration
