#include "scenarios/schema.h"

#include "models/migration/algorithm.h"
#include "sim/overload.h"
#include "workloads/disk_io.h"
#include "workloads/workload.h"

namespace migsim::scenarios {
namespace {

Json scalar_json(const sim::ParamScalar& v) {
  return std::visit(sim::Overload{
                        [](double d) { return Json(d); },
                        [](std::int64_t i) { return Json(i); },
                        [](bool b) { return Json(b); },
                        [](const std::string& s) { return Json(s); },
                        [&](const auto&) { return Json(nullptr); },
                    },
                    v);
}

Json param_schema(const sim::ParamDecl& d) {
  Json j = Json::object();
  j["description"] = std::string(d.help) + " (" + d.allowed() + ")";
  std::visit(
      sim::Overload{
          [&](sim::Bytes*) { j["type"] = "string", j["pattern"] = sim::bytes_pattern(); },
          [&](sim::Duration*) { j["type"] = "string", j["pattern"] = sim::duration_pattern(); },
          [&](sim::BitRate*) { j["type"] = "string", j["pattern"] = sim::bit_rate_pattern(); },
          [&](sim::Rate*) { j["type"] = "string", j["pattern"] = sim::rate_pattern(); },
          [&](double*) { j["type"] = "number"; },
          [&](std::int64_t*) { j["type"] = "integer"; },
          [&](bool*) { j["type"] = "boolean"; },
          [&](std::string*) { j["type"] = "string"; },
      },
      d.value);
  const bool numeric = j["type"] == "number" || j["type"] == "integer";
  if (numeric && d.min) j[d.min_exclusive ? "exclusiveMinimum" : "minimum"] = scalar_json(*d.min);
  if (numeric && d.max) j["maximum"] = scalar_json(*d.max);
  if (!d.choices.empty()) {
    Json e = Json::array();
    for (auto c : d.choices) e.push_back(std::string(c));
    j["enum"] = e;
  }
  j["default"] = std::visit(sim::Overload{
                                [](double* v) { return Json(*v); },
                                [](std::int64_t* v) { return Json(*v); },
                                [](bool* v) { return Json(*v); },
                                [](std::string* v) { return Json(*v); },
                                [&](auto*) { return Json(d.text()); },
                            },
                            d.value);
  return j;
}

Json enum_of(const std::vector<std::string_view>& words) {
  Json e = Json::array();
  for (auto w : words) e.push_back(std::string(w));
  return Json{{"type", "string"}, {"enum", e}};
}

// An object whose properties are `selector` plus the declared parameters of `params`.
template <class T>
Json section(T& params, const std::string& selector = {}, Json selector_schema = {}) {
  Json props = Json::object();
  if (!selector.empty()) props[selector] = std::move(selector_schema);
  sim::for_each_param(
      params, [&](const sim::ParamDecl& d) { props[std::string(d.name)] = param_schema(d); });
  return Json{{"type", "object"}, {"properties", props}, {"additionalProperties", false}};
}

// One branch per choice of the selector, each with that choice's own parameters.
template <class Entries, class MakeParams>
Json tagged(const std::string& selector, const Entries& entries, MakeParams make_params) {
  Json branches = Json::array();
  std::vector<std::string_view> names;
  for (const auto& e : entries) names.push_back(e.name);
  for (const auto& e : entries) {
    auto params = make_params(e);
    Json b = section(*params, selector, Json{{"const", std::string(e.name)}});
    b["required"] = Json::array({selector});
    b["description"] = std::string(e.help);
    branches.push_back(b);
  }
  return Json{{"type", "object"}, {"required", Json::array({selector})}, {"oneOf", branches}};
}

}  // namespace

Json scenario_schema() {
  vm::VmParams vm;
  net::LinkParams link;
  host::HostParams host;
  Json props = Json::object();
  props["name"] = Json{{"type", "string"}};
  props["description"] = Json{{"type", "string"}};
  props["figures"] = Json{{"type", "array"},
                          {"items", Json{{"type", "object"}}},
                          {"description", "figure specs for migsim plot (analysis/plot.py)"}};
  props["seed"] = Json{{"type", "integer"}, {"minimum", 0}, {"default", 1}};
  props["replications"] =
      Json{{"type", "integer"}, {"minimum", 1}, {"maximum", 1000000000000}, {"default", 1}};
  props["vm"] = section(vm);
  props["link"] = section(link, "preset", enum_of(net::link_presets().names()));
  props["link"]["description"] =
      "one full-duplex link from the source to the destination (the one-link topology)";
  {
    net::TcpParams tcp;
    props["tcp"] = section(tcp);
    props["tcp"]["description"] =
        "every TCP connection: slow start, window (socket buffer) and the loss-limited rate";
    const Json names =
        Json{{"type", "array"}, {"items", Json{{"type", "string"}, {"minLength", 1}}}};
    Json one = section(link, "preset", enum_of(net::link_presets().names()));
    one["properties"]["between"] = Json{{"type", "array"},
                                        {"items", Json{{"type", "string"}, {"minLength", 1}}},
                                        {"minItems", 2},
                                        {"maxItems", 2}};
    one["required"] = Json::array({"between"});
    Json hosts = names;
    hosts["minItems"] = 2;
    Json links = Json{{"type", "array"}, {"items", one}, {"minItems", 1}};
    props["topology"] =
        Json{{"type", "object"},
             {"description",
              "hosts and switches joined by full-duplex links (instead of link); routes are "
              "shortest paths by latency, and flows share links max-min fairly"},
             {"properties", Json{{"hosts", hosts}, {"switches", names}, {"links", links}}},
             {"required", Json::array({"hosts", "links"})},
             {"additionalProperties", false}};
    props["source"] = Json{{"type", "string"},
                           {"description", "the topology host the VM leaves (default: the first)"}};
    props["destination"] =
        Json{{"type", "string"},
             {"description", "the topology host the VM goes to (default: the second)"}};
  }
  storage::StorageParams storage;
  props["storage"] = section(storage, "preset", enum_of(storage::storage_presets().names()));
  props["storage"]["description"] =
      "the VM's shared storage (NAS) or local disk: guest disk I/O and storage_assisted loads";
  props["host"] = section(host, "hypervisor", enum_of(host::hypervisor_presets().names()));
  props["host"]["required"] = Json::array({"hypervisor"});
  props["workload"] = tagged("type", workloads::workloads().entries(),
                             [](const auto& e) { return e.make_params(); });
  props["background"] = tagged("type", workloads::workloads().entries(),
                               [](const auto& e) { return e.make_params(); });
  // Under any workload type, `disk:` adds disk I/O through the page cache.
  {
    workloads::DiskIoParams disk;
    Json block = section(disk);
    block["description"] =
        "disk I/O through the page cache, carried by any workload: reads make on-storage "
        "pages, writes change pages and write them back";
    for (const char* k : {"workload", "background"})
      for (Json& branch : props[k]["oneOf"]) branch["properties"]["disk"] = block;
  }
  props["background"]["description"] =
      "a second workload running alongside (the guest OS's own writes, a co-located job)";
  // Algorithm defaults depend on host.hypervisor; the schema shows the xen-legacy ones.
  props["migration"] = tagged("algorithm", migration::algorithms().entries(),
                              [](const auto& e) { return e.make_params("xen-legacy"); });
  // Under any algorithm, a block named after an algorithm holds that algorithm's parameters.
  for (Json& branch : props["migration"]["oneOf"])
    for (const auto& e : migration::algorithms().entries()) {
      auto params = e.make_params("xen-legacy");
      Json block = section(*params);
      block["description"] =
          "parameters used only when migration.algorithm is " + std::string(e.name);
      branch["properties"][std::string(e.name)] = block;
    }
  // Under any algorithm, migration.compression encodes the pages sent in full.
  {
    migration::CompressionParams compression;
    Json block = section(compression);
    block["description"] =
        "page compression for every algorithm (codec ratios and speeds measured on liblz4 and "
        "libzstd: bench/codec_calibration.txt)";
    for (Json& branch : props["migration"]["oneOf"]) branch["properties"]["compression"] = block;
  }
  {
    net::ConnectionParams connection;
    const Json declared = section(connection)["properties"];
    for (Json& branch : props["migration"]["oneOf"])
      for (const char* k : {"streams", "packet_pages"}) branch["properties"][k] = declared[k];
  }
  // Several migrations: each item of vms replaces the top-level sections it names.
  {
    Json item_props = Json::object();
    for (std::string_view k : kVmItemKeys)
      if (props.contains(std::string(k))) item_props[std::string(k)] = props[std::string(k)];
    item_props["name"] = Json{{"type", "string"}, {"description", "a label for the VM's records"}};
    item_props["count"] = Json{{"type", "integer"},
                               {"minimum", 1},
                               {"maximum", kMaxVms},
                               {"description", "identical VMs this item stands for (default 1)"}};
    props["vms"] = Json{
        {"type", "array"},
        {"minItems", 1},
        {"description",
         "several migrations in one simulation; each item's sections replace the top-level "
         "ones of the same name, and writes its own record (vm_index), plus a batch record"},
        {"items",
         Json{{"type", "object"}, {"properties", item_props}, {"additionalProperties", false}}}};
    ScheduleParams schedule;
    props["schedule"] = section(schedule);
    props["schedule"]["description"] = "how the VMs of vms start: at most max_concurrent at once";
    CrossTrafficParams cross;
    Json transfer = section(cross);
    transfer["properties"]["from"] =
        Json{{"type", "string"}, {"description", "the sending host (default: the first)"}};
    transfer["properties"]["to"] =
        Json{{"type", "string"}, {"description", "the receiving host (default: the second)"}};
    props["cross_traffic"] =
        Json{{"type", "array"},
             {"description", "TCP transfers sharing the links with the migrations"},
             {"items", transfer}};
  }
  props["sweep"] = Json{{"type", "object"},
                        {"description",
                         "section.key (vm.memory, migration.algorithm, ...), vms[i].section.key or "
                         "cross_traffic[i].key -> list of values"},
                        {"additionalProperties", Json{{"type", "array"}, {"minItems", 1}}}};
  return Json{{"$schema", "https://json-schema.org/draft/2020-12/schema"},
              {"title", "migsim scenario"},
              {"type", "object"},
              {"properties", props},
              {"anyOf", Json::array({Json{{"required", {"workload", "host", "migration"}}},
                                     Json{{"required", {"vms"}}}})},
              {"additionalProperties", false}};
}

}  // namespace migsim::scenarios
