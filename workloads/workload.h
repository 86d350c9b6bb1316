// Workloads: what the guest does to its memory while it is migrated. Each one is a
// vm::GuestActivity in its own file, registered by the name scenarios use (`workload.type`).
// Their cost follows the distinct pages (or bitmap words) they dirty, never individual writes.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "models/vm/guest.h"
#include "sim/limits.h"
#include "sim/params.h"
#include "sim/random.h"
#include "sim/registry.h"

namespace migsim::workloads {

using sim::Bytes;
using sim::Duration;

struct WorkloadContext {
  std::uint64_t pages = 0;
  Bytes page_size{4096};
  std::uint64_t seed = 0;
  std::uint64_t replicate = 0;
  // The scenario section the workload comes from ("workload" or "background"): it names the
  // random streams, so a background of the same type draws independently of the workload.
  std::string_view section = "workload";
  // The directory of the scenario file: files a workload names (a trace) are relative to it.
  std::string_view base_dir = {};
  // The workload's own random stream, derived from (seed, replicate, "<section>.<name>").
  sim::RandomStream stream(std::string_view name) const {
    std::string full(section);
    full += '.';
    full += name;
    return {seed, replicate, full};
  }
};

struct WorkloadEntry {
  std::string_view name;
  std::string_view help;
  std::function<std::unique_ptr<sim::ParamSet>()> make_params;
  // Throws sim::ParamError when the parameters do not fit the VM.
  std::function<std::unique_ptr<vm::GuestActivity>(const sim::ParamSet&, const WorkloadContext&)>
      make;
};

using WorkloadRegistry = sim::Registry<WorkloadEntry>;
const WorkloadRegistry& workloads();

void register_idle(WorkloadRegistry& r);
void register_sequential(WorkloadRegistry& r);
void register_uniform(WorkloadRegistry& r);
void register_hotcold(WorkloadRegistry& r);
void register_memtester(WorkloadRegistry& r);
void register_read_heavy(WorkloadRegistry& r);
void register_desktop(WorkloadRegistry& r);
void register_trace(WorkloadRegistry& r);

// Registers workload type P (parameters) / W (model, constructed from (P, WorkloadContext)).
template <class P, class W>
WorkloadEntry make_entry(std::string_view name, std::string_view help) {
  return WorkloadEntry{name, help, [] { return std::make_unique<sim::ParamSetOf<P>>(); },
                       [](const sim::ParamSet& params,
                          const WorkloadContext& ctx) -> std::unique_ptr<vm::GuestActivity> {
                         return std::make_unique<W>(
                             dynamic_cast<const sim::ParamSetOf<P>&>(params).value, ctx);
                       }};
}

// A page range of guest memory, declared as `offset` and `size` (0 = to the end of memory).
struct Region {
  Bytes offset{};
  Bytes size{};
  template <class V>
  void visit(V& v) {
    v(sim::param("offset", offset, "where the region starts in guest memory; page-aligned")
          .at_least(Bytes{0})
          .at_most(sim::limits::kMaxMemory));
    v(sim::param("size", size, "region size; 0 = to the end of guest memory")
          .at_least(Bytes{0})
          .at_most(sim::limits::kMaxMemory));
  }
  // First page and page count; throws sim::ParamError if the region does not fit.
  struct Pages {
    std::uint64_t first = 0;
    std::uint64_t count = 0;
  };
  Pages resolve(const WorkloadContext& ctx) const;
};

}  // namespace migsim::workloads
