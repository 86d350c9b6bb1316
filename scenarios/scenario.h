// A scenario: what to migrate (vm, workload), over what (link), from where (host), how
// (migration), with sweeps and replications. A file expands to points (one per sweep
// combination); each point runs `replications` times with streams derived from (seed, replicate).
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "models/host/hypervisor.h"
#include "models/migration/encoder.h"
#include "models/network/link.h"
#include "models/network/topology.h"
#include "models/storage/storage.h"
#include "models/vm/guest_memory.h"
#include "scenarios/config_tree.h"
#include "sim/limits.h"
#include "sim/params.h"
#include "workloads/disk_io.h"

namespace migsim::scenarios {

using Json = nlohmann::ordered_json;

// `schedule:` of a scenario with several VMs: how many migrations run at once.
struct ScheduleParams {
  std::int64_t max_concurrent = 0;  // 0: all at once

  template <class V>
  void visit(V& v) {
    v(sim::param("max_concurrent", max_concurrent,
                 "migrations running at once; the next VM in list order starts when one ends "
                 "(1: one after another; 0: all at once)")
          .at_least(0)
          .counting("migrations"));
  }
};

// One entry of `cross_traffic:`: a TCP transfer between two hosts sharing the links with the
// migrations.
struct CrossTrafficParams {
  sim::BitRate rate{};  // 0: as fast as TCP and the fair share allow
  sim::Duration start{};
  sim::Duration duration{};  // 0: until the last migration ends
  std::int64_t streams = 1;

  template <class V>
  void visit(V& v) {
    v(sim::param("rate", rate,
                 "the traffic's own rate cap (0: as fast as its fair share and TCP allow)"));
    v(sim::param("start", start, "when it begins, from the start of the simulation")
          .at_most(sim::limits::kMaxPass));
    v(sim::param("duration", duration,
                 "how long it lasts (0: until the last migration of the scenario ends)")
          .at_most(sim::limits::kMaxPass));
    v(sim::param("streams", streams, "TCP connections it uses, each a flow")
          .at_least(1)
          .at_most(64)
          .counting("connections"));
  }
};
struct CrossTraffic {
  std::string from, to;
  CrossTrafficParams params;
};

struct ScenarioPoint {
  std::string file;
  std::string name;
  std::size_t index = 0;  // position in the file's sweep expansion
  std::vector<std::pair<std::string, std::string>> sweep_values;  // dotted path -> value text
  std::int64_t seed = 1;
  std::int64_t replications = 1;
  vm::VmParams vm;
  std::string workload_type;
  std::unique_ptr<sim::ParamSet> workload;
  // A second workload running alongside (`background`); empty type and null when absent.
  std::string background_type;
  std::unique_ptr<sim::ParamSet> background;
  // Disk I/O the workload or background carries (`disk:` in its section), when given.
  std::optional<workloads::DiskIoParams> workload_disk, background_disk;
  std::string storage_preset;
  storage::StorageParams storage;
  std::string link_preset;
  net::LinkParams link;
  // `topology:` replaces `link:` with hosts, switches and links; the migration goes from
  // `source` to `destination` (the two ends of `link:` otherwise).
  std::optional<net::TopologySpec> topology;
  std::string source, destination;
  net::TcpParams tcp;
  net::ConnectionParams connection;  // migration.streams
  std::string hypervisor;
  host::HostParams host;
  std::string algorithm;
  std::unique_ptr<sim::ParamSet> migration;
  migration::CompressionParams compression;  // migration.compression

  // A scenario with a `vms:` list: one point per VM (each a complete single-migration point
  // sharing this point's topology, seed derived from its index), run together in one simulation
  // under `schedule`, with `cross_traffic`. Empty for a single migration, described by the
  // fields above.
  std::vector<ScenarioPoint> vms;
  std::vector<std::string> vm_names;  // the `name` of each VM's item ("" when unnamed)
  ScheduleParams schedule;
  std::vector<CrossTraffic> cross_traffic;
  bool is_batch() const { return !vms.empty(); }

  // Every parameter with defaults filled in and units normalised; itself a valid scenario.
  Json resolved() const;
  // resolved() as JSON text, serialised once when the point is expanded (every record of the
  // point embeds it); empty for a point built by hand. Code that changes a point after
  // expansion must clear it (debug builds check it when writing a record).
  std::string resolved_json;
};

// Loads a scenario file and expands its sweep. Throws ScenarioError on any bad input.
std::vector<ScenarioPoint> load_scenario(const std::string& path);
// Runs one scenario file may ask for (points x replications). Runs are streamed to disk one by
// one, so memory does not grow with them; the bound keeps run indices and counts far inside
// 64 bits (a million runs per second would take 11 days); disk space (about 3 KB per record)
// is the practical limit.
constexpr std::int64_t kMaxRuns = 1000000000000;
// Sweep points one file may expand to: each is held in memory (about 3.5 KB) while it runs.
constexpr std::int64_t kMaxPoints = 1000000;
// VMs one scenario point may migrate (after `count` expands its items).
constexpr std::int64_t kMaxVms = 4096;
// The seed of the VM at `vm_index` of a point seeded `seed`: the point's own for the first VM
// (a list of one equals the single scenario), a well-mixed function of both otherwise.
std::int64_t vm_seed(std::int64_t seed, std::size_t vm_index);
// Same, from an already-parsed tree (tests, fuzz targets: these may lower max_runs).
std::vector<ScenarioPoint> expand_scenario(const ConfigNode& root, const std::string& file,
                                           std::int64_t max_runs = kMaxRuns);

// The sections and keys a scenario accepts, for `migsim list` and the docs.
extern const std::vector<std::string_view> kTopLevelKeys;
// The keys of one item of `vms:`.
extern const std::vector<std::string_view> kVmItemKeys;

}  // namespace migsim::scenarios
