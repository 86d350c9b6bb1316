#include "scenarios/scenario.h"

#include <algorithm>
#include <limits>
#include <optional>

#include "models/migration/algorithm.h"
#include "workloads/workload.h"

namespace migsim::scenarios {

const std::vector<std::string_view> kTopLevelKeys{
    "name",       "description", "seed", "replications", "vm",      "workload",
    "background", "link",        "host", "migration",    "storage", "sweep"};

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
  {
    // One stop-and-copy pass over memory, with the most framing any stream format may add, plus
    // the largest device state, must fit sim::limits::kMaxPass at the link's goodput: this keeps
    // simulated time (int64 ns, 292 years) far from overflow in every algorithm.
    const std::int64_t pages = p.vm.memory.count() / p.vm.page_size.count();
    const sim::Bytes worst_pass{p.vm.memory.count() + pages * 2 * sim::limits::kMaxRecordBytes +
                                p.host.state_size.count()};
    const sim::Duration pass = p.link.goodput().time_for(worst_pass);
    if (pass > sim::limits::kMaxPass) {
      const ConfigNode::Entry* e = link_section.find_entry("bandwidth");
      throw ScenarioError(file, e ? e->value.line : link_section.line, "link.bandwidth",
                          "one pass over " + sim::format_bytes(p.vm.memory) +
                              " and the device state, with the most framing a stream may add, at " +
                              sim::format_bit_rate(p.link.goodput()) + " goodput could take " +
                              sim::format_double(pass.seconds()) + " s; at most " +
                              sim::format_duration(sim::limits::kMaxPass) + " is allowed");
    }
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
  static const std::vector<std::string_view> sweepable{"seed", "vm",   "workload",  "background",
                                                       "link", "host", "migration", "storage"};
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
  net::LinkParams link_copy = link;
  Json l = {{"preset", link_preset}};
  l.update(params_json(link_copy));
  j["link"] = l;
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
  migration::CompressionParams compression_copy = compression;
  m["compression"] = params_json(compression_copy);
  j["migration"] = m;
  return j;
}

}  // namespace migsim::scenarios
