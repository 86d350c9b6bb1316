#include "scenarios/run.h"

#include <algorithm>
#include <cassert>
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

std::unique_ptr<net::Channel> connect(const ScenarioPoint& point, net::Network& network) {
  net::Channel::Route forward, back;
  if (point.topology) {
    const net::Topology topology(*point.topology);
    topology.build(network);
    for (const auto& hop : topology.route(point.source, point.destination))
      forward.push_back(net::Topology::directed(hop));
    for (const auto& hop : topology.route(point.destination, point.source))
      back.push_back(net::Topology::directed(hop));
  } else {
    forward.push_back(
        network.add_link(point.link.goodput(), point.link.latency, point.link.loss, "link>"));
    back.push_back(
        network.add_link(point.link.goodput(), point.link.latency, point.link.loss, "link<"));
  }
  return std::make_unique<net::Channel>(network, forward, back, point.connection, point.tcp);
}

RunResult simulate(const ScenarioPoint& point, std::int64_t replicate) {
  const auto seed = static_cast<std::uint64_t>(point.seed);
  const auto rep = static_cast<std::uint64_t>(replicate);

  sim::Simulation sim;
  vm::GuestMemory memory(point.vm, seed, rep);
  const workloads::WorkloadContext wctx{memory.pages(), memory.page_size(), seed, rep};
  // A section's workload, with the disk I/O it carries.
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
  vm::Guest guest(memory, *activity);
  net::Network network(sim);
  const std::unique_ptr<net::Channel> channel_owner = connect(point, network);
  net::Channel& channel = *channel_owner;
  storage::Storage shared_storage(sim, point.storage);
  shared_storage.set_guest_load(activity->disk_load());
  migration::MigrationContext ctx{
      sim, guest, channel, point.host, point.compression, &shared_storage, seed, rep};
  auto algorithm = migration::algorithms().find(point.algorithm)->make(*point.migration);

  RunResult result;
  migration::MigrationReport& report = result.report;
  sim.spawn(algorithm->run(ctx, report));
  sim.run();

  result.metrics = migration::measure(point.algorithm, {report, memory, sim.events_processed()});
  result.facts = activity->facts();
  return result;
}

void append_record_line(const ScenarioPoint& point, std::int64_t replicate, const RunResult& result,
                        std::string& out) {
  JsonText j(out);
  j.raw("{");
  j.key("migsim_version", true);
  j.value(kVersion);
  j.key("scenario_file");
  j.value(point.file);
  j.key("scenario_name");
  j.value(point.name);
  j.key("point_index");
  j.value(point.index);
  j.key("point");
  j.raw("{");
  bool first = true;
  for (const auto& [path, value] : point.sweep_values) {
    j.escaped_key(path, std::exchange(first, false));
    j.value(value);
  }
  j.raw("}");
  j.key("replicate");
  j.value(replicate);
  j.key("seed");
  j.value(point.seed);
  j.key("scenario");
  // The cache is made when the point is expanded; a point changed afterwards must clear it.
  assert(point.resolved_json.empty() || point.resolved_json == point.resolved().dump());
  if (point.resolved_json.empty())
    j.raw(point.resolved().dump());
  else
    j.raw(point.resolved_json);
  j.key("metrics");
  j.raw("{");
  first = true;
  for (const auto& m : result.metrics) {
    j.key(m.name, std::exchange(first, false));
    std::visit(
        [&](const auto& x) {
          if constexpr (std::is_same_v<std::decay_t<decltype(x)>, std::string_view>)
            j.value(std::string(x));
          else
            j.value(x);
        },
        m.value);
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
    round_fields(point.algorithm, r, [&](std::string_view name, const auto& v) {
      j.key(name, std::exchange(first_field, false));
      j.value(v);
    });
    j.raw("}");
  }
  j.raw("]}");
}

Json record_head(const ScenarioPoint& point, std::int64_t replicate, const RunResult& result) {
  Json metrics = Json::object();
  for (const auto& m : result.metrics) metrics[std::string(m.name)] = metric_json(m.value);
  return Json{
      {"migsim_version", kVersion}, {"scenario_file", point.file},   {"scenario_name", point.name},
      {"point_index", point.index}, {"point", point_json(point)},    {"replicate", replicate},
      {"seed", point.seed},         {"metrics", std::move(metrics)},
  };
}

Json record_json(const ScenarioPoint& point, std::int64_t replicate, const RunResult& result) {
  Json record = record_head(point, replicate, result);
  Json metrics = std::move(record["metrics"]);
  record.erase("metrics");
  record["scenario"] = point.resolved();
  record["metrics"] = std::move(metrics);
  Json& facts = record["workload"] = Json::object();
  for (const auto& [name, value] : result.facts) facts[name] = value;
  Json& rounds = record["rounds"] = Json::array();
  for (const auto& r : result.report.rounds) {
    Json entry = Json::object();
    round_fields(point.algorithm, r,
                 [&](std::string_view name, const auto& v) { entry[std::string(name)] = v; });
    rounds.push_back(std::move(entry));
  }
  return record;
}

Json run_point(const ScenarioPoint& point, std::int64_t replicate) {
  return record_json(point, replicate, simulate(point, replicate));
}

}  // namespace migsim::scenarios
