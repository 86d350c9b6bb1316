#include "scenarios/config_tree.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace migsim::scenarios {
namespace {

std::string format_error(const std::string& file, int line, const std::string& path,
                         const std::string& message) {
  std::string s = file;
  if (line > 0) s += ":" + std::to_string(line);
  s += ": ";
  if (!path.empty()) s += path + ": ";
  return s + message;
}

ConfigNode convert(const YAML::Node& node, const std::string& file) {
  ConfigNode out;
  out.line = node.Mark().line + 1;
  out.column = node.Mark().column + 1;
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      out.kind = ConfigNode::Kind::kNull;
      break;
    case YAML::NodeType::Scalar:
      out.kind = ConfigNode::Kind::kScalar;
      out.scalar = node.Scalar();
      out.quoted = node.Tag() == "!";
      break;
    case YAML::NodeType::Sequence:
      out.kind = ConfigNode::Kind::kSeq;
      for (const auto& item : node) out.seq.push_back(convert(item, file));
      break;
    case YAML::NodeType::Map:
      out.kind = ConfigNode::Kind::kMap;
      for (const auto& kv : node) {
        const int key_line = kv.first.Mark().line + 1;
        if (!kv.first.IsScalar())
          throw ScenarioError(file, key_line, "", "map keys must be plain words");
        const std::string key = kv.first.Scalar();
        if (out.find(key) != nullptr)
          throw ScenarioError(file, key_line, key, "duplicate key '" + key + "'");
        out.map.push_back({key, key_line, kv.first.Mark().column + 1, convert(kv.second, file)});
      }
      break;
  }
  return out;
}

}  // namespace

const ConfigNode* ConfigNode::find(std::string_view key) const {
  const Entry* e = find_entry(key);
  return e ? &e->value : nullptr;
}

ConfigNode* ConfigNode::find(std::string_view key) {
  auto it = std::find_if(map.begin(), map.end(), [&](const Entry& e) { return e.key == key; });
  return it == map.end() ? nullptr : &it->value;
}

const ConfigNode::Entry* ConfigNode::find_entry(std::string_view key) const {
  auto it = std::find_if(map.begin(), map.end(), [&](const Entry& e) { return e.key == key; });
  return it == map.end() ? nullptr : &*it;
}

std::string ConfigNode::kind_name() const {
  switch (kind) {
    case Kind::kNull:
      return "nothing";
    case Kind::kScalar:
      return "a value";
    case Kind::kMap:
      return "a mapping";
    case Kind::kSeq:
      return "a list";
  }
  return "?";
}

ScenarioError::ScenarioError(std::string file, int line, std::string key_path, std::string message)
    : std::runtime_error(format_error(file, line, key_path, message)),
      file_(std::move(file)),
      line_(line),
      key_path_(std::move(key_path)),
      message_(std::move(message)) {}

ConfigNode parse_yaml(const std::string& text, const std::string& file) {
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(text);
  } catch (const YAML::Exception& e) {
    throw ScenarioError(file, e.mark.line + 1, "", "malformed YAML: " + e.msg);
  }
  if (docs.size() > 1)
    throw ScenarioError(file, docs[1].Mark().line + 1, "",
                        "a scenario file holds one YAML document; found " +
                            std::to_string(docs.size()) + " (remove the extra '---')");
  return convert(docs.empty() ? YAML::Node() : docs[0], file);
}

ConfigNode load_config_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ScenarioError(path, 0, "", "cannot open the file");
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  const bool is_json = path.size() >= 5 && path.compare(path.size() - 5, 5, ".json") == 0;
  const bool is_yaml = (path.size() >= 5 && path.compare(path.size() - 5, 5, ".yaml") == 0) ||
                       (path.size() >= 4 && path.compare(path.size() - 4, 4, ".yml") == 0);
  if (!is_json && !is_yaml)
    throw ScenarioError(path, 0, "",
                        "unknown file type: scenario files end in .yaml, .yml or .json");
  if (text.find_first_not_of(" \t\r\n") == std::string::npos)
    throw ScenarioError(path, 1, "", "the file is empty: expected a scenario mapping");
  if (is_json) {
    try {
      const auto parsed = nlohmann::json::parse(text);
      (void)parsed;
    } catch (const nlohmann::json::parse_error& e) {
      const auto upto = std::min<std::size_t>(e.byte == 0 ? 0 : e.byte - 1, text.size());
      const int line =
          1 + static_cast<int>(
                  std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(upto), '\n'));
      std::string what = e.what();
      const auto colon = what.find("parse error");
      throw ScenarioError(
          path, line, "",
          "malformed JSON: " + (colon == std::string::npos ? what : what.substr(colon)));
    }
  }
  return parse_yaml(text, path);
}

}  // namespace migsim::scenarios
