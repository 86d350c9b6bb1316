// A block storage device that several parties read from at once: a NAS over its own network
// path (Jo & Egger's shared storage) or a local disk. The guest's own disk I/O, the source and
// the destination share it:
//   - bytes pass through one pipe of `bandwidth` (the NAS's network path or the device), first
//     come first served;
//   - each request also takes one of `iops` slots per second (the device's request rate);
//   - each request then pays `latency` (network round trip plus device service time);
//   - at most `queue_depth` requests are outstanding at once; more wait for a free slot.
// The guest's own I/O is a steady load (the workload's average read and write rates) that the
// device serves first: what migration reads get is the bandwidth and request rate left over.
#pragma once

#include <cstdint>
#include <string_view>

#include "sim/limits.h"
#include "sim/params.h"
#include "sim/registry.h"
#include "sim/simulation.h"
#include "sim/units.h"

namespace migsim::storage {

using sim::BitRate;
using sim::Bytes;
using sim::Duration;

struct StorageParams {
  BitRate bandwidth = BitRate::bits_per_second(1000000000);
  Duration latency = Duration::us(500);
  double iops = 20000.0;
  std::int64_t queue_depth = 32;
  Bytes max_request = Bytes{256 * 1024};

  template <class V>
  void visit(V& v) {
    v(sim::param("bandwidth", bandwidth,
                 "throughput of the device and its network path (a NAS on Gigabit: its NIC)")
          .at_least(sim::limits::kMinLinkRate)
          .at_most(sim::limits::kMaxLinkRate));
    v(sim::param("latency", latency, "per request: network round trip plus device service time")
          .at_least(Duration{})
          .at_most(Duration::s(10)));
    v(sim::param("iops", iops, "requests per second the device serves").at_least(1.0).at_most(1e9));
    v(sim::param("queue_depth", queue_depth, "requests outstanding at once; more wait")
          .at_least(1)
          .at_most(65536));
    v(sim::param("max_request", max_request,
                 "largest read request: consecutive blocks merge up to this size (NFS rsize)")
          .at_least(Bytes{4096})
          .at_most(Bytes{std::int64_t{64} << 20}));
  }
};

struct StoragePreset {
  std::string_view name;
  std::string_view help;
  StorageParams defaults;
};
const sim::Registry<StoragePreset>& storage_presets();

// The steady I/O the guest itself does (a workload's average).
struct DiskLoad {
  double bytes_per_s = 0.0;
  double requests_per_s = 0.0;
};

class Storage {
 public:
  Storage(sim::Simulation& sim, const StorageParams& params);
  // The guest's own I/O: served before migration reads (what is left is the rest).
  void set_guest_load(const DiskLoad& load);
  // Awaitable: one read request of `bytes`; resumes the caller when its data has arrived.
  // Callers keep at most queue_depth() requests outstanding between them (the device's queue).
  sim::Simulation::Sleep read(Bytes bytes);
  std::int64_t queue_depth() const { return params_.queue_depth; }
  Bytes max_request() const { return params_.max_request; }

 private:
  sim::Simulation& sim_;
  StorageParams params_;
  double spare_bps_;
  double spare_iops_;
  Duration pipe_busy_{};
  Duration ops_busy_{};
};

}  // namespace migsim::storage
