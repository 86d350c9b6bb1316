#include "scenarios/scenario.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include "models/migration/algorithm.h"
#include "workloads/workload.h"

namespace migsim::scenarios {

const std::vector<std::string_view> kTopLevelKeys{
    "name",       "description", "seed",     "replications", "vm",          "workload",
    "background", "link",        "topology", "source",       "destination", "tcp",
    "host",       "migration",   "storage",  "sweep"};

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

ScenarioPoint load_point(const ConfigNode& root, const std::string& file) {
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
  if (const ConfigNode* n = root.find("name")) p.name = n->scalar;
  p.seed = read_integer(root, "seed", 1, 0, file);
  p.replications = read_integer(root, "replications", 1, 1, file, kMaxRuns);

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
        (void)workloads::DiskIo(*disk,
                                workloads::WorkloadContext{pages, p.vm.page_size, 0, 0, key});
      } catch (const sim::ParamError& e) {
        d.fail_param(e);
      }
    }
    r.reject_unknown();
    try {
      (void)entry->make(*params, workloads::WorkloadContext{pages, p.vm.page_size, 0, 0, key});
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

// Sets the node at dotted `path` in `root` to `value`, creating mappings on the way.
void assign(ConfigNode& root, const std::string& path, const ConfigNode& value, int key_line,
            const std::string& file) {
  ConfigNode* node = &root;
  std::size_t start = 0;
  for (;;) {
    const std::size_t dot = path.find('.', start);
    const std::string key =
        path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (key.empty())
      throw ScenarioError(file, key_line, "sweep." + path, "empty segment in sweep path");
    if (node->kind == ConfigNode::Kind::kNull) node->kind = ConfigNode::Kind::kMap;
    if (node->kind != ConfigNode::Kind::kMap)
      throw ScenarioError(file, key_line, "sweep." + path,
                          "unknown sweep path: '" + key + "' is inside a value, not a section");
    ConfigNode* child = node->find(key);
    if (child == nullptr) {
      node->map.push_back({key, key_line, 1, ConfigNode{}});
      child = &node->map.back().value;
      child->line = key_line;
      child->from_sweep = true;
    }
    if (dot == std::string::npos) {
      *child = value;
      child->from_sweep = true;
      return;
    }
    node = child;
    start = dot + 1;
  }
}

// The node at dotted `path`, or nullptr.
const ConfigNode* find_path(const ConfigNode& root, const std::string& path) {
  const ConfigNode* node = &root;
  std::size_t start = 0;
  for (;;) {
    const std::size_t dot = path.find('.', start);
    node = node->kind == ConfigNode::Kind::kMap ? node->find(path.substr(start, dot - start))
                                                : nullptr;
    if (node == nullptr || dot == std::string::npos) return node;
    start = dot + 1;
  }
}

// Checks a sweep path names a declared key before anything is expanded.
void check_sweep_path(const std::string& path, int line, const std::string& file) {
  const std::size_t dot = path.find('.');
  const std::string section = path.substr(0, dot);
  static const std::vector<std::string_view> sweepable{
      "seed", "vm", "workload", "background", "link", "tcp", "host", "migration", "storage"};
  if (std::find(sweepable.begin(), sweepable.end(), section) == sweepable.end())
    throw ScenarioError(file, line, "sweep." + path,
                        "unknown sweep path '" + path + "': it must start with one of: " +
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
    throw ScenarioError(file, line, "sweep." + path,
                        "unknown sweep path '" + path +
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
    if (static_cast<std::int64_t>(total) * replications > max_runs)
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
    (void)load_point(tree, file);
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
        return load_point(tree, file);
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
