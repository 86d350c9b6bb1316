// A scenario file as a tree that remembers where each node came from (file, line, column), read
// from YAML or JSON. Everything downstream reports errors against these positions.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
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

// Limits on one scenario file; beyond them loading stops with a ScenarioError (exit 2).
constexpr std::size_t kMaxConfigBytes = std::size_t{4} << 20;  // file size
constexpr std::size_t kMaxConfigDepth = 64;                    // nested mappings and lists
constexpr std::size_t kMaxConfigNodes = 1000000;  // values, counting what aliases repeat

// Reads a .yaml/.yml or .json file. JSON must be strict JSON. Throws ScenarioError.
ConfigNode load_config_file(const std::string& path);
// Parses text as YAML (JSON is a subset); `file` names it in errors. Anchors and aliases are
// expanded (within kMaxConfigNodes); tags other than the standard scalar ones are errors.
ConfigNode parse_yaml(const std::string& text, const std::string& file);

// Parses the text of a scenario file: strict JSON when `json`, else YAML. What
// load_config_file does after reading the file (fuzz targets call it directly).
ConfigNode parse_config_text(const std::string& text, const std::string& file, bool json);

// Position of the first byte that is not valid UTF-8, or npos.
std::size_t first_invalid_utf8(std::string_view s);
// `s` with control and non-ASCII bytes written as \xNN, for messages about bad text.
std::string printable(std::string_view s);

}  // namespace migsim::scenarios
