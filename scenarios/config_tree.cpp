// Scenario files through libyaml's event API (the reference C parser behind PyYAML), building our
// own tree. libyaml parses with explicit stacks, never recursion, so no input overflows the
// stack; everything that could make the tree explode (aliases, depth, size, node count) is
// bounded here, before memory is spent. README "Choosing a YAML parser" has the evidence.
#include "scenarios/config_tree.h"

#include <yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <unordered_map>
#include <unordered_set>

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

// "tag:yaml.org,2002:str" -> "!!str", as the user wrote it.
std::string short_tag(std::string_view tag) {
  constexpr std::string_view kCore = "tag:yaml.org,2002:";
  if (tag.substr(0, kCore.size()) == kCore) return "!!" + std::string(tag.substr(kCore.size()));
  return std::string(tag);
}

// One libyaml event, freed on scope exit.
struct Event {
  yaml_event_t e{};
  ~Event() { yaml_event_delete(&e); }
  int line() const { return static_cast<int>(e.start_mark.line) + 1; }
  int column() const { return static_cast<int>(e.start_mark.column) + 1; }
};

std::string text_of(const yaml_char_t* s) {
  return s ? std::string(reinterpret_cast<const char*>(s)) : std::string();
}

std::size_t count_nodes(const ConfigNode& n) {
  std::size_t c = 1;
  for (const auto& e : n.map) c += count_nodes(e.value);
  for (const auto& s : n.seq) c += count_nodes(s);
  return c;
}

// Builds a ConfigNode tree from the event stream, enforcing the limits.
class TreeBuilder {
 public:
  TreeBuilder(const std::string& text, const std::string& file) : file_(file) {
    yaml_parser_initialize(&parser_);
    yaml_parser_set_input_string(&parser_, reinterpret_cast<const unsigned char*>(text.data()),
                                 text.size());
  }
  ~TreeBuilder() { yaml_parser_delete(&parser_); }
  TreeBuilder(const TreeBuilder&) = delete;
  TreeBuilder& operator=(const TreeBuilder&) = delete;

  ConfigNode build() {
    int documents = 0;
    for (;;) {
      Event ev;
      if (!yaml_parser_parse(&parser_, &ev.e)) fail_parser();
      switch (ev.e.type) {
        case YAML_STREAM_END_EVENT:
          if (documents == 0)
            throw ScenarioError(file_, 1, "",
                                "the file holds no YAML document (only comments, blank lines or "
                                "a byte-order mark): expected a scenario mapping");
          return std::move(root_);
        case YAML_DOCUMENT_START_EVENT:
          if (++documents > 1)
            throw ScenarioError(
                file_, ev.line(), "",
                "a scenario file holds one YAML document; found a second one at this line "
                "(remove the extra '---')");
          break;
        case YAML_SCALAR_EVENT:
          scalar(ev);
          break;
        case YAML_SEQUENCE_START_EVENT:
          open(ev, ConfigNode::Kind::kSeq, text_of(ev.e.data.sequence_start.tag),
               text_of(ev.e.data.sequence_start.anchor));
          break;
        case YAML_MAPPING_START_EVENT:
          open(ev, ConfigNode::Kind::kMap, text_of(ev.e.data.mapping_start.tag),
               text_of(ev.e.data.mapping_start.anchor));
          break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
          close(ev);
          break;
        case YAML_ALIAS_EVENT:
          alias(ev);
          break;
        default:
          break;
      }
    }
  }

 private:
  // An open mapping or sequence.
  struct Frame {
    ConfigNode* node = nullptr;
    std::string path;    // key path of this node ("vm", "sweep.vm.memory")
    std::string anchor;  // its anchor, recorded when it closes
    // Mappings: the key waiting for its value, and the keys seen so far.
    bool have_key = false;
    std::string key;
    int key_line = 0, key_column = 0;
    std::unordered_set<std::string> keys;
  };

  [[noreturn]] void fail_parser() const {
    const yaml_mark_t& m = parser_.problem_mark;
    std::string what = parser_.problem ? parser_.problem : "unknown error";
    if (parser_.context) what = std::string(parser_.context) + ": " + what;
    throw ScenarioError(file_, static_cast<int>(m.line) + 1, current_path(),
                        "malformed YAML: " + what);
  }

  std::string current_path() const {
    if (stack_.empty()) return {};
    const Frame& f = stack_.back();
    if (f.node->kind == ConfigNode::Kind::kMap && f.have_key) return child_path(f, f.key);
    return f.path;
  }

  static std::string child_path(const Frame& parent, const std::string& key) {
    return parent.path.empty() ? key : parent.path + "." + key;
  }

  void count(int line, std::size_t n) {
    nodes_ += n;
    if (nodes_ > kMaxConfigNodes)
      throw ScenarioError(file_, line, current_path(),
                          "the file expands to more than " + std::to_string(kMaxConfigNodes) +
                              " values (counting what aliases repeat); scenario files are "
                              "small: split it or use sweeps");
  }

  // Places a finished node where the open parent expects it; returns where it now lives.
  // A scalar arriving where a mapping expects a key becomes that key.
  ConfigNode* place(ConfigNode&& node, int line, int column, bool is_key_candidate) {
    if (stack_.empty()) {
      root_ = std::move(node);
      return &root_;
    }
    Frame& f = stack_.back();
    if (f.node->kind == ConfigNode::Kind::kSeq) {
      f.node->seq.push_back(std::move(node));
      return &f.node->seq.back();
    }
    if (!f.have_key) {
      if (!is_key_candidate)
        throw ScenarioError(file_, line, f.path.empty() ? "(top level)" : f.path,
                            "a key must be a plain word, not " + node.kind_name());
      std::string key = std::move(node.scalar);
      if (!f.keys.insert(key).second)
        throw ScenarioError(file_, line, child_path(f, key), "duplicate key '" + key + "'");
      f.have_key = true;
      f.key = std::move(key);
      f.key_line = line;
      f.key_column = column;
      return nullptr;
    }
    f.have_key = false;
    f.node->map.push_back({std::move(f.key), f.key_line, f.key_column, std::move(node)});
    return &f.node->map.back().value;
  }

  bool expecting_key() const {
    return !stack_.empty() && stack_.back().node->kind == ConfigNode::Kind::kMap &&
           !stack_.back().have_key;
  }

  [[noreturn]] void reject_tag(const std::string& tag, const Event& ev) const {
    throw ScenarioError(file_, ev.line(), current_path(),
                        "tag '" + short_tag(tag) +
                            "' is not allowed: scenario files use only YAML's standard tags "
                            "(!!str, !!int, !!float, !!bool, !!null on values; !!seq on lists, "
                            "!!map on mappings)");
  }

  void scalar(const Event& ev) {
    const auto& s = ev.e.data.scalar;
    ConfigNode n;
    n.kind = ConfigNode::Kind::kScalar;
    n.line = ev.line();
    n.column = ev.column();
    n.scalar.assign(reinterpret_cast<const char*>(s.value), s.length);
    const std::string tag = text_of(s.tag);
    const bool plain = s.style == YAML_PLAIN_SCALAR_STYLE;
    // YAML's core schema: plain scalars are resolved (numbers, booleans, null); quoted and
    // block scalars, "!" and "!!str" are text.
    n.quoted = !plain;
    if (!tag.empty()) {
      const std::string t = short_tag(tag);
      if (t == "!" || t == "!!str")
        n.quoted = true;
      else if (t == "!!int" || t == "!!float" || t == "!!bool")
        n.quoted = false;
      else if (t == "!!null")
        n.kind = ConfigNode::Kind::kNull;
      else
        reject_tag(tag, ev);
    } else if (plain && (n.scalar.empty() || n.scalar == "~" || n.scalar == "null" ||
                         n.scalar == "Null" || n.scalar == "NULL")) {
      n.kind = ConfigNode::Kind::kNull;
    }
    if (n.kind == ConfigNode::Kind::kNull) n.scalar.clear();
    count(n.line, 1);
    const std::string anchor = text_of(s.anchor);
    const bool key_position = expecting_key();
    if (key_position && n.kind != ConfigNode::Kind::kScalar)
      throw ScenarioError(file_, n.line,
                          stack_.back().path.empty() ? "(top level)" : stack_.back().path,
                          "a key must be a plain word, not nothing");
    const ConfigNode copy_for_anchor = anchor.empty() ? ConfigNode{} : n;
    place(std::move(n), ev.line(), ev.column(), true);
    if (!anchor.empty()) define_anchor(anchor, copy_for_anchor);
  }

  void open(const Event& ev, ConfigNode::Kind kind, const std::string& tag,
            const std::string& anchor) {
    if (!tag.empty()) {
      const std::string t = short_tag(tag);
      const bool ok = (kind == ConfigNode::Kind::kSeq && t == "!!seq") ||
                      (kind == ConfigNode::Kind::kMap && t == "!!map");
      if (!ok) reject_tag(tag, ev);
    }
    if (stack_.size() >= kMaxConfigDepth)
      throw ScenarioError(file_, ev.line(), current_path(),
                          "nesting is deeper than " + std::to_string(kMaxConfigDepth) +
                              " levels; a scenario needs 3");
    count(ev.line(), 1);
    ConfigNode n;
    n.kind = kind;
    n.line = ev.line();
    n.column = ev.column();
    const std::string path = current_path();
    ConfigNode* where = place(std::move(n), ev.line(), ev.column(), false);
    if (!anchor.empty()) open_anchors_.insert(anchor);
    Frame f;
    f.node = where;
    f.path = path;
    f.anchor = anchor;
    stack_.push_back(std::move(f));
  }

  void close(const Event&) {
    Frame f = std::move(stack_.back());
    stack_.pop_back();
    if (!f.anchor.empty()) {
      open_anchors_.erase(f.anchor);
      define_anchor(f.anchor, *f.node);
    }
  }

  void define_anchor(const std::string& name, const ConfigNode& node) {
    anchors_[name] = Anchor{node, count_nodes(node)};
  }

  void alias(const Event& ev) {
    const std::string name = text_of(ev.e.data.alias.anchor);
    if (open_anchors_.count(name) != 0)
      throw ScenarioError(file_, ev.line(), current_path(),
                          "alias '*" + name +
                              "' refers to a node that contains it: recursive "
                              "structures are not allowed");
    const auto it = anchors_.find(name);
    if (it == anchors_.end())
      throw ScenarioError(file_, ev.line(), current_path(),
                          "alias '*" + name + "' names no anchor defined before it");
    count(ev.line(), it->second.nodes);
    ConfigNode copy = it->second.node;
    copy.line = ev.line();
    copy.column = ev.column();
    if (expecting_key() && copy.kind != ConfigNode::Kind::kScalar)
      throw ScenarioError(file_, ev.line(),
                          stack_.back().path.empty() ? "(top level)" : stack_.back().path,
                          "a key must be a plain word, not " + copy.kind_name());
    place(std::move(copy), ev.line(), ev.column(), true);
  }

  struct Anchor {
    ConfigNode node;
    std::size_t nodes;
  };

  const std::string& file_;
  yaml_parser_t parser_{};
  ConfigNode root_;
  std::vector<Frame> stack_;
  std::unordered_map<std::string, Anchor> anchors_;
  std::unordered_set<std::string> open_anchors_;
  std::size_t nodes_ = 0;
};

// Strict JSON check, streaming (no document is built) so size, depth and number overflow
// (1e309) are reported with their position instead of thrown from deep inside a DOM.
class JsonChecker : public nlohmann::json_sax<nlohmann::json> {
 public:
  using json = nlohmann::json;
  explicit JsonChecker(std::size_t max_depth) : max_depth_(max_depth) {}
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(json::number_integer_t) override { return true; }
  bool number_unsigned(json::number_unsigned_t) override { return true; }
  bool number_float(json::number_float_t, const json::string_t&) override { return true; }
  bool string(json::string_t&) override { return true; }
  bool binary(json::binary_t&) override { return true; }
  bool start_object(std::size_t) override { return enter(); }
  bool key(json::string_t&) override { return true; }
  bool end_object() override { return leave(); }
  bool start_array(std::size_t) override { return enter(); }
  bool end_array() override { return leave(); }
  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception& ex) override {
    byte = position;
    message = ex.what();
    return false;
  }
  std::size_t byte = 0;
  std::string message;
  bool too_deep = false;

 private:
  bool enter() {
    if (++depth_ > max_depth_) {
      too_deep = true;
      return false;
    }
    return true;
  }
  bool leave() {
    --depth_;
    return true;
  }
  std::size_t depth_ = 0;
  std::size_t max_depth_;
};

int line_at(const std::string& text, std::size_t byte) {
  const auto upto = std::min(byte, text.size());
  return 1 + static_cast<int>(
                 std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(upto), '\n'));
}

void check_json(const std::string& text, const std::string& path) {
  JsonChecker checker(kMaxConfigDepth);
  // The SAX parser reports the byte just after the offending token; nothing is allocated.
  if (nlohmann::json::sax_parse(text, &checker)) return;
  if (checker.too_deep)
    throw ScenarioError(path, 0, "",
                        "nesting is deeper than " + std::to_string(kMaxConfigDepth) +
                            " levels; a scenario needs 3");
  std::string what = checker.message;
  for (const char* marker : {"parse error", "number overflow"}) {
    if (const auto at = what.find(marker); at != std::string::npos) {
      what = what.substr(at);
      break;
    }
  }
  throw ScenarioError(path, line_at(text, checker.byte == 0 ? 0 : checker.byte - 1), "",
                      "malformed JSON: " + what);
}

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
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

std::size_t first_invalid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return i;
    }
    if (s.size() - i <= n) return i;
    for (std::size_t k = 1; k <= n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    static constexpr std::uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
    i += n + 1;
  }
  return std::string_view::npos;
}

std::string printable(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c < 0x7F) {
      out += ch;
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

ConfigNode parse_yaml(const std::string& text, const std::string& file) {
  if (text.size() > kMaxConfigBytes)
    throw ScenarioError(file, 0, "",
                        "the text is " + std::to_string(text.size()) + " bytes; at most " +
                            std::to_string(kMaxConfigBytes) + " are allowed");
  ConfigNode root = TreeBuilder(text, file).build();
  if (root.line == 0) root.line = 1;
  return root;
}

ConfigNode load_config_file(const std::string& path) {
  if (first_invalid_utf8(path) != std::string_view::npos)
    throw ScenarioError(printable(path), 0, "",
                        "the file name is not valid UTF-8; results name their scenario file, so "
                        "rename it");
  const bool is_json = ends_with(path, ".json");
  const bool is_yaml = ends_with(path, ".yaml") || ends_with(path, ".yml");
  if (!is_json && !is_yaml)
    throw ScenarioError(path, 0, "",
                        "unknown file type: scenario files end in .yaml, .yml or .json");
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (std::filesystem::is_directory(status))
    throw ScenarioError(path, 0, "", "is a directory, not a scenario file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ScenarioError(path, 0, "", "cannot open the file");
  // Read at most one byte past the limit: a device or a huge file is refused, not swallowed.
  std::string text(kMaxConfigBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) throw ScenarioError(path, 0, "", "cannot read the file");
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kMaxConfigBytes)
    throw ScenarioError(path, 0, "",
                        "the file is larger than " + std::to_string(kMaxConfigBytes >> 20) +
                            " MiB; scenario files are small: split it or use sweeps");
  return parse_config_text(text, path, is_json);
}

ConfigNode parse_config_text(const std::string& text, const std::string& path, bool json) {
  if (text.size() > kMaxConfigBytes)
    throw ScenarioError(path, 0, "",
                        "the text is " + std::to_string(text.size()) + " bytes; at most " +
                            std::to_string(kMaxConfigBytes) + " are allowed");
  if (text.find_first_not_of(" \t\r\n") == std::string::npos)
    throw ScenarioError(path, 1, "", "the file is empty: expected a scenario mapping");
  if (const std::size_t bad = first_invalid_utf8(text); bad != std::string_view::npos)
    throw ScenarioError(
        path, line_at(text, bad), "",
        "byte " + std::to_string(bad + 1) + " is not valid UTF-8 (scenario files are UTF-8 text)");
  if (json) check_json(text, path);
  return parse_yaml(text, path);
}

}  // namespace migsim::scenarios
