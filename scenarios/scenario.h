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
#include "sim/params.h"
#include "workloads/disk_io.h"

namespace migsim::scenarios {

using Json = nlohmann::ordered_json;

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

  // Every parameter with defaults filled in and units normalised; itself a valid scenario.
  Json resolved() const;
  // resolved() as JSON text, serialised once when the point is expanded (every record of the
  // point embeds it); empty for a point built by hand. Code that changes a point after
  // expansion must clear it (debug builds check it when writing a record).
  std::string resolved_json;
};

// Loads a scenario file and expands its sweep. Throws ScenarioError on any bad input.
std::vector<ScenarioPoint> load_scenario(const std::string& path);
// Runs one scenario file may ask for (points x replications).
constexpr std::int64_t kMaxRuns = 1000000;
// Same, from an already-parsed tree (tests, fuzz targets: these may lower max_runs).
std::vector<ScenarioPoint> expand_scenario(const ConfigNode& root, const std::string& file,
                                           std::int64_t max_runs = kMaxRuns);

// The sections and keys a scenario accepts, for `migsim list` and the docs.
extern const std::vector<std::string_view> kTopLevelKeys;

}  // namespace migsim::scenarios
