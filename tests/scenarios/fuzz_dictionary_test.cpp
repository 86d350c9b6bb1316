// The fuzz dictionary lists every key a scenario may hold, so the fuzzer reaches new parameters
// as soon as they are declared (an algorithm added later fails this test until it is listed).
#include <catch2/catch.hpp>
#include <set>

#include "models/migration/algorithm.h"
#include "tests/support.h"
#include "workloads/workload.h"

using namespace migsim;

TEST_CASE("the fuzz dictionary names every declared scenario key", "[fuzz]") {
  const std::string dict = test::read_file(std::string(MIGSIM_SOURCE_DIR) + "/fuzz/scenario.dict");
  REQUIRE_FALSE(dict.empty());
  std::set<std::string> keys(scenarios::kTopLevelKeys.begin(), scenarios::kTopLevelKeys.end());
  const auto add = [&](const sim::ParamDecl& d) { keys.insert(std::string(d.name)); };
  vm::VmParams vm;
  sim::for_each_param(vm, add);
  net::LinkParams link;
  sim::for_each_param(link, add);
  net::TcpParams tcp;
  sim::for_each_param(tcp, add);
  net::ConnectionParams connection;
  sim::for_each_param(connection, add);
  for (const char* k : {"hosts", "switches", "links", "between", "from", "to"}) keys.insert(k);
  keys.insert(scenarios::kVmItemKeys.begin(), scenarios::kVmItemKeys.end());
  scenarios::ScheduleParams schedule;
  sim::for_each_param(schedule, add);
  scenarios::CrossTrafficParams cross;
  sim::for_each_param(cross, add);
  for (auto name : net::link_presets().names()) keys.insert(std::string(name));
  host::HostParams h;
  sim::for_each_param(h, add);
  for (const auto& w : workloads::workloads().entries()) {
    sim::for_each_param(*w.make_params(), add);
    keys.insert(std::string(w.name));
  }
  for (const auto& a : migration::algorithms().entries()) {
    keys.insert(std::string(a.name));
    for (auto hv : host::hypervisor_presets().names()) {
      sim::for_each_param(*a.make_params(hv), add);
      keys.insert(std::string(hv));
    }
  }
  for (const auto& k : keys) {
    INFO(k);
    CHECK_THAT(dict, Catch::Contains("\"" + k + "\""));
  }
}
