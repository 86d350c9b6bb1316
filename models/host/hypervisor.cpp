#include "models/host/hypervisor.h"

namespace migsim::host {

Duration HostParams::log_fetch_time(Bytes memory) const {
  const __int128 extra = static_cast<__int128>(log_fetch_per_gib.count_ns()) * memory.count() /
                         (std::int64_t{1} << 30);
  return log_fetch_base + Duration::ns(static_cast<std::int64_t>(extra));
}

const sim::Registry<HypervisorPreset>& hypervisor_presets() {
  // Suspend/resume times, state size and log-fetch costs are estimates, not measurements:
  // Clark et al. 2005 report 9-40 ms restart; a fetch pauses the domain and copies a bitmap of
  // 32 KiB per GiB (10 us/GiB is ~3 GB/s). Stop rules and framing live with the algorithms.
  static const sim::Registry<HypervisorPreset> presets{
      {"xen-legacy",
       "Xen 3.x-4.5 xc_domain_save: 29 live rounds, sent+skipped < 50, 3x memory, PEEK-based skip",
       HostParams{Duration::ms(10), Duration::ms(20), Bytes{256 * 1024}, Duration::us(20),
                  Duration::us(10), true}},
      {"xen-v2",
       "Xen 4.6+ migration v2 (xg_sr_save): at most 5 live sends, stop at <= 50 dirty pages",
       HostParams{Duration::ms(10), Duration::ms(20), Bytes{256 * 1024}, Duration::us(20),
                  Duration::us(10), true}},
      {"qemu",
       "QEMU/KVM precopy: switch over when remaining <= bandwidth x downtime-limit (300 ms)",
       HostParams{Duration::ms(1), Duration::ms(10), Bytes{256 * 1024}, Duration::us(20),
                  Duration::us(10), false}},
  };
  return presets;
}

}  // namespace migsim::host
