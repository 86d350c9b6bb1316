// Each hypervisor's defaults for the migration algorithms, in one table: stream framing, stop
// rules and pre-copy behaviour, with the source lines they come from. Algorithms take their
// per-hypervisor defaults from here (no hypervisor names inside an algorithm file); `migsim list`
// and the schema show them per hypervisor.
#pragma once

#include <string_view>
#include <vector>

#include "models/migration/stop_rules.h"
#include "models/migration/stream.h"
#include "sim/units.h"

namespace migsim::migration {

struct MigrationPreset {
  std::string_view hypervisor;
  StreamFormat format;
  StopRules stop;
  bool skip_redirtied;         // PEEK before each batch and skip re-dirtied pages (Xen legacy)
  bool rescan_each_pass;       // a fresh pass starts at page 0 (Xen) or resumes (QEMU)
  sim::BitRate max_bandwidth;  // live-round rate cap; 0 = the link
};

// Every preset, in the order of host::hypervisor_presets().
const std::vector<MigrationPreset>& migration_presets();
// Throws std::invalid_argument for a hypervisor without a preset.
const MigrationPreset& migration_preset(std::string_view hypervisor);

}  // namespace migsim::migration
