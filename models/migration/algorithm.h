// A migration algorithm: a simulation process that moves a running guest over a link and fills a
// report. One algorithm per file, registered by the same name the scenario uses
// (`migration.algorithm: pre_copy` -> models/migration/pre_copy.cpp).
#pragma once

#include <functional>
#include <memory>
#include <string_view>

#include "models/migration/report.h"
#include "models/migration/session.h"
#include "sim/params.h"
#include "sim/registry.h"
#include "sim/simulation.h"

namespace migsim::migration {

class Algorithm {
 public:
  virtual ~Algorithm() = default;
  // The migration as a process. `ctx` and `report` outlive it; the report is complete when
  // the process ends (it throws if the destination is not up to date).
  virtual sim::Process run(MigrationContext& ctx, MigrationReport& report) = 0;
};

struct AlgorithmEntry {
  std::string_view name;
  std::string_view help;
  std::string_view source;  // the paper or code it follows
  // The guest runs at the destination before every page is there (needs the staleness record).
  bool resumes_early = false;
  // Default parameters for a hypervisor preset (its stop rules and stream format).
  std::function<std::unique_ptr<sim::ParamSet>(std::string_view hypervisor)> make_params;
  // Builds the algorithm; throws sim::ParamError on inconsistent parameters.
  std::function<std::unique_ptr<Algorithm>(const sim::ParamSet& params)> make;
};

using AlgorithmRegistry = sim::Registry<AlgorithmEntry>;
const AlgorithmRegistry& algorithms();

// The entry for parameters P (defaults from `defaults(hypervisor)`) and algorithm A(const P&).
template <class P, class A>
AlgorithmEntry make_algorithm_entry(std::string_view name, std::string_view help,
                                    std::string_view source, P (*defaults)(std::string_view),
                                    bool resumes_early = false) {
  return AlgorithmEntry{
      name,
      help,
      source,
      resumes_early,
      [defaults](std::string_view hypervisor) {
        return std::make_unique<sim::ParamSetOf<P>>(defaults(hypervisor));
      },
      [](const sim::ParamSet& params) -> std::unique_ptr<Algorithm> {
        return std::make_unique<A>(dynamic_cast<const sim::ParamSetOf<P>&>(params).value);
      }};
}

// Each algorithm file defines one of these; algorithms.cpp calls them all.
void register_pre_copy(AlgorithmRegistry& registry);
void register_stop_and_copy(AlgorithmRegistry& registry);
void register_improved_pre_copy(AlgorithmRegistry& registry);
void register_three_stage(AlgorithmRegistry& registry);
void register_post_copy(AlgorithmRegistry& registry);
void register_hybrid(AlgorithmRegistry& registry);
void register_storage_assisted(AlgorithmRegistry& registry);
void register_memory_compare(AlgorithmRegistry& registry);
void register_xvmotion(AlgorithmRegistry& registry);

}  // namespace migsim::migration
