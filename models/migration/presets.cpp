#include "models/migration/presets.h"

#include <stdexcept>
#include <string>

namespace migsim::migration {

const std::vector<MigrationPreset>& migration_presets() {
  using sim::BitRate;
  static const std::vector<MigrationPreset> presets = {
      // Xen 3.x-4.5 xc_domain_save.c: int batch count (4 B) + 8 B pfn_type per page (L1377,
      // L1386); DEF_MAX_ITERS 29, sent+skipped < 50, DEF_MAX_FACTOR 3; to_skip from a PEEK;
      // every iteration walks pfn 0..p2m_size.
      {"xen-legacy", StreamFormat{8, 4, 1024, false, 9},
       StopRules{29, 50, 3.0, Duration{}, Duration{}}, true, true, BitRate{}},
      // Xen 4.6+ xc_sr_save.c: rhdr (8 B) + page-data header (8 B) per record, 8 B pfn per page
      // (xg_sr_stream_format.h); max_iterations 5, continue while dirty_count > 50.
      {"xen-v2", StreamFormat{8, 16, 1024, false, 9}, StopRules{5, 51, 0.0, Duration{}, Duration{}},
       false, true, BitRate{}},
      // QEMU ram.c: be64 offset|flags per page, zero page 8 + 1 B, 8 B EOS per iterate call;
      // migration/options.c: downtime-limit 300 ms, max-bandwidth 128 MiB/s, no round cap
      // (max_time 3600 s stands in for virsh --timeout); find_dirty_block resumes its scan.
      {"qemu", StreamFormat{8, 8, 1024, true, 9},
       StopRules{0, 0, 0.0, Duration::ms(300), Duration::s(3600)}, false, false,
       BitRate::bytes_per_second(std::int64_t{128} << 20)},
  };
  return presets;
}

const MigrationPreset& migration_preset(std::string_view hypervisor) {
  for (const auto& p : migration_presets())
    if (p.hypervisor == hypervisor) return p;
  throw std::invalid_argument("no migration preset for hypervisor " + std::string(hypervisor));
}

}  // namespace migsim::migration
