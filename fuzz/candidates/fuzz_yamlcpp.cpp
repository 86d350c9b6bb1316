// libFuzzer harness for candidate (a): yaml-cpp 0.7 tree API.
// Loads every document with YAML::LoadAll and walks the tree the way a naive
// loader would (recursively, following aliases, touching mark and tag).
// No depth limit, no alias/cycle detection: we want the parser's own behaviour.
#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <cstdint>
#include <string>

static size_t g_nodes = 0;  // keeps the walk from being optimised away

static void walk(const YAML::Node& n) {
  ++g_nodes;
  g_nodes += static_cast<size_t>(n.Mark().line) + n.Tag().size();
  switch (n.Type()) {
    case YAML::NodeType::Map:
      for (const auto& kv : n) {  // kv.first = key node, kv.second = value node
        walk(kv.first);
        walk(kv.second);
      }
      break;
    case YAML::NodeType::Sequence:
      for (const auto& child : n) walk(child);
      break;
    case YAML::NodeType::Scalar:
      g_nodes += n.Scalar().size();
      break;
    default:  // Null / Undefined
      break;
  }
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  try {
    for (const auto& doc : YAML::LoadAll(text)) walk(doc);
  } catch (const YAML::Exception&) {
    // A documented parse error is the expected outcome for bad input.
  }
  return 0;
}
