#include "scenarios/run.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <filesystem>
#include <functional>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "migsim_version.h"
#include "models/migration/algorithm.h"
#include "workloads/together.h"
#include "workloads/workload.h"

namespace migsim::scenarios {

const char* const kVersion = MIGSIM_VERSION;

namespace {

double seconds(sim::Duration d) {
  return d.seconds();
}

// The fields of one round entry, in record order, for both forms of the record. Fields that
// only some algorithms fill are written for those.
template <class F>
void round_fields(std::string_view algorithm, const migration::RoundRecord& r, F&& field) {
  field("index", static_cast<std::int64_t>(r.index));
  field("final", r.final);
  field("start_s", seconds(r.start));
  field("duration_s", seconds(r.duration));
  field("pages_sent", r.pages_sent);
  field("pages_skipped", r.pages_skipped);
  field("pages_zero", r.pages_zero);
  field("pages_dirtied", r.pages_dirtied);
  field("pages_pending", r.pages_pending);
  field("bytes", r.bytes.count());
  field("mbps", r.bandwidth_bps / 1e6);
  field("expected_downtime_s", seconds(r.expected_downtime));
  if (algorithm == "improved_pre_copy") field("hot_pages", r.hot_pages);
  if (migration::algorithms().find(algorithm)->resumes_early) {
    field("post_switch", r.post_switch);
    field("pages_pushed", r.pages_pushed);
    field("pages_demand", r.pages_demand);
    field("faults", r.faults);
  }
}

Json metric_json(const Metric::Value& v) {
  return std::visit(
      [](const auto& x) -> Json {
        if constexpr (std::is_same_v<std::decay_t<decltype(x)>, std::string_view>)
          return std::string(x);
        else
          return x;
      },
      v);
}

Json point_json(const ScenarioPoint& point) {
  Json j = Json::object();
  for (const auto& [path, value] : point.sweep_values) j[path] = value;
  return j;
}

// Writes JSON text with nlohmann's own serializer, so numbers and strings come out exactly as
// Json::dump() writes them (the shortest text that reads back to the same double, the same
// escapes). Only scalars are serialised; objects and arrays are written here.
class JsonText {
 public:
  explicit JsonText(std::string& out)
      : out_(out), serializer_(nlohmann::detail::output_adapter<char, std::string>(out), ' ') {}
  void raw(std::string_view text) { out_ += text; }
  // "name": (a literal that needs no escaping), preceded by a comma unless it opens an object.
  void key(std::string_view name, bool first = false) {
    if (!first) out_ += ',';
    out_ += '"';
    out_ += name;
    out_ += "\":";
  }
  void escaped_key(const std::string& name, bool first) {
    if (!first) out_ += ',';
    value(Json(name));
    out_ += ':';
  }
  void value(const Json& scalar) { serializer_.dump(scalar, false, false, 0); }

 private:
  std::string& out_;
  nlohmann::detail::serializer<Json> serializer_;
};

}  // namespace

namespace {

// The workload, with the disk I/O it carries, and the background beside it.
std::unique_ptr<vm::GuestActivity> make_activity(const ScenarioPoint& point,
                                                 vm::GuestMemory& memory, std::int64_t replicate) {
  const std::string base_dir = std::filesystem::path(point.file).parent_path().string();
  workloads::WorkloadContext wctx{memory.pages(), memory.page_size(),
                                  static_cast<std::uint64_t>(point.seed),
                                  static_cast<std::uint64_t>(replicate)};
  wctx.base_dir = base_dir;
  const auto make = [](const std::string& type, const sim::ParamSet& params,
                       const std::optional<workloads::DiskIoParams>& disk,
                       const workloads::WorkloadContext& c) {
    std::unique_ptr<vm::GuestActivity> a = workloads::workloads().find(type)->make(params, c);
    if (disk)
      a = std::make_unique<workloads::Together>(
          std::move(a), std::make_unique<workloads::DiskIo>(*disk, c), std::string());
    return a;
  };
  std::unique_ptr<vm::GuestActivity> activity =
      make(point.workload_type, *point.workload, point.workload_disk, wctx);
  if (point.background) {
    workloads::WorkloadContext bctx = wctx;
    bctx.section = "background";
    activity = std::make_unique<workloads::Together>(
        std::move(activity),
        make(point.background_type, *point.background, point.background_disk, bctx));
  }
  activity->prepare(memory);
  return activity;
}

// The scenario's network: its topology (or the one link between "source" and "destination"),
// and routes between its hosts.
class Wiring {
 public:
  Wiring(const ScenarioPoint& point, net::Network& network) {
    if (point.topology) {
      topology_.emplace(*point.topology);
      topology_->build(network);
    } else {
      const net::LinkParams& l = point.link;
      network.add_link(l.goodput(), l.latency, l.loss, "source>destination");
      network.add_link(l.goodput(), l.latency, l.loss, "destination>source");
    }
  }
  net::Channel::Route route(const std::string& from, const std::string& to) const {
    net::Channel::Route r;
    if (!topology_) {
      r.push_back(from == "source" ? 0 : 1);
      return r;
    }
    for (const auto& hop : topology_->route(from, to)) r.push_back(net::Topology::directed(hop));
    return r;
  }

 private:
  std::optional<net::Topology> topology_;
};

// One VM's migration: its guest, workload, channel, storage and algorithm, ready to start.
class VmRun {
 public:
  VmRun(const ScenarioPoint& point, std::int64_t replicate, sim::Simulation& sim,
        net::Network& network, const Wiring& wiring)
      : point_(point),
        memory_(point.vm, static_cast<std::uint64_t>(point.seed),
                static_cast<std::uint64_t>(replicate)),
        activity_(make_activity(point, memory_, replicate)),
        guest_(memory_, *activity_),
        channel_(network, wiring.route(point.source, point.destination),
                 wiring.route(point.destination, point.source), point.connection, point.tcp),
        storage_(sim, point.storage),
        ctx_{sim,
             guest_,
             channel_,
             point.host,
             point.compression,
             &storage_,
             static_cast<std::uint64_t>(point.seed),
             static_cast<std::uint64_t>(replicate)},
        algorithm_(migration::algorithms().find(point.algorithm)->make(*point.migration)) {
    storage_.set_guest_load(activity_->disk_load());
  }

  // Starts the migration now; `on_end(context)` when it has ended.
  void start(sim::Simulation::Callback on_end, void* context) {
    guest_.begin_at(ctx_.sim.now());
    ctx_.sim.spawn(algorithm_->run(ctx_, result_.report), on_end, context);
  }
  RunResult finish(std::uint64_t sim_events) {
    result_.metrics = migration::measure(point_.algorithm, {result_.report, memory_, sim_events});
    result_.facts = activity_->facts();
    return std::move(result_);
  }
  const migration::MigrationReport& report() const { return result_.report; }

 private:
  const ScenarioPoint& point_;
  vm::GuestMemory memory_;
  std::unique_ptr<vm::GuestActivity> activity_;
  vm::Guest guest_;
  net::Channel channel_;
  storage::Storage storage_;
  migration::MigrationContext ctx_;
  std::unique_ptr<migration::Algorithm> algorithm_;
  RunResult result_;
};

// A cross-traffic transfer: from `start`, for `duration` (or until every migration has ended),
// each of its streams sends as fast as its share, TCP and its part of the rate cap allow.
// Callback-driven (no coroutine), so it can stop from the scheduler's end callback.
class CrossRun {
 public:
  CrossRun(sim::Simulation& sim, std::vector<net::Flow*> flows, const CrossTrafficParams& params)
      : sim_(sim), flows_(std::move(flows)), p_(params) {
    sim_.schedule(p_.start, sim::Band::kNormal, &on_start, this);
  }
  // Every migration has ended: traffic without a duration stops now.
  void migrations_done() {
    done_ = true;
    if (p_.duration.count_ns() == 0) stop();
  }

 private:
  static void on_start(void* self) {
    auto* c = static_cast<CrossRun*>(self);
    if (c->p_.duration.count_ns() == 0 && c->done_) return;
    const sim::BitRate cap = sim::BitRate::bits_per_second(
        c->p_.rate.bps() / static_cast<std::int64_t>(c->flows_.size()));
    const sim::Bytes endless{std::int64_t{1} << 60};  // never runs out before it stops
    for (net::Flow* f : c->flows_) f->push(endless, cap, sim::Duration{}, nullptr, nullptr);
    if (c->p_.duration.count_ns() > 0)
      c->sim_.schedule(c->sim_.now() + c->p_.duration, sim::Band::kNormal, &on_stop, c);
  }
  static void on_stop(void* self) { static_cast<CrossRun*>(self)->stop(); }

 public:
  sim::Bytes bytes_sent() const {
    sim::Bytes sum{};
    for (const net::Flow* f : flows_) sum += f->bytes_sent();
    return sum;
  }

 private:
  void stop() {
    for (net::Flow* f : flows_) f->stop();
  }
  sim::Simulation& sim_;
  std::vector<net::Flow*> flows_;
  CrossTrafficParams p_;
  bool done_ = false;
};

// Starts the VMs' migrations in list order, at most `limit` at a time; tells the cross
// traffic when the last has ended.
class Scheduler {
 public:
  Scheduler(std::vector<std::unique_ptr<VmRun>>& vms, std::size_t limit,
            std::vector<std::unique_ptr<CrossRun>>& cross)
      : vms_(vms), limit_(limit == 0 ? vms.size() : limit), cross_(cross) {}
  void start() {
    while (running_ < limit_ && next_ < vms_.size()) {
      ++running_;
      vms_[next_++]->start(&Scheduler::on_end, this);
    }
  }
  bool done() const { return ended_ == vms_.size(); }

 private:
  static void on_end(void* self) {
    auto* s = static_cast<Scheduler*>(self);
    --s->running_;
    ++s->ended_;
    s->start();
    if (s->done())
      for (auto& c : s->cross_) c->migrations_done();
  }
  std::vector<std::unique_ptr<VmRun>>& vms_;
  std::size_t limit_;
  std::vector<std::unique_ptr<CrossRun>>& cross_;
  std::size_t next_ = 0, running_ = 0, ended_ = 0;
};

}  // namespace

PointResult simulate_point(const ScenarioPoint& point, std::int64_t replicate) {
  sim::Simulation sim;
  net::Network network(sim);
  const Wiring wiring(point, network);
  std::vector<std::unique_ptr<VmRun>> vms;
  if (point.is_batch())
    for (const ScenarioPoint& vm : point.vms)
      vms.push_back(std::make_unique<VmRun>(vm, replicate, sim, network, wiring));
  else
    vms.push_back(std::make_unique<VmRun>(point, replicate, sim, network, wiring));

  std::vector<std::unique_ptr<CrossRun>> cross;
  Scheduler scheduler(vms, static_cast<std::size_t>(point.schedule.max_concurrent), cross);
  for (const CrossTraffic& t : point.cross_traffic) {
    std::vector<net::Flow*> flows;
    for (std::int64_t i = 0; i < t.params.streams; ++i)
      flows.push_back(&network.open_flow(wiring.route(t.from, t.to), point.tcp));
    cross.push_back(std::make_unique<CrossRun>(sim, std::move(flows), t.params));
  }
  scheduler.start();
  sim.run();

  PointResult result;
  for (auto& vm : vms) result.vms.push_back(vm->finish(sim.events_processed()));
  if (point.is_batch()) {
    migration::BatchInputs in;
    for (const RunResult& r : result.vms) in.reports.push_back(&r.report);
    for (const auto& c : cross) in.cross_traffic += c->bytes_sent();
    in.sim_events = sim.events_processed();
    result.batch_metrics = migration::measure_batch(in);
    for (net::Network::LinkId l = 0; l < network.link_count(); ++l)
      result.links.push_back({network.link_name(l), network.link_bytes(l).count()});
  }
  return result;
}

RunResult simulate(const ScenarioPoint& point, std::int64_t replicate) {
  if (point.is_batch()) throw std::logic_error("simulate: the point lists several VMs");
  return std::move(simulate_point(point, replicate).vms.front());
}

namespace {

// Which VM of a batch a record describes (null for a single migration).
struct VmTag {
  const ScenarioPoint* vm;  // its own point: the scenario the record embeds
  std::size_t index;
  const std::string* name;
};

const ScenarioPoint& run_point_of(const ScenarioPoint& point, const VmTag* tag) {
  return tag ? *tag->vm : point;
}

// The fields every record starts with.
template <class Key, class Value>
void head_fields(const ScenarioPoint& point, std::int64_t replicate, Key&& key, Value&& value,
                 const std::function<void()>& point_object) {
  key("migsim_version");
  value(Json(kVersion));
  key("scenario_file");
  value(Json(point.file));
  key("scenario_name");
  value(Json(point.name));
  key("point_index");
  value(Json(point.index));
  key("point");
  point_object();
  key("replicate");
  value(Json(replicate));
  key("seed");
  value(Json(point.seed));
}

void write_record(const ScenarioPoint& point, const VmTag* tag, std::int64_t replicate,
                  const RunResult& result, std::string& out) {
  const ScenarioPoint& run = run_point_of(point, tag);
  JsonText j(out);
  j.raw("{");
  bool first_key = true;
  head_fields(
      point, replicate, [&](std::string_view k) { j.key(k, std::exchange(first_key, false)); },
      [&](const Json& v) { j.value(v); },
      [&] {
        j.raw("{");
        bool first = true;
        for (const auto& [path, value] : point.sweep_values) {
          j.escaped_key(path, std::exchange(first, false));
          j.value(value);
        }
        j.raw("}");
      });
  if (tag) {
    j.key("record");
    j.value("vm");
    j.key("vm_index");
    j.value(tag->index);
    j.key("vm_name");
    j.value(*tag->name);
  }
  j.key("scenario");
  // The cache is made when the point is expanded; a point changed afterwards must clear it.
  assert(run.resolved_json.empty() || run.resolved_json == run.resolved().dump());
  if (run.resolved_json.empty())
    j.raw(run.resolved().dump());
  else
    j.raw(run.resolved_json);
  j.key("metrics");
  j.raw("{");
  bool first = true;
  for (const auto& m : result.metrics) {
    j.key(m.name, std::exchange(first, false));
    j.value(metric_json(m.value));
  }
  j.raw("}");
  j.key("workload");
  j.raw("{");
  first = true;
  for (const auto& [name, value] : result.facts) {
    j.escaped_key(name, std::exchange(first, false));
    j.value(value);
  }
  j.raw("}");
  j.key("rounds");
  j.raw("[");
  first = true;
  for (const auto& r : result.report.rounds) {
    if (!std::exchange(first, false)) j.raw(",");
    j.raw("{");
    bool first_field = true;
    round_fields(run.algorithm, r, [&](std::string_view name, const auto& v) {
      j.key(name, std::exchange(first_field, false));
      j.value(v);
    });
    j.raw("}");
  }
  j.raw("]}");
}

Json head_json(const ScenarioPoint& point, const VmTag* tag, std::int64_t replicate,
               const std::vector<Metric>& metrics) {
  Json record = Json::object();
  std::string last;
  head_fields(
      point, replicate, [&](std::string_view k) { last = k; },
      [&](const Json& v) { record[last] = v; }, [&] { record["point"] = point_json(point); });
  if (tag) {
    record["record"] = "vm";
    record["vm_index"] = tag->index;
    record["vm_name"] = *tag->name;
  }
  Json m = Json::object();
  for (const auto& metric : metrics) m[std::string(metric.name)] = metric_json(metric.value);
  record["metrics"] = std::move(m);
  return record;
}

Json full_json(const ScenarioPoint& point, const VmTag* tag, std::int64_t replicate,
               const RunResult& result) {
  const ScenarioPoint& run = run_point_of(point, tag);
  Json record = head_json(point, tag, replicate, result.metrics);
  Json metrics = std::move(record["metrics"]);
  record.erase("metrics");
  record["scenario"] = run.resolved();
  record["metrics"] = std::move(metrics);
  Json& facts = record["workload"] = Json::object();
  for (const auto& [name, value] : result.facts) facts[name] = value;
  Json& rounds = record["rounds"] = Json::array();
  for (const auto& r : result.report.rounds) {
    Json entry = Json::object();
    round_fields(run.algorithm, r,
                 [&](std::string_view name, const auto& v) { entry[std::string(name)] = v; });
    rounds.push_back(std::move(entry));
  }
  return record;
}

// The batch record: its head, the whole scenario, the batch metrics and the bytes per link.
Json batch_json(const ScenarioPoint& point, std::int64_t replicate, const PointResult& result,
                bool full) {
  Json record = head_json(point, nullptr, replicate, result.batch_metrics);
  Json metrics = std::move(record["metrics"]);
  record.erase("metrics");
  record["record"] = "batch";
  if (full) record["scenario"] = point.resolved();
  record["metrics"] = std::move(metrics);
  if (full) {
    Json links = Json::array();
    for (const auto& l : result.links) links.push_back({{"name", l.name}, {"bytes", l.bytes}});
    record["links"] = std::move(links);
  }
  return record;
}

std::vector<VmTag> tags(const ScenarioPoint& point) {
  std::vector<VmTag> out;
  for (std::size_t i = 0; i < point.vms.size(); ++i)
    out.push_back({&point.vms[i], i, &point.vm_names[i]});
  return out;
}

}  // namespace

void append_record_line(const ScenarioPoint& point, std::int64_t replicate, const RunResult& result,
                        std::string& out) {
  write_record(point, nullptr, replicate, result, out);
}

Json record_head(const ScenarioPoint& point, std::int64_t replicate, const RunResult& result) {
  return head_json(point, nullptr, replicate, result.metrics);
}

Json record_json(const ScenarioPoint& point, std::int64_t replicate, const RunResult& result) {
  return full_json(point, nullptr, replicate, result);
}

void append_point_lines(const ScenarioPoint& point, std::int64_t replicate,
                        const PointResult& result, std::string& out) {
  if (!point.is_batch()) {
    write_record(point, nullptr, replicate, result.vms.front(), out);
    out += '\n';
    return;
  }
  const std::vector<VmTag> vm_tags = tags(point);
  for (std::size_t i = 0; i < vm_tags.size(); ++i) {
    write_record(point, &vm_tags[i], replicate, result.vms[i], out);
    out += '\n';
  }
  // The batch record is small: written through the JSON tree.
  out += batch_json(point, replicate, result, true).dump();
  out += '\n';
}

std::vector<Json> point_records(const ScenarioPoint& point, std::int64_t replicate,
                                const PointResult& result) {
  if (!point.is_batch()) return {full_json(point, nullptr, replicate, result.vms.front())};
  std::vector<Json> out;
  const std::vector<VmTag> vm_tags = tags(point);
  for (std::size_t i = 0; i < vm_tags.size(); ++i)
    out.push_back(full_json(point, &vm_tags[i], replicate, result.vms[i]));
  out.push_back(batch_json(point, replicate, result, true));
  return out;
}

std::vector<Json> point_heads(const ScenarioPoint& point, std::int64_t replicate,
                              const PointResult& result) {
  if (!point.is_batch()) return {head_json(point, nullptr, replicate, result.vms.front().metrics)};
  std::vector<Json> out;
  const std::vector<VmTag> vm_tags = tags(point);
  for (std::size_t i = 0; i < vm_tags.size(); ++i)
    out.push_back(head_json(point, &vm_tags[i], replicate, result.vms[i].metrics));
  out.push_back(batch_json(point, replicate, result, false));
  return out;
}

Json run_point(const ScenarioPoint& point, std::int64_t replicate) {
  return record_json(point, replicate, simulate(point, replicate));
}

}  // namespace migsim::scenarios

namespace migsim::scenarios {

std::shared_ptr<const workloads::Trace> synthesize_trace(const ScenarioPoint& point,
                                                         std::int64_t replicate,
                                                         sim::Duration interval,
                                                         std::uint64_t frames) {
  if (point.is_batch())
    throw std::invalid_argument("a scenario with a `vms:` list has several guests; synthesize one");
  vm::GuestMemory memory(point.vm, static_cast<std::uint64_t>(point.seed),
                         static_cast<std::uint64_t>(replicate));
  std::unique_ptr<vm::GuestActivity> activity = make_activity(point, memory, replicate);
  workloads::TraceHeader h;
  h.page_size = static_cast<std::uint64_t>(memory.page_size().count());
  h.pages = memory.pages();
  h.interval_ns = interval.count_ns();
  h.source = "migsim trace synth " + point.file + " (point " + std::to_string(point.index) +
             ", seed " + std::to_string(point.seed) + ", replicate " + std::to_string(replicate) +
             ", workload " + point.workload_type + ")";
  workloads::TraceBuilder b(h);
  memory.clear_log();
  std::vector<workloads::PageRun> runs;
  for (std::uint64_t k = 0; k < frames; ++k) {
    activity->advance(interval * static_cast<std::int64_t>(k),
                      interval * static_cast<std::int64_t>(k + 1), memory);
    runs.clear();
    for (std::uint64_t w = 0; w < memory.word_count(); ++w) {
      std::uint64_t bits = memory.peek(w);
      while (bits != 0) {
        const unsigned lo = static_cast<unsigned>(std::countr_zero(bits));
        const unsigned len = static_cast<unsigned>(std::countr_one(bits >> lo));
        const std::uint64_t first = w * 64 + lo;
        if (!runs.empty() && runs.back().first + runs.back().count == first)
          runs.back().count += len;
        else
          runs.push_back({first, len});
        bits = len + lo >= 64 ? 0 : bits & ~(((std::uint64_t{1} << len) - 1) << lo);
      }
    }
    memory.clear_log();
    b.add_frame(runs);
  }
  return b.finish();
}

}  // namespace migsim::scenarios
