#include "models/storage/storage.h"

#include <algorithm>
#include <cmath>

namespace migsim::storage {

const sim::Registry<StoragePreset>& storage_presets() {
  // Estimates, not measurements: a NAS reached over its own Gigabit path (NFS: about 0.5 ms per
  // request with the device, 1 MiB rsize capped here at 256 KiB) and a local SATA SSD.
  static const sim::Registry<StoragePreset> presets{
      {"nas",
       "network-attached storage on its own Gigabit path: 1 Gbit/s, 0.5 ms per request, "
       "20000 IOPS, queue depth 32 (estimates)",
       StorageParams{BitRate::bits_per_second(1000000000), Duration::us(500), 20000.0, 32,
                     Bytes{256 * 1024}}},
      {"nas_10g",
       "network-attached storage on a 10 Gbit/s path: 0.3 ms per request, 100000 "
       "IOPS, queue depth 64 (estimates)",
       StorageParams{BitRate::bits_per_second(10000000000), Duration::us(300), 100000.0, 64,
                     Bytes{1024 * 1024}}},
      {"local_ssd",
       "a local SATA SSD: 4 Gbit/s (500 MB/s), 0.1 ms, 50000 IOPS, queue depth 32 "
       "(estimates)",
       StorageParams{BitRate::bits_per_second(4000000000), Duration::us(100), 50000.0, 32,
                     Bytes{1024 * 1024}}},
  };
  return presets;
}

Storage::Storage(sim::Simulation& sim, const StorageParams& params)
    : sim_(sim),
      params_(params),
      spare_bps_(static_cast<double>(params.bandwidth.bps()) / 8.0),
      spare_iops_(params.iops) {}

void Storage::set_guest_load(const DiskLoad& load) {
  // The guest keeps at least what it asks for up to 90% of the device; migration reads get the
  // rest (never less than a tenth, so a saturated device still makes progress).
  const double bw = static_cast<double>(params_.bandwidth.bps()) / 8.0;
  spare_bps_ = std::max(0.1 * bw, bw - load.bytes_per_s);
  spare_iops_ = std::max(0.1 * params_.iops, params_.iops - load.requests_per_s);
}

sim::Simulation::Sleep Storage::read(Bytes bytes) {
  const Duration now = sim_.now();
  const Duration pipe_start = std::max(now, pipe_busy_);
  pipe_busy_ = pipe_start + Duration::ns(static_cast<std::int64_t>(
                                std::ceil(static_cast<double>(bytes.count()) / spare_bps_ * 1e9)));
  const Duration op_start = std::max(now, ops_busy_);
  ops_busy_ = op_start + Duration::ns(static_cast<std::int64_t>(std::ceil(1e9 / spare_iops_)));
  return sim_.sleep_until(std::max(pipe_busy_, ops_busy_) + params_.latency);
}

}  // namespace migsim::storage
