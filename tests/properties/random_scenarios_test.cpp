// Property tests: random valid scenarios must all run and every record must satisfy the
// invariants in property_checks.h. The default run draws a few hundred scenarios; the `long`
// label draws thousands (MIGSIM_PROPERTY_SCENARIOS overrides the count).
#include "tests/properties/property_checks.h"

TEST_CASE("random valid scenarios run and keep every invariant", "[properties]") {
  migsim::test::run_random_scenarios(migsim::test::scenario_count(300), 20261122);
}
