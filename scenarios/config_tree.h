// A scenario file as a tree that remembers where each node came from (file, line, column), read
// from YAML or JSON. Everything downstream reports errors against these positions.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace migsim::scenarios {

struct ConfigNode {
  enum class Kind { kNull, kScalar, kMap, kSeq };
  struct Entry;

  Kind kind = Kind::kNull;
  std::string scalar;
  std::vector<Entry> map;  // in file order
  std::vector<ConfigNode> seq;
  int line = 0;  // 1-based; 0 = not from a file
  int column = 0;
  bool from_sweep = false;
  bool quoted = false;  // a quoted scalar ("5") is text, never a number or boolean

  const ConfigNode* find(std::string_view key) const;
  ConfigNode* find(std::string_view key);
  const Entry* find_entry(std::string_view key) const;
  std::string kind_name() const;
};

struct ConfigNode::Entry {
  std::string key;
  int key_line = 0;
  int key_column = 0;
  ConfigNode value;
};

// A bad scenario: names the file, the line, the key path and what is allowed.
class ScenarioError : public std::runtime_error {
 public:
  ScenarioError(std::string file, int line, std::string key_path, std::string message);
  const std::string& file() const { return file_; }
  int line() const { return line_; }
  const std::string& key_path() const { return key_path_; }
  const std::string& message() const { return message_; }

 private:
  std::string file_;
  int line_;
  std::string key_path_;
  std::string message_;
};

// Reads a .yaml/.yml or .json file. JSON must be strict JSON. Throws ScenarioError.
ConfigNode load_config_file(const std::string& path);
// Parses text as YAML (JSON is a subset); `file` names it in errors.
ConfigNode parse_yaml(const std::string& text, const std::string& file);

}  // namespace migsim::scenarios
