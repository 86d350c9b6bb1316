// An idle guest: writes nothing. Migration cost is memory / goodput plus fixed costs.
#include "workloads/workload.h"

namespace migsim::workloads {
namespace {

struct IdleParams {
  template <class V>
  void visit(V&) {}
};

class Idle final : public vm::GuestActivity {
 public:
  Idle(const IdleParams&, const WorkloadContext&) {}
  void advance(Duration, Duration, vm::GuestMemory&) override {}
  std::optional<vm::Miss> next_miss(Duration, const vm::GuestMemory&) override {
    return std::nullopt;  // it touches nothing, so it never faults
  }
};

}  // namespace

void register_idle(WorkloadRegistry& r) {
  r.add(make_entry<IdleParams, Idle>("idle", "the guest touches no memory"));
}

}  // namespace migsim::workloads
