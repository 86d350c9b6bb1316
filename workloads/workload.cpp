#include "workloads/workload.h"

#include <cmath>

namespace migsim::workloads {

const WorkloadRegistry& workloads() {
  static const WorkloadRegistry registry = [] {
    WorkloadRegistry r;
    register_idle(r);
    register_sequential(r);
    register_uniform(r);
    register_hotcold(r);
    register_memtester(r);
    register_read_heavy(r);
    register_desktop(r);
    register_trace(r);
    return r;
  }();
  return registry;
}

Region::Pages Region::resolve(const WorkloadContext& ctx) const {
  const std::int64_t page = ctx.page_size.count();
  const std::int64_t memory = page * static_cast<std::int64_t>(ctx.pages);
  if (offset.count() % page != 0)
    throw sim::ParamError("offset", "offset " + sim::format_bytes(offset) +
                                        " is not a multiple of the page size " +
                                        sim::format_bytes(ctx.page_size));
  if (offset.count() >= memory)
    throw sim::ParamError("offset", "offset " + sim::format_bytes(offset) +
                                        " is beyond guest memory (" +
                                        sim::format_bytes(Bytes{memory}) + ")");
  const std::int64_t sz = size.count() == 0 ? memory - offset.count() : size.count();
  if (sz % page != 0)
    throw sim::ParamError(
        "size", "size " + sim::format_bytes(Bytes{sz}) + " is not a whole number of pages");
  if (sz > memory - offset.count())  // offset < memory: no overflow
    throw sim::ParamError(
        "size", "region " + sim::format_bytes(offset) + " + " + sim::format_bytes(Bytes{sz}) +
                    " extends past guest memory (" + sim::format_bytes(Bytes{memory}) + ")");
  return Pages{static_cast<std::uint64_t>(offset.count() / page),
               static_cast<std::uint64_t>(sz / page)};
}

}  // namespace migsim::workloads
