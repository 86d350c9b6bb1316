#include "scenarios/scenario.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <optional>

#include "models/migration/algorithm.h"
#include "workloads/workload.h"

namespace migsim::scenarios {

const std::vector<std::string_view> kTopLevelKeys{
    "name",        "description", "seed",     "replications",  "vm",
    "workload",    "background",  "link",     "topology",      "source",
    "destination", "tcp",         "host",     "migration",     "storage",
    "sweep",       "vms",         "schedule", "cross_traffic", "figures"};

const std::vector<std::string_view> kVmItemKeys{"name",       "count",      "vm",   "workload",
                                                "background", "migration",  "host", "storage",
                                                "source",     "destination"};

std::int64_t vm_seed(std::int64_t seed, std::size_t vm_index) {
  if (vm_index == 0) return seed;
  // SplitMix64's finaliser over (seed, index), kept non-negative like every scenario seed.
  std::uint64_t z = static_cast<std::uint64_t>(seed) + 0x9E3779B97F4A7C15ULL * (vm_index + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  z ^= z >> 31;
  return static_cast<std::int64_t>(z >> 1);
}

namespace {

std::string join(const std::vector<std::string_view>& words) {
  std::string s;
  for (auto w : words) s += (s.empty() ? "" : ", ") + std::string(w);
  return s;
}

std::string did_you_mean(std::string_view word, const std::vector<std::string_view>& options) {
  std::vector<std::string> c(options.begin(), options.end());
  if (auto m = sim::closest_match(word, c)) return " (did you mean " + *m + "?)";
  return {};
}

// Reads one section's parameters from its mapping, strictly.
class SectionReader {
 public:
  SectionReader(const std::string& file, const ConfigNode& section, std::string path)
      : file_(file), section_(section), path_(std::move(path)) {}

  // Reads every declared parameter present in the section (a parameter struct or a ParamSet).
  template <class T>
  void read(T& params) {
    sim::for_each_param(params, [this](const sim::ParamDecl& d) { read_one(d); });
  }

  // Every key in the section must have been read or accepted.
  void reject_unknown() const {
    for (const auto& e : section_.map) {
      if (std::find(known_.begin(), known_.end(), e.key) != known_.end()) continue;
      std::string msg = "unknown key '" + e.key + "'" + did_you_mean(e.key, known_) +
                        "; allowed keys: " + join(known_);
      if (e.value.from_sweep) msg += " (set by sweep)";
      throw ScenarioError(file_, e.key_line, path_ + "." + e.key, msg);
    }
  }

  // Reads a string selector such as workload.type from a fixed set of words.
  std::string selector(std::string_view key, const std::vector<std::string_view>& allowed,
                       bool required, std::string_view fallback = {}) {
    known_.push_back(key);
    const ConfigNode::Entry* e = section_.find_entry(key);
    if (e == nullptr) {
      if (required)
        throw ScenarioError(
            file_, section_.line, path_ + "." + std::string(key),
            "missing required key '" + std::string(key) + "'; one of: " + join(allowed));
      return std::string(fallback);
    }
    if (e->value.kind != ConfigNode::Kind::kScalar)
      throw ScenarioError(file_, e->value.line, path_ + "." + e->key,
                          "expected one of: " + join(allowed) + "; got " + e->value.kind_name());
    if (std::find(allowed.begin(), allowed.end(), e->value.scalar) == allowed.end())
      throw ScenarioError(file_, e->value.line, path_ + "." + e->key,
                          "'" + e->value.scalar + "' is not one of: " + join(allowed) +
                              did_you_mean(e->value.scalar, allowed));
    return e->value.scalar;
  }

  // Marks a key as allowed without reading it here.
  void accept(std::string_view key) { known_.push_back(key); }
  bool has(std::string_view key) const { return section_.find_entry(key) != nullptr; }

  [[noreturn]] void fail_param(const sim::ParamError& e) const {
    const ConfigNode::Entry* entry = section_.find_entry(e.key());
    const int line = entry ? entry->value.line : section_.line;
    throw ScenarioError(file_, line, path_ + "." + e.key(), e.what());
  }

 private:
  void read_one(const sim::ParamDecl& d) {
    known_.push_back(d.name);
    const ConfigNode::Entry* e = section_.find_entry(d.name);
    if (e == nullptr) return;
    const std::string path = path_ + "." + e->key;
    const std::string allowed = "allowed: " + d.allowed();
    if (e->value.kind != ConfigNode::Kind::kScalar)
      throw ScenarioError(file_, e->value.line, path,
                          "expected " + d.allowed() + "; got " + e->value.kind_name());
    const bool textual = std::holds_alternative<double*>(d.value) ||
                         std::holds_alternative<std::int64_t*>(d.value) ||
                         std::holds_alternative<bool*>(d.value);
    if (textual && e->value.quoted)
      throw ScenarioError(
          file_, e->value.line, path,
          "expected " + d.allowed() + ", not the quoted text \"" + e->value.scalar + "\"");
    std::string error;
    if (!d.parse(e->value.scalar, error))
      throw ScenarioError(file_, e->value.line, path, error + " (" + allowed + ")");
    if (std::string c = d.check(); !c.empty()) throw ScenarioError(file_, e->value.line, path, c);
  }

  const std::string& file_;
  const ConfigNode& section_;
  std::string path_;
  std::vector<std::string_view> known_;
};

// The section `key` of the scenario; a missing section reads as an empty one whose errors
// ("missing required key") point at the top of the file.
const ConfigNode& section_or_empty(const ConfigNode& root, std::string_view key,
                                   const std::string& file) {
  static const ConfigNode empty = [] {
    ConfigNode n;
    n.kind = ConfigNode::Kind::kMap;
    n.line = 1;
    return n;
  }();
  const ConfigNode::Entry* e = root.find_entry(key);
  if (e == nullptr) return empty;
  if (e->value.kind != ConfigNode::Kind::kMap)
    throw ScenarioError(file, e->value.line, std::string(key),
                        "expected a mapping of parameters; got " + e->value.kind_name());
  return e->value;
}

std::int64_t read_integer(const ConfigNode& root, std::string_view key, std::int64_t fallback,
                          std::int64_t min, const std::string& file,
                          std::int64_t max = std::numeric_limits<std::int64_t>::max()) {
  const ConfigNode::Entry* e = root.find_entry(key);
  if (e == nullptr) return fallback;
  std::int64_t v = 0;
  auto decl = sim::param(key, v, "").at_least(min).at_most(max).decl();
  std::string error;
  if (e->value.kind != ConfigNode::Kind::kScalar || e->value.quoted ||
      !decl.parse(e->value.scalar, error))
    throw ScenarioError(file, e->value.line, std::string(key),
                        "expected " + decl.allowed() +
                            (e->value.quoted ? ", not the quoted text \"" + e->value.scalar + "\""
                                             : std::string()));
  if (std::string c = decl.check(); !c.empty())
    throw ScenarioError(file, e->value.line, std::string(key), c);
  return v;
}

// A scalar naming a node, or an error at its line.
std::string read_name(const ConfigNode& n, const std::string& path, const std::string& file) {
  if (n.kind != ConfigNode::Kind::kScalar || n.scalar.empty())
    throw ScenarioError(file, n.line, path, "expected a host or switch name; got " + n.kind_name());
  return n.scalar;
}

// `topology: {hosts: [...], switches: [...], links: [{between: [a, b], preset, ...}]}`.
net::TopologySpec read_topology(const ConfigNode& section, const std::string& file) {
  if (section.kind != ConfigNode::Kind::kMap)
    throw ScenarioError(
        file, section.line, "topology",
        "expected a mapping with hosts, switches and links; got " + section.kind_name());
  SectionReader r(file, section, "topology");
  r.accept("hosts");
  r.accept("switches");
  r.accept("links");
  r.reject_unknown();
  net::TopologySpec spec;
  const auto names = [&](std::string_view key, std::vector<std::string>& out, std::size_t min) {
    const ConfigNode::Entry* e = section.find_entry(key);
    const std::string path = "topology." + std::string(key);
    if (e == nullptr) {
      if (min == 0) return;
      throw ScenarioError(file, section.line, path,
                          "missing required key '" + std::string(key) + "': a list of at least " +
                              std::to_string(min) + " names");
    }
    if (e->value.kind != ConfigNode::Kind::kSeq || e->value.seq.size() < min)
      throw ScenarioError(file, e->value.line, path,
                          "expected a list of at least " + std::to_string(min) + " names; got " +
                              e->value.kind_name());
    for (std::size_t i = 0; i < e->value.seq.size(); ++i)
      out.push_back(read_name(e->value.seq[i], path + "[" + std::to_string(i) + "]", file));
  };
  names("hosts", spec.hosts, 2);
  names("switches", spec.switches, 0);
  const ConfigNode::Entry* links = section.find_entry("links");
  if (links == nullptr)
    throw ScenarioError(file, section.line, "topology.links",
                        "missing required key 'links': a list of links such as "
                        "{between: [a, b], preset: gigabit}");
  if (links->value.kind != ConfigNode::Kind::kSeq || links->value.seq.empty())
    throw ScenarioError(file, links->value.line, "topology.links",
                        "expected a list of links such as {between: [a, b], preset: gigabit}; "
                        "got " +
                            links->value.kind_name());
  for (std::size_t i = 0; i < links->value.seq.size(); ++i) {
    const ConfigNode& item = links->value.seq[i];
    const std::string path = "topology.links[" + std::to_string(i) + "]";
    if (item.kind != ConfigNode::Kind::kMap)
      throw ScenarioError(
          file, item.line, path,
          "expected a link such as {between: [a, b], preset: gigabit}; got " + item.kind_name());
    SectionReader lr(file, item, path);
    net::TopologyLink l;
    l.preset = lr.selector("preset", net::link_presets().names(), false, "gigabit");
    l.params = net::link_presets().find(l.preset)->defaults;
    lr.read(l.params);
    lr.accept("between");
    lr.reject_unknown();
    const ConfigNode::Entry* between = item.find_entry("between");
    if (between == nullptr)
      throw ScenarioError(file, item.line, path + ".between",
                          "missing required key 'between': the two nodes the link joins, "
                          "such as [host1, switch1]");
    if (between->value.kind != ConfigNode::Kind::kSeq || between->value.seq.size() != 2)
      throw ScenarioError(file, between->value.line, path + ".between",
                          "expected a list of the two nodes the link joins, such as "
                          "[host1, switch1]");
    l.a = read_name(between->value.seq[0], path + ".between[0]", file);
    l.b = read_name(between->value.seq[1], path + ".between[1]", file);
    spec.links.push_back(std::move(l));
  }
  try {
    (void)net::Topology(spec);
  } catch (const net::TopologyError& e) {
    const int line =
        e.link() >= 0 ? links->value.seq[static_cast<std::size_t>(e.link())].line : section.line;
    const std::string path =
        e.link() >= 0 ? "topology.links[" + std::to_string(e.link()) + "]" : "topology";
    throw ScenarioError(file, line, path, e.what());
  }
  return spec;
}

// The topology (or the link) and the hosts a migration goes between.
void read_network(const ConfigNode& root, const std::string& file, ScenarioPoint& p) {
  const ConfigNode::Entry* topo = root.find_entry("topology");
  if (topo == nullptr) {
    for (std::string_view key : {"source", "destination"})
      if (const ConfigNode::Entry* e = root.find_entry(key))
        throw ScenarioError(file, e->key_line, std::string(key),
                            "'" + std::string(key) +
                                "' names a host of a topology; this scenario has none (add a "
                                "topology section, or remove it: link joins the source to the "
                                "destination)");
    p.source = "source";
    p.destination = "destination";
    return;
  }
  if (const ConfigNode::Entry* link = root.find_entry("link"))
    throw ScenarioError(file, link->key_line, "link",
                        "a scenario with a topology describes its links there; remove link "
                        "(or the topology)");
  p.topology = read_topology(topo->value, file);
  const net::Topology t(*p.topology);
  const auto host = [&](std::string_view key, const std::string& fallback) {
    const ConfigNode::Entry* e = root.find_entry(key);
    if (e == nullptr) return fallback;
    const std::string name = read_name(e->value, std::string(key), file);
    if (!t.is_host(name)) {
      std::vector<std::string_view> hosts(p.topology->hosts.begin(), p.topology->hosts.end());
      throw ScenarioError(file, e->value.line, std::string(key),
                          "'" + name + "' is not a host of the topology; hosts: " + join(hosts) +
                              did_you_mean(name, hosts));
    }
    return name;
  };
  p.source = host("source", p.topology->hosts[0]);
  p.destination = host("destination", p.topology->hosts[1]);
  const ConfigNode::Entry* d = root.find_entry("destination");
  const int line = d ? d->value.line : topo->value.line;
  if (p.source == p.destination)
    throw ScenarioError(file, line, "destination",
                        "the destination is the source ('" + p.source + "'); name another host");
  if (t.route(p.source, p.destination).empty())
    throw ScenarioError(file, line, "destination",
                        "no path of links joins '" + p.source + "' to '" + p.destination + "'");
}

// The slowest a migration's streams can go, alone on the network, and the key that sets it.
struct Bottleneck {
  sim::BitRate rate;
  std::string key, why;
  int line = 0;
};
Bottleneck bottleneck(const ConfigNode& root, const ScenarioPoint& p) {
  // The route's links, with where each is declared.
  struct Hop {
    const net::LinkParams* params;
    std::string path;
    const ConfigNode* node;
  };
  std::vector<Hop> hops;
  if (p.topology) {
    const net::Topology t(*p.topology);
    const ConfigNode& links = *root.find("topology")->find("links");
    for (const auto& h : t.route(p.source, p.destination))
      hops.push_back({&p.topology->links[h.link].params,
                      "topology.links[" + std::to_string(h.link) + "]", &links.seq[h.link]});
  } else {
    hops.push_back({&p.link, "link", root.find("link")});
  }
  Bottleneck b;
  double narrowest = std::numeric_limits<double>::infinity();
  sim::Duration latency{};
  double keep = 1.0;
  const Hop* slow = nullptr;
  for (const Hop& h : hops) {
    latency += h.params->latency;
    keep *= 1.0 - h.params->loss;
    const auto g = static_cast<double>(h.params->goodput().bps());
    if (g < narrowest) {
      narrowest = g;
      slow = &h;
    }
  }
  const auto at = [](const ConfigNode* n, std::string_view key) {
    if (n == nullptr) return 1;
    const ConfigNode::Entry* e = n->find_entry(key);
    return e ? e->value.line : n->line;
  };
  const auto streams = static_cast<double>(p.connection.streams);
  const double window = net::window_limit_bps(p.tcp.window, latency * 2) * streams;
  const double mathis =
      net::mathis_limit_bps(p.tcp.mss, latency * 2, 1.0 - keep, p.tcp.mathis_constant) * streams;
  double rate = narrowest;
  b.key = slow->path + ".bandwidth";
  b.why = "the link's goodput";
  b.line = at(slow->node, "bandwidth");
  if (window < rate) {
    rate = window;
    b.key = "tcp.window";
    b.why = "the streams' window / RTT";
    b.line = at(root.find("tcp"), "window");
  }
  if (mathis < rate) {
    rate = mathis;
    b.key = slow->path + ".loss";
    b.why = "the streams' loss-limited rate";
    b.line = at(slow->node, "loss");
  }
  b.rate = sim::BitRate::bits_per_second(std::max<std::int64_t>(1, std::llround(rate)));
  return b;
}

// What every scenario holds at its top: known keys only, name, seed, replications.
ScenarioPoint load_head(const ConfigNode& root, const std::string& file) {
  ScenarioPoint p;
  p.file = file;
  for (const auto& e : root.map) {
    if (std::find(kTopLevelKeys.begin(), kTopLevelKeys.end(), e.key) == kTopLevelKeys.end())
      throw ScenarioError(file, e.key_line, e.key,
                          "unknown key '" + e.key + "'" + did_you_mean(e.key, kTopLevelKeys) +
                              "; allowed keys: " + join(kTopLevelKeys));
  }
  for (std::string_view text_key : {"name", "description"}) {
    if (const auto* e = root.find_entry(text_key); e && e->value.kind != ConfigNode::Kind::kScalar)
      throw ScenarioError(file, e->value.line, e->key,
                          "expected a text; got " + e->value.kind_name());
  }
  // Figure specs for `migsim plot` (analysis/plot.py checks their keys); nothing here runs them.
  if (const auto* e = root.find_entry("figures"); e && e->value.kind != ConfigNode::Kind::kSeq)
    throw ScenarioError(file, e->value.line, "figures",
                        "expected a list of figure specs (kind: bars, lines, timeline, cdf or "
                        "heatmap; see migsim plot); got " +
                            e->value.kind_name());
  if (const ConfigNode* n = root.find("name")) p.name = n->scalar;
  p.seed = read_integer(root, "seed", 1, 0, file);
  p.replications = read_integer(root, "replications", 1, 1, file, kMaxRuns);
  return p;
}

ScenarioPoint load_point(const ConfigNode& root, const std::string& file) {
  ScenarioPoint p = load_head(root, file);

  {
    SectionReader r(file, section_or_empty(root, "vm", file), "vm");
    r.read(p.vm);
    r.reject_unknown();
    try {
      vm::GuestMemory::validate(p.vm);
    } catch (const sim::ParamError& e) {
      r.fail_param(e);
    }
  }
  const ConfigNode& link_section = section_or_empty(root, "link", file);
  {
    SectionReader r(file, link_section, "link");
    p.link_preset = r.selector("preset", net::link_presets().names(), false, "gigabit");
    p.link = net::link_presets().find(p.link_preset)->defaults;
    r.read(p.link);
    r.reject_unknown();
  }
  read_network(root, file, p);
  {
    SectionReader r(file, section_or_empty(root, "tcp", file), "tcp");
    r.read(p.tcp);
    r.reject_unknown();
  }
  {
    SectionReader r(file, section_or_empty(root, "storage", file), "storage");
    p.storage_preset = r.selector("preset", storage::storage_presets().names(), false, "nas");
    p.storage = storage::storage_presets().find(p.storage_preset)->defaults;
    r.read(p.storage);
    r.reject_unknown();
  }
  {
    const ConfigNode& section = section_or_empty(root, "host", file);
    SectionReader r(file, section, "host");
    p.hypervisor = r.selector("hypervisor", host::hypervisor_presets().names(), true);
    p.host = host::hypervisor_presets().find(p.hypervisor)->defaults;
    r.read(p.host);
    r.reject_unknown();
  }
  const std::uint64_t pages =
      static_cast<std::uint64_t>(p.vm.memory.count() / p.vm.page_size.count());
  // The workload and the optional background: the same types, read the same way.
  const std::string base_dir = std::filesystem::path(file).parent_path().string();
  const auto read_workload = [&](std::string_view key, std::string& type,
                                 std::unique_ptr<sim::ParamSet>& params,
                                 std::optional<workloads::DiskIoParams>& disk) {
    const ConfigNode& section = section_or_empty(root, key, file);
    SectionReader r(file, section, std::string(key));
    type = r.selector("type", workloads::workloads().names(), true);
    const auto* entry = workloads::workloads().find(type);
    params = entry->make_params();
    r.read(*params);
    // `disk:` adds disk I/O through the page cache to any workload.
    r.accept("disk");
    if (const ConfigNode::Entry* block = section.find_entry("disk")) {
      const std::string path = std::string(key) + ".disk";
      if (block->value.kind != ConfigNode::Kind::kMap)
        throw ScenarioError(file, block->value.line, path,
                            "expected a mapping of disk I/O parameters (read_rate, read_size, "
                            "write_rate, write_size, offset, size); got " +
                                block->value.kind_name());
      SectionReader d(file, block->value, path);
      disk.emplace();
      d.read(*disk);
      d.reject_unknown();
      try {
        (void)workloads::DiskIo(
            *disk, workloads::WorkloadContext{pages, p.vm.page_size, 0, 0, key, base_dir});
      } catch (const sim::ParamError& e) {
        d.fail_param(e);
      }
    }
    r.reject_unknown();
    try {
      (void)entry->make(*params,
                        workloads::WorkloadContext{pages, p.vm.page_size, 0, 0, key, base_dir});
    } catch (const sim::ParamError& e) {
      r.fail_param(e);
    }
  };
  read_workload("workload", p.workload_type, p.workload, p.workload_disk);
  if (root.find_entry("background") != nullptr)
    read_workload("background", p.background_type, p.background, p.background_disk);
  {
    const ConfigNode& section = section_or_empty(root, "migration", file);
    SectionReader r(file, section, "migration");
    p.algorithm = r.selector("algorithm", migration::algorithms().names(), true);
    const auto* entry = migration::algorithms().find(p.algorithm);
    p.migration = entry->make_params(p.hypervisor);
    r.read(*p.migration);
    // A block named after an algorithm (migration.three_stage: {...}) holds parameters that
    // apply only when that algorithm runs, so one sweep over migration.algorithm can tune each.
    // Blocks of the other algorithms are still checked against their parameters.
    std::optional<SectionReader> chosen_block;
    for (const auto& name : migration::algorithms().names()) {
      const ConfigNode::Entry* block = section.find_entry(name);
      r.accept(name);
      if (block == nullptr) continue;
      const std::string path = "migration." + std::string(name);
      if (block->value.kind != ConfigNode::Kind::kMap)
        throw ScenarioError(file, block->value.line, path,
                            "expected a mapping of " + std::string(name) +
                                " parameters (used when migration.algorithm is " +
                                std::string(name) + "); got " + block->value.kind_name());
      SectionReader b(file, block->value, path);
      if (name == p.algorithm) {
        for (const auto& e : block->value.map)
          if (section.find_entry(e.key) != nullptr)
            throw ScenarioError(file, e.key_line, path + "." + e.key,
                                "'" + e.key + "' is also set in migration itself; set it once");
        b.read(*p.migration);
        b.reject_unknown();
        chosen_block.emplace(std::move(b));
      } else {
        auto other = migration::algorithms().find(name)->make_params(p.hypervisor);
        b.read(*other);
        b.reject_unknown();
      }
    }
    r.read(p.connection);
    // migration.compression: how every algorithm encodes the pages it sends in full.
    r.accept("compression");
    if (const ConfigNode::Entry* block = section.find_entry("compression")) {
      if (block->value.kind != ConfigNode::Kind::kMap)
        throw ScenarioError(file, block->value.line, "migration.compression",
                            "expected a mapping of compression parameters (codec, level, "
                            "threads, policy); got " +
                                block->value.kind_name());
      SectionReader c(file, block->value, "migration.compression");
      c.read(p.compression);
      c.reject_unknown();
      try {
        p.compression.check();
      } catch (const sim::ParamError& e) {
        c.fail_param(e);
      }
    }
    r.reject_unknown();
    try {
      (void)entry->make(*p.migration);
    } catch (const sim::ParamError& e) {
      if (chosen_block && chosen_block->has(e.key())) chosen_block->fail_param(e);
      r.fail_param(e);
    }
    if (entry->resumes_early && !p.vm.track_stale) {
      const ConfigNode& vm_section = section_or_empty(root, "vm", file);
      const ConfigNode::Entry* e = vm_section.find_entry("track_stale");
      throw ScenarioError(file, e ? e->value.line : vm_section.line, "vm.track_stale",
                          "algorithm " + p.algorithm +
                              " runs the guest at the destination before every page is there, "
                              "which needs the staleness record: allowed here: true");
    }
  }
  {
    // One stop-and-copy pass over memory, with the most framing any stream format may add, plus
    // the largest device state, must fit sim::limits::kMaxPass at the rate the migration's
    // streams can reach (link, window/RTT, loss): this keeps simulated time (int64 ns, 292
    // years) far from overflow in every algorithm.
    const std::int64_t pages = p.vm.memory.count() / p.vm.page_size.count();
    const sim::Bytes worst_pass{p.vm.memory.count() + pages * 2 * sim::limits::kMaxRecordBytes +
                                p.host.state_size.count()};
    const Bottleneck slowest = bottleneck(root, p);
    const sim::Duration pass = slowest.rate.time_for(worst_pass);
    if (pass > sim::limits::kMaxPass)
      throw ScenarioError(file, slowest.line, slowest.key,
                          "one pass over " + sim::format_bytes(p.vm.memory) +
                              " and the device state, with the most framing a stream may add, at " +
                              sim::format_bit_rate(slowest.rate) + " (" + slowest.why +
                              ") could take " + sim::format_double(pass.seconds()) +
                              " s; at most " + sim::format_duration(sim::limits::kMaxPass) +
                              " is allowed");
  }
  return p;
}

// A scenario with `vms:`: each item's sections replace the top-level ones of the same name
// (section by section), and the result is read as a single-migration point, so every check and
// message of a single scenario applies to each VM. Errors in what an item supplies (or what
// neither supplies) name the item: vms[2].migration.algorithm.
ScenarioPoint load_batch(const ConfigNode& root, const std::string& file) {
  const ConfigNode::Entry* vms = root.find_entry("vms");
  if (vms->value.kind != ConfigNode::Kind::kSeq || vms->value.seq.empty())
    throw ScenarioError(file, vms->value.line, "vms",
                        "expected a non-empty list of VMs, each a mapping with keys " +
                            join(kVmItemKeys) + "; got " + vms->value.kind_name());
  ConfigNode defaults = root;
  std::erase_if(defaults.map, [](const ConfigNode::Entry& e) {
    return e.key == "vms" || e.key == "schedule" || e.key == "cross_traffic";
  });
  ScenarioPoint batch = load_head(root, file);
  for (std::size_t item_index = 0; item_index < vms->value.seq.size(); ++item_index) {
    const ConfigNode& item = vms->value.seq[item_index];
    const std::string path = "vms[" + std::to_string(item_index) + "]";
    if (item.kind != ConfigNode::Kind::kMap)
      throw ScenarioError(
          file, item.line, path,
          "expected a VM: a mapping with keys " + join(kVmItemKeys) + "; got " + item.kind_name());
    for (const auto& e : item.map)
      if (std::find(kVmItemKeys.begin(), kVmItemKeys.end(), e.key) == kVmItemKeys.end())
        throw ScenarioError(file, e.key_line, path + "." + e.key,
                            "unknown key '" + e.key + "'" + did_you_mean(e.key, kVmItemKeys) +
                                "; allowed keys: " + join(kVmItemKeys) +
                                (e.value.from_sweep ? " (set by sweep)" : ""));
    std::string name;
    if (const ConfigNode::Entry* n = item.find_entry("name")) {
      if (n->value.kind != ConfigNode::Kind::kScalar)
        throw ScenarioError(file, n->value.line, path + ".name",
                            "expected a text; got " + n->value.kind_name());
      name = n->value.scalar;
    }
    std::int64_t count = 1;
    try {
      count = read_integer(item, "count", 1, 1, file, kMaxVms);
    } catch (const ScenarioError& e) {
      throw ScenarioError(file, e.line(), path + ".count", e.message());
    }
    ConfigNode member = defaults;
    for (const auto& e : item.map) {
      if (e.key == "name" || e.key == "count") continue;
      if (ConfigNode::Entry* own = const_cast<ConfigNode::Entry*>(member.find_entry(e.key)))
        *own = e;
      else
        member.map.push_back(e);
    }
    for (std::int64_t c = 0; c < count; ++c) {
      if (batch.vms.size() >= static_cast<std::size_t>(kMaxVms))
        throw ScenarioError(file, item.line, path,
                            "the scenario lists more than " + std::to_string(kMaxVms) +
                                " VMs (counting each item's count); split it");
      ScenarioPoint p = [&] {
        try {
          return load_point(member, file);
        } catch (const ScenarioError& e) {
          // The section (or key) the error is in: named under the item when the item supplies
          // it or nothing does, at the top otherwise.
          const std::string& key = e.key_path();
          const std::string section = key.substr(0, key.find_first_of(".["));
          const bool item_owns =
              item.find_entry(section) != nullptr ||
              (root.find_entry(section) == nullptr &&
               std::find(kVmItemKeys.begin(), kVmItemKeys.end(), section) != kVmItemKeys.end());
          if (!item_owns) throw;
          if (item.find_entry(section) == nullptr)  // neither sets it: point at the item
            throw ScenarioError(
                e.file(), item.line, path + "." + key,
                e.message() + " (set " + section + " in this item or at the top level)");
          throw ScenarioError(e.file(), e.line(), path + "." + key, e.message());
        }
      }();
      p.seed = vm_seed(batch.seed, batch.vms.size());
      p.replications = 1;
      p.name = name;
      p.file = file;
      batch.vm_names.push_back(name);
      batch.vms.push_back(std::move(p));
    }
  }
  // The network is the scenario's: every VM sees the same topology (or link) and tcp.
  const ScenarioPoint& first = batch.vms.front();
  batch.topology = first.topology;
  batch.link = first.link;
  batch.link_preset = first.link_preset;
  batch.tcp = first.tcp;
  {
    const ConfigNode& section = section_or_empty(root, "schedule", file);
    SectionReader r(file, section, "schedule");
    r.read(batch.schedule);
    r.reject_unknown();
  }
  if (const ConfigNode::Entry* cross = root.find_entry("cross_traffic")) {
    if (cross->value.kind != ConfigNode::Kind::kSeq)
      throw ScenarioError(file, cross->value.line, "cross_traffic",
                          "expected a list of transfers such as {from: h1, to: h2, rate: "
                          "500Mbit/s}; got " +
                              cross->value.kind_name());
    for (std::size_t i = 0; i < cross->value.seq.size(); ++i) {
      const ConfigNode& item = cross->value.seq[i];
      const std::string path = "cross_traffic[" + std::to_string(i) + "]";
      if (item.kind != ConfigNode::Kind::kMap)
        throw ScenarioError(file, item.line, path,
                            "expected a transfer such as {from: h1, to: h2, rate: 500Mbit/s}; "
                            "got " +
                                item.kind_name());
      SectionReader r(file, item, path);
      CrossTraffic t;
      r.read(t.params);
      r.accept("from");
      r.accept("to");
      r.reject_unknown();
      t.from = first.topology ? first.topology->hosts[0] : "source";
      t.to = first.topology ? first.topology->hosts[1] : "destination";
      for (const auto& [key, out] : {std::pair{"from", &t.from}, std::pair{"to", &t.to}}) {
        const ConfigNode::Entry* e = item.find_entry(key);
        if (e == nullptr) continue;
        *out = read_name(e->value, path + "." + key, file);
        if (!first.topology && *out != "source" && *out != "destination")
          throw ScenarioError(file, e->value.line, path + "." + key,
                              "'" + *out +
                                  "' is not a host: with link: the hosts are source and "
                                  "destination (or describe a topology)");
        if (first.topology && !net::Topology(*first.topology).is_host(*out)) {
          std::vector<std::string_view> hosts(first.topology->hosts.begin(),
                                              first.topology->hosts.end());
          throw ScenarioError(file, e->value.line, path + "." + key,
                              "'" + *out + "' is not a host of the topology; hosts: " +
                                  join(hosts) + did_you_mean(*out, hosts));
        }
      }
      const ConfigNode::Entry* to = item.find_entry("to");
      const int line = to ? to->value.line : item.line;
      if (t.from == t.to)
        throw ScenarioError(file, line, path + ".to",
                            "the transfer goes from '" + t.from + "' to itself; name another host");
      if (first.topology && net::Topology(*first.topology).route(t.from, t.to).empty())
        throw ScenarioError(file, line, path + ".to",
                            "no path of links joins '" + t.from + "' to '" + t.to + "'");
      batch.cross_traffic.push_back(std::move(t));
    }
  }
  return batch;
}

// One point of a scenario: several migrations when it lists `vms`, one otherwise.
ScenarioPoint load_any(const ConfigNode& root, const std::string& file) {
  if (root.find_entry("vms") != nullptr) return load_batch(root, file);
  for (std::string_view key : {"schedule", "cross_traffic"})
    if (const ConfigNode::Entry* e = root.find_entry(key))
      throw ScenarioError(file, e->key_line, std::string(key),
                          "'" + std::string(key) +
                              "' belongs to a scenario with several VMs; add a vms list (or "
                              "remove it)");
  return load_point(root, file);
}

// A segment of a sweep path: a key, and an index when it reads key[i] (an item of a list).
struct Segment {
  std::string key;
  std::optional<std::size_t> index;
};
std::optional<Segment> parse_segment(const std::string& text) {
  const std::size_t open = text.find('[');
  if (open == std::string::npos) return Segment{text, std::nullopt};
  if (open == 0 || text.back() != ']' || open + 2 >= text.size()) return std::nullopt;
  const std::string digits = text.substr(open + 1, text.size() - open - 2);
  if (digits.size() > 6 ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  return Segment{text.substr(0, open), static_cast<std::size_t>(std::stoul(digits))};
}
std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    const std::size_t dot = path.find('.', start);
    parts.push_back(path.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) return parts;
    start = dot + 1;
  }
}

// Sets the node at dotted `path` in `root` to `value`, creating mappings on the way; key[i]
// steps into item i of the list `key`, which must exist.
void assign(ConfigNode& root, const std::string& path, const ConfigNode& value, int key_line,
            const std::string& file) {
  ConfigNode* node = &root;
  const std::vector<std::string> parts = split_path(path);
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const std::optional<Segment> seg = parse_segment(parts[i]);
    if (!seg || seg->key.empty())
      throw ScenarioError(file, key_line, "sweep." + path,
                          "bad segment '" + parts[i] + "' in sweep path (write key or key[i])");
    if (node->kind == ConfigNode::Kind::kNull) node->kind = ConfigNode::Kind::kMap;
    if (node->kind != ConfigNode::Kind::kMap)
      throw ScenarioError(
          file, key_line, "sweep." + path,
          "unknown sweep path: '" + seg->key + "' is inside a value, not a section");
    ConfigNode* child = node->find(seg->key);
    if (seg->index) {
      if (child == nullptr || child->kind != ConfigNode::Kind::kSeq ||
          *seg->index >= child->seq.size())
        throw ScenarioError(
            file, key_line, "sweep." + path,
            "'" + parts[i] + "' names no item: " +
                (child == nullptr || child->kind != ConfigNode::Kind::kSeq
                     ? "the scenario has no list '" + seg->key + "'"
                     : "'" + seg->key + "' has " + std::to_string(child->seq.size()) +
                           " items, numbered from 0"));
      child = &child->seq[*seg->index];
    } else if (child == nullptr) {
      node->map.push_back({seg->key, key_line, 1, ConfigNode{}});
      child = &node->map.back().value;
      child->line = key_line;
      child->from_sweep = true;
    }
    if (i + 1 == parts.size()) {
      *child = value;
      child->from_sweep = true;
      return;
    }
    node = child;
  }
}

// The node at dotted `path` (key[i] steps into a list), or nullptr.
const ConfigNode* find_path(const ConfigNode& root, const std::string& path) {
  const ConfigNode* node = &root;
  for (const std::string& part : split_path(path)) {
    const std::optional<Segment> seg = parse_segment(part);
    if (!seg || node->kind != ConfigNode::Kind::kMap) return nullptr;
    node = node->find(seg->key);
    if (node != nullptr && seg->index)
      node = node->kind == ConfigNode::Kind::kSeq && *seg->index < node->seq.size()
                 ? &node->seq[*seg->index]
                 : nullptr;
    if (node == nullptr) return nullptr;
  }
  return node;
}

// Checks a sweep path names a declared key before anything is expanded: section.key, with
// migration.<block>.key for a block of the migration section; vms[i].section.key for one VM;
// cross_traffic[i].key for one transfer.
void check_sweep_path(const std::string& full, int line, const std::string& file) {
  static const std::vector<std::string_view> sweepable{
      "seed", "vm",        "workload", "background", "link",   "tcp",
      "host", "migration", "storage",  "schedule",   "vms[i]", "cross_traffic[i]"};
  static const std::vector<std::string_view> item_sections{"vm",        "workload", "background",
                                                           "migration", "host",     "storage"};
  const auto bad = [&](const std::string& why) {
    throw ScenarioError(file, line, "sweep." + full, "unknown sweep path '" + full + "': " + why);
  };
  std::string path = full;
  const std::size_t first_dot = path.find('.');
  const std::optional<Segment> head = parse_segment(path.substr(0, first_dot));
  if (head && head->index) {
    if (head->key == "cross_traffic") {
      if (first_dot == std::string::npos || path.find('.', first_dot + 1) != std::string::npos)
        bad("write cross_traffic[i].key, such as cross_traffic[0].rate");
      return;
    }
    if (head->key != "vms") bad("only vms[i] and cross_traffic[i] address list items");
    if (first_dot == std::string::npos) bad("write vms[i].section.key, such as vms[0].vm.memory");
    path = path.substr(first_dot + 1);
    const std::string section = path.substr(0, path.find('.'));
    if (std::find(item_sections.begin(), item_sections.end(), section) == item_sections.end())
      bad("a VM's sweepable sections are " + join(item_sections) +
          did_you_mean(section, item_sections));
  }
  const std::size_t dot = path.find('.');
  const std::string section = path.substr(0, dot);
  if (std::find(sweepable.begin(), sweepable.end(), section) == sweepable.end())
    throw ScenarioError(file, line, "sweep." + full,
                        "unknown sweep path '" + full + "': it must start with one of: " +
                            join(sweepable) + did_you_mean(section, sweepable));
  // migration.<block>.key reaches into a block of the migration section (compression, or an
  // algorithm's own block); everything else is section.key.
  const std::size_t second = dot == std::string::npos ? dot : path.find('.', dot + 1);
  bool nested_ok = false;
  if (second != std::string::npos && section == "migration" &&
      path.find('.', second + 1) == std::string::npos) {
    const std::string block = path.substr(dot + 1, second - dot - 1);
    const auto names = migration::algorithms().names();
    nested_ok =
        block == "compression" || std::find(names.begin(), names.end(), block) != names.end();
  }
  if ((section == "seed") != (dot == std::string::npos) ||
      (second != std::string::npos && !nested_ok))
    throw ScenarioError(file, line, "sweep." + full,
                        "unknown sweep path '" + full +
                            "': write section.key, such as vm.memory, or "
                            "migration.<compression or algorithm>.key");
}

}  // namespace

std::vector<ScenarioPoint> expand_scenario(const ConfigNode& root, const std::string& file,
                                           std::int64_t max_runs) {
  if (root.kind != ConfigNode::Kind::kMap)
    throw ScenarioError(
        file, root.line, "",
        "a scenario is a mapping with keys " + join(kTopLevelKeys) + "; got " + root.kind_name());
  ConfigNode base = root;
  struct Axis {
    std::string path;
    int line;
    std::vector<ConfigNode> values;
  };
  std::vector<Axis> axes;
  if (const ConfigNode::Entry* sweep = root.find_entry("sweep")) {
    if (sweep->value.kind != ConfigNode::Kind::kMap)
      throw ScenarioError(
          file, sweep->value.line, "sweep",
          "expected a mapping from dotted key paths (vm.memory) to lists of values");
    for (const auto& e : sweep->value.map) {
      check_sweep_path(e.key, e.key_line, file);
      if (e.value.kind != ConfigNode::Kind::kSeq || e.value.seq.empty())
        throw ScenarioError(file, e.value.line, "sweep." + e.key,
                            "expected a non-empty list of values");
      for (const auto& v : e.value.seq)
        if (v.kind != ConfigNode::Kind::kScalar)
          throw ScenarioError(file, v.line, "sweep." + e.key,
                              "sweep values must be single values, not " + v.kind_name());
      axes.push_back({e.key, e.key_line, e.value.seq});
    }
    base.map.erase(std::find_if(base.map.begin(), base.map.end(),
                                [](const ConfigNode::Entry& en) { return en.key == "sweep"; }));
  }
  // Bound the work one file can ask for: points x replications runs.
  const std::int64_t replications = read_integer(root, "replications", 1, 1, file, kMaxRuns);
  std::size_t total = 1;
  for (const auto& a : axes) {
    total *= a.values.size();
    if (total > static_cast<std::size_t>(kMaxPoints))
      throw ScenarioError(file, a.line, "sweep",
                          "the sweep has more than " + std::to_string(kMaxPoints) +
                              " points (each is held in memory while the file runs); split it "
                              "into several files");
    if (static_cast<__int128>(total) * replications > max_runs)
      throw ScenarioError(file, a.line, "sweep",
                          "the sweep times replications asks for more than " +
                              std::to_string(max_runs) + " runs; split it into several files");
  }
  if (replications > max_runs)
    throw ScenarioError(file, root.find("replications")->line, "replications",
                        "asks for more than " + std::to_string(max_runs) + " runs");
  // A value the sweep overrides must still be valid where it is written: check each one with
  // the other axes at their first values.
  for (std::size_t a = 0; a < axes.size(); ++a) {
    if (find_path(base, axes[a].path) == nullptr) continue;
    ConfigNode tree = base;
    for (std::size_t b = 0; b < axes.size(); ++b)
      if (b != a) assign(tree, axes[b].path, axes[b].values.front(), axes[b].line, file);
    (void)load_any(tree, file);
  }
  std::vector<ScenarioPoint> points;
  points.reserve(total);
  for (std::size_t i = 0; i < total; ++i) {
    ConfigNode tree = base;
    std::vector<std::pair<std::string, std::string>> values;
    std::size_t rest = i;
    // The first axis varies slowest.
    for (std::size_t a = axes.size(); a-- > 0;) {
      const auto& axis = axes[a];
      const ConfigNode& v = axis.values[rest % axis.values.size()];
      rest /= axis.values.size();
      assign(tree, axis.path, v, axis.line, file);
      values.emplace_back(axis.path, v.scalar);
    }
    std::reverse(values.begin(), values.end());
    ScenarioPoint p = [&] {
      try {
        return load_any(tree, file);
      } catch (const ScenarioError& e) {
        if (values.empty()) throw;
        std::string where;
        for (const auto& [path, value] : values)
          where += (where.empty() ? "" : ", ") + path + "=" + value;
        throw ScenarioError(e.file(), e.line(), e.key_path(),
                            e.message() + " (in the sweep point " + where + ")");
      }
    }();
    p.index = i;
    p.sweep_values = std::move(values);
    p.resolved_json = p.resolved().dump();
    for (ScenarioPoint& vm : p.vms) vm.resolved_json = vm.resolved().dump();
    points.push_back(std::move(p));
  }
  return points;
}

std::vector<ScenarioPoint> load_scenario(const std::string& path) {
  return expand_scenario(load_config_file(path), path);
}

namespace {

Json param_json(const sim::ParamDecl& d) {
  return std::visit(
      [&](auto* v) -> Json {
        using T = std::remove_pointer_t<decltype(v)>;
        if constexpr (std::is_same_v<T, double> || std::is_same_v<T, std::int64_t> ||
                      std::is_same_v<T, bool> || std::is_same_v<T, std::string>)
          return Json(*v);
        else
          return Json(d.text());
      },
      d.value);
}

// A section's parameters as JSON: a parameter struct or a ParamSet.
template <class T>
Json params_json(T& params) {
  Json out = Json::object();
  sim::for_each_param(params,
                      [&](const sim::ParamDecl& d) { out[std::string(d.name)] = param_json(d); });
  return out;
}

}  // namespace

Json ScenarioPoint::resolved() const {
  if (is_batch()) {
    Json j = Json::object();
    if (!name.empty()) j["name"] = name;
    j["seed"] = seed;
    j["replications"] = replications;
    // The network as the first VM resolved it (all share it).
    Json first = vms.front().resolved();
    for (const char* key : {"topology", "link", "tcp"})
      if (first.contains(key)) j[key] = first[key];
    ScheduleParams schedule_copy = schedule;
    j["schedule"] = params_json(schedule_copy);
    if (!cross_traffic.empty()) {
      Json cross = Json::array();
      for (const CrossTraffic& t : cross_traffic) {
        CrossTrafficParams params = t.params;
        Json c = {{"from", t.from}, {"to", t.to}};
        c.update(params_json(params));
        cross.push_back(std::move(c));
      }
      j["cross_traffic"] = std::move(cross);
    }
    Json items = Json::array();
    for (std::size_t i = 0; i < vms.size(); ++i) {
      Json member = vms[i].resolved();
      Json item = Json::object();
      if (!vm_names[i].empty()) item["name"] = vm_names[i];
      for (const char* key : {"vm", "workload", "background", "storage", "host", "migration",
                              "source", "destination"})
        if (member.contains(key)) item[key] = std::move(member[key]);
      items.push_back(std::move(item));
    }
    j["vms"] = std::move(items);
    return j;
  }
  Json j = Json::object();
  if (!name.empty()) j["name"] = name;
  j["seed"] = seed;
  j["replications"] = replications;
  vm::VmParams vm_copy = vm;
  j["vm"] = params_json(vm_copy);
  Json w = {{"type", workload_type}};
  w.update(params_json(*workload));
  if (workload_disk) {
    workloads::DiskIoParams d = *workload_disk;
    w["disk"] = params_json(d);
  }
  j["workload"] = w;
  if (background) {
    Json b = {{"type", background_type}};
    b.update(params_json(*background));
    if (background_disk) {
      workloads::DiskIoParams d = *background_disk;
      b["disk"] = params_json(d);
    }
    j["background"] = b;
  }
  if (topology) {
    Json t = {{"hosts", topology->hosts}, {"switches", topology->switches}};
    Json links = Json::array();
    for (const net::TopologyLink& tl : topology->links) {
      net::LinkParams params = tl.params;
      Json l = {{"between", {tl.a, tl.b}}, {"preset", tl.preset}};
      l.update(params_json(params));
      links.push_back(std::move(l));
    }
    t["links"] = std::move(links);
    j["topology"] = std::move(t);
    j["source"] = source;
    j["destination"] = destination;
  } else {
    net::LinkParams link_copy = link;
    Json l = {{"preset", link_preset}};
    l.update(params_json(link_copy));
    j["link"] = l;
  }
  net::TcpParams tcp_copy = tcp;
  j["tcp"] = params_json(tcp_copy);
  storage::StorageParams storage_copy = storage;
  Json st = {{"preset", storage_preset}};
  st.update(params_json(storage_copy));
  j["storage"] = st;
  host::HostParams host_copy = host;
  Json h = {{"hypervisor", hypervisor}};
  h.update(params_json(host_copy));
  j["host"] = h;
  Json m = {{"algorithm", algorithm}};
  m.update(params_json(*migration));
  net::ConnectionParams connection_copy = connection;
  m.update(params_json(connection_copy));
  migration::CompressionParams compression_copy = compression;
  m["compression"] = params_json(compression_copy);
  j["migration"] = m;
  return j;
}

}  // namespace migsim::scenarios
