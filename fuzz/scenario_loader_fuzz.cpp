// libFuzzer target: any bytes as a scenario file, YAML or JSON (chosen by the first byte), through
// parsing, sweep expansion and validation. A ScenarioError is the expected answer to bad input;
// anything else (another exception, a sanitizer report, a hang, a leak) is a bug.
#include <cstddef>
#include <cstdint>
#include <string>

#include "scenarios/config_tree.h"
#include "scenarios/scenario.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bool json = (data[0] & 1) != 0;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::string file = json ? "fuzz.json" : "fuzz.yaml";
  try {
    const auto root = migsim::scenarios::parse_config_text(text, file, json);
    // A few thousand runs keep each input fast; the limit itself is tested elsewhere.
    (void)migsim::scenarios::expand_scenario(root, file, 2000);
  } catch (const migsim::scenarios::ScenarioError&) {
  }
  return 0;
}
