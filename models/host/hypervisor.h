// Hypervisor host costs around a migration, with one preset per implementation family.
// The migration algorithms take their stop rules and stream framing from the same preset name
// (see models/migration/pre_copy.cpp); this file holds what belongs to the host itself.
// Constants marked "estimate" are not from source code and should be calibrated on a testbed.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sim/params.h"
#include "sim/registry.h"
#include "sim/units.h"

namespace migsim::host {

using sim::Bytes;
using sim::Duration;

struct HostParams {
  Duration suspend_time = Duration::ms(10);
  Duration resume_time = Duration::ms(20);
  Bytes state_size = Bytes{256 * 1024};
  Duration log_fetch_base = Duration::us(20);
  Duration log_fetch_per_gib = Duration::us(10);
  bool log_fetch_pauses_guest = true;
  std::int64_t migration_cores = 1;

  template <class V>
  void visit(V& v) {
    v(sim::param("suspend_time", suspend_time,
                 "source: from the decision to stop until the guest is paused (downtime starts "
                 "at the decision)")
          .at_least(Duration{})
          .at_most(Duration::s(3600)));
    v(sim::param("resume_time", resume_time,
                 "destination: from the last byte received until the guest runs")
          .at_least(Duration{})
          .at_most(Duration::s(3600)));
    v(sim::param("state_size", state_size, "vCPU and device state sent while the guest is stopped")
          .at_least(Bytes{0})
          .at_most(Bytes{std::int64_t{1} << 40}));
    v(sim::param("log_fetch_base", log_fetch_base,
                 "fixed cost of one dirty-log fetch (Xen CLEAN/PEEK hypercall, KVM_GET_DIRTY_LOG)")
          .at_least(Duration{})
          .at_most(Duration::s(1)));
    v(sim::param("log_fetch_per_gib", log_fetch_per_gib,
                 "extra cost of one dirty-log fetch per GiB of guest memory (bitmap copy, "
                 "re-protection)")
          .at_least(Duration{})
          .at_most(Duration::s(1)));
    v(sim::param("log_fetch_pauses_guest", log_fetch_pauses_guest,
                 "the guest is paused during a dirty-log fetch (Xen paging_log_dirty_op calls "
                 "domain_pause; KVM does not stop vCPUs)"));
    v(sim::param("migration_cores", migration_cores,
                 "CPU cores each host gives the migration for compressing, decompressing and "
                 "hashing pages (the same number at source and destination)")
          .at_least(1)
          .at_most(1024));
  }

  // Duration of one dirty-log fetch for a guest of `memory` bytes.
  Duration log_fetch_time(Bytes memory) const;
};

struct HypervisorPreset {
  std::string_view name;
  std::string_view help;
  HostParams defaults;
};

const sim::Registry<HypervisorPreset>& hypervisor_presets();

}  // namespace migsim::host
