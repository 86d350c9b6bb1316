// The property test at scale (ctest label "long"): thousands of random scenarios.
#include "tests/properties/property_checks.h"

TEST_CASE("thousands of random valid scenarios keep every invariant", "[long][properties]") {
  migsim::test::run_random_scenarios(migsim::test::scenario_count(5000), 7);
}
