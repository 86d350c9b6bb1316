// The YAML/JSON front end: classes of hostile input found by fuzzing (hangs, stack overflow,
// alias bombs, quadratic key checks, huge files, tags) end in one ScenarioError naming the
// line and key path, and legitimate YAML features (anchors, standard tags) keep working.
#include <catch2/catch.hpp>
#include <fstream>

#include "scenarios/config_tree.h"
#include "tests/support.h"

using namespace migsim::scenarios;

namespace {

const char* const kBase =
    "vm: {memory: 256MiB}\n"
    "workload: {type: idle}\n"
    "host: {hypervisor: xen-legacy}\n"
    "migration: {algorithm: pre_copy}\n";

// The error parse_yaml raises, or "" when it accepts the text.
std::string error_of(const std::string& yaml, int* line = nullptr) {
  try {
    (void)parse_yaml(yaml, "t.yaml");
  } catch (const ScenarioError& e) {
    if (line) *line = e.line();
    return e.what();
  }
  return {};
}

}  // namespace

TEST_CASE("malformed flow collections end with an error, never a hang", "[yaml]") {
  for (const char* text : {",", "{a: [b, {c: d}, e: f", "{,", "[,]", "{a: b,, c}", "- [\n- ]]"}) {
    INFO(text);
    CHECK_THAT(error_of(text), Catch::Contains("malformed YAML"));
  }
}

TEST_CASE("aliases expand within a node budget, and recursion is refused", "[yaml]") {
  // Anchors are ordinary YAML and keep working.
  const ConfigNode ok = parse_yaml("a: &x {memory: 1GiB}\nb: *x\n", "t.yaml");
  REQUIRE(ok.find("b") != nullptr);
  CHECK(ok.find("b")->find("memory")->scalar == "1GiB");

  int line = 0;
  CHECK_THAT(error_of("name: &x [1, *x]\n", &line), Catch::Contains("name: alias '*x' refers"));
  CHECK(line == 1);
  CHECK_THAT(error_of("a: *nowhere\n"), Catch::Contains("names no anchor"));

  // Nine levels of nine aliases would be 9^9 nodes.
  std::string bomb = "a: &a [1,1,1,1,1,1,1,1,1]\n";
  char prev = 'a';
  for (char c = 'b'; c <= 'i'; ++c, ++prev) {
    bomb += std::string(1, c) + ": &" + c + " [";
    for (int k = 0; k < 9; ++k) bomb += std::string(k ? "," : "") + "*" + prev;
    bomb += "]\n";
  }
  CHECK_THAT(error_of(bomb), Catch::Contains("expands to more than"));
}

TEST_CASE("nesting depth is limited without recursion", "[yaml][json]") {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  CHECK_THAT(error_of(deep), Catch::Contains("nesting is deeper than"));
  const std::string within = std::string(kMaxConfigDepth, '[') + std::string(kMaxConfigDepth, ']');
  CHECK(error_of(within).empty());

  const auto dir = migsim::test::temp_dir("deep-json");
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/deep.json") << "{\"a\": " << deep << "}";
  CHECK_THROWS_WITH(load_config_file(dir + "/deep.json"), Catch::Contains("nesting is deeper"));
}

TEST_CASE("tags: the standard scalar tags mean what YAML says, others are errors", "[yaml]") {
  const ConfigNode n = parse_yaml("a: !!str 3\nb: !!int 3\nc: ! 4\nd: !!null\ne: 5\n", "t.yaml");
  CHECK(n.find("a")->quoted);
  CHECK_FALSE(n.find("b")->quoted);
  CHECK(n.find("c")->quoted);
  CHECK(n.find("d")->kind == ConfigNode::Kind::kNull);
  CHECK_FALSE(n.find("e")->quoted);
  for (const char* text : {"a: !custom 3\n", "a: !!python/object/apply:os.system [ls]\n",
                           "a: !!binary aGk=\n", "a: !!seq {b: 1}\n", "a: !<tag:x> 1\n"}) {
    INFO(text);
    CHECK_THAT(error_of(text), Catch::Contains("a: tag '") && Catch::Contains("is not allowed"));
  }
}

TEST_CASE("duplicate keys are found in linear time among 100,000 keys", "[yaml]") {
  std::string text;
  for (int i = 0; i < 100000; ++i) text += "k" + std::to_string(i) + ": 1\n";
  CHECK(error_of(text).empty());
  text += "k5: 2\n";
  int line = 0;
  CHECK_THAT(error_of(text, &line), Catch::Contains("k5: duplicate key 'k5'"));
  CHECK(line == 100001);
}

TEST_CASE("a key that is not a word names where it is", "[yaml]") {
  CHECK_THAT(error_of("vm:\n  [a]: 1\n"), Catch::Contains("vm: a key must be a plain word"));
  CHECK_THAT(error_of("? {a: 1}\n: 2\n"), Catch::Contains("(top level): a key must be"));
}

TEST_CASE("file size, empty files and odd paths are bad input with a reason", "[yaml]") {
  const auto dir = migsim::test::temp_dir("config-files");
  std::filesystem::create_directories(dir + "/x.yaml");
  CHECK_THROWS_WITH(load_config_file(dir + "/x.yaml"), Catch::Contains("is a directory"));

  {
    std::ofstream big(dir + "/big.yaml");
    big << "sweep:\n  seed: [";
    for (int i = 0; i < 1000000; ++i) big << i << ",";
    big << "0]\n";
  }
  CHECK_THROWS_WITH(load_config_file(dir + "/big.yaml"), Catch::Contains("larger than 4 MiB"));

  std::ofstream(dir + "/comments.yaml") << "# nothing but a comment\n";
  int line = 0;
  try {
    (void)load_config_file(dir + "/comments.yaml");
  } catch (const ScenarioError& e) {
    line = e.line();
    CHECK_THAT(e.what(), Catch::Contains("holds no YAML document"));
  }
  CHECK(line == 1);

  const std::string bad_name = dir + "/caf\xe9.yaml";
  std::ofstream(bad_name) << kBase;
  CHECK_THROWS_WITH(load_config_file(bad_name),
                    Catch::Contains("caf\\xe9.yaml") && Catch::Contains("not valid UTF-8"));
}

TEST_CASE("invalid UTF-8 inside a file is refused with its line", "[yaml][json]") {
  CHECK(first_invalid_utf8("plain ascii") == std::string_view::npos);
  CHECK(first_invalid_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80") == std::string_view::npos);
  CHECK(first_invalid_utf8("ab\xff") == 2);
  CHECK(first_invalid_utf8("\xc0\xaf") == 0);      // overlong '/'
  CHECK(first_invalid_utf8("\xed\xa0\x80") == 0);  // surrogate
  CHECK(first_invalid_utf8("x\xe2\x82") == 1);     // truncated
  const auto dir = migsim::test::temp_dir("utf8");
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/u.json") << "{\n\"name\": \"caf\xe9\"\n}\n";
  try {
    (void)load_config_file(dir + "/u.json");
    FAIL("accepted");
  } catch (const ScenarioError& e) {
    CHECK(e.line() == 2);
  }
}

TEST_CASE("JSON numbers that overflow a double are bad input with their line", "[json]") {
  const auto dir = migsim::test::temp_dir("json-overflow");
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/o.json") << "{\n  \"seed\": 1,\n  \"vm\": {\"zero_fraction\": -1e309}\n}\n";
  try {
    (void)load_config_file(dir + "/o.json");
    FAIL("accepted");
  } catch (const ScenarioError& e) {
    CHECK(e.line() == 3);
    CHECK_THAT(e.what(), Catch::Contains("number overflow"));
  }
}
