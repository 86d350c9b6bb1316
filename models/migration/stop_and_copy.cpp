// Stop-and-copy: suspend the guest, send every page and the device state, resume at the
// destination. The baseline every live algorithm is measured against (Clark et al. 2005 §3).
#include "models/migration/algorithm.h"
#include "models/migration/presets.h"

namespace migsim::migration {
namespace {

struct StopAndCopyParams {
  StreamFormat format;
  template <class V>
  void visit(V& v) {
    format.visit(v);
  }
  static StopAndCopyParams for_hypervisor(std::string_view hypervisor) {
    return StopAndCopyParams{migration_preset(hypervisor).format};
  }
};

class StopAndCopy final : public Algorithm {
 public:
  explicit StopAndCopy(const StopAndCopyParams& p) : p_(p) {}

  sim::Process run(MigrationContext& ctx, MigrationReport& report) override {
    MigrationSession s(ctx, p_.format, report);
    co_await s.suspend();
    s.mark_all_pending();  // the guest is already stopped: no logging
    report.stop_reason = StopReason::kStopAndCopy;
    co_await s.final_copy(/*fetch_log=*/false);
    co_await s.transfer_state_and_resume();
    s.finish();
  }

 private:
  StopAndCopyParams p_;
};

}  // namespace

void register_stop_and_copy(AlgorithmRegistry& registry) {
  registry.add(make_algorithm_entry<StopAndCopyParams, StopAndCopy>(
      "stop_and_copy", "suspend the guest, copy all memory and state, resume at the destination",
      "Clark et al. 2005, section 3 (the baseline)", &StopAndCopyParams::for_hypervisor));
}

}  // namespace migsim::migration
