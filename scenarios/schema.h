// A JSON Schema (draft 2020-12) of scenario files, generated from the same parameter
// declarations the loader reads: editors and YAML language servers can check scenarios with it.
#pragma once

#include "scenarios/scenario.h"

namespace migsim::scenarios {

Json scenario_schema();

}  // namespace migsim::scenarios
