// Probe: feeds one small document to each candidate and prints what its API
// reports about positions, aliases, tags and duplicate keys. Evidence for the
// feature columns of RESULTS.md; not a fuzzer.
//   probe                 -> the feature report
//   probe LIB FILE        -> "accepted N docs" or "rejected: message" for one
//                            file (LIB = yamlcpp | libyaml | libfyaml); loads
//                            only, no tree walk
#include <libfyaml.h>
#include <yaml-cpp/yaml.h>
#include <yaml.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

static const char kDoc[] =
    "dup: 1\n"
    "dup: 2\n"
    "base: &x {k: v}\n"
    "ref: *x\n"
    "custom: !custom 3\n"
    "str: !!str 3\n"
    "empty: {}\n";

static void probe_yamlcpp() {
  std::printf("== yaml-cpp %s\n", "0.7 (YAML::Load)");
  try {
    YAML::Node root = YAML::Load(kDoc);
    int dups = 0;
    for (const auto& kv : root) {
      const auto k = kv.first.as<std::string>();
      if (k == "dup") ++dups;
      std::printf("  key %-6s at %d:%d  value at %d:%d  type=%d tag='%s'\n", k.c_str(),
                  kv.first.Mark().line, kv.first.Mark().column, kv.second.Mark().line,
                  kv.second.Mark().column, static_cast<int>(kv.second.Type()),
                  kv.second.Tag().c_str());
    }
    std::printf("  duplicate 'dup' pairs kept: %d, root[\"dup\"] = %s (no error)\n", dups,
                root["dup"].as<std::string>().c_str());
    std::printf("  ref is the same node as base: %s (alias shared silently)\n",
                root["ref"].is(root["base"]) ? "yes" : "no");
  } catch (const YAML::Exception& e) {
    std::printf("  exception: %s\n", e.what());
  }
}

static void probe_libyaml() {
  static const char* kNames[] = {"NONE",    "STREAM-START", "STREAM-END", "DOC-START",
                                 "DOC-END", "ALIAS",        "SCALAR",     "SEQ-START",
                                 "SEQ-END", "MAP-START",    "MAP-END"};
  std::printf("== libyaml 0.2.5 (yaml_parser_parse events)\n");
  yaml_parser_t p;
  yaml_parser_initialize(&p);
  yaml_parser_set_input_string(&p, reinterpret_cast<const unsigned char*>(kDoc), std::strlen(kDoc));
  for (;;) {
    yaml_event_t ev;
    if (!yaml_parser_parse(&p, &ev)) {
      std::printf("  error: %s at %zu:%zu\n", p.problem, p.problem_mark.line,
                  p.problem_mark.column);
      break;
    }
    const char* val = "";
    const char* tag = "";
    const char* anchor = "";
    if (ev.type == YAML_SCALAR_EVENT) {
      val = reinterpret_cast<const char*>(ev.data.scalar.value);
      tag = ev.data.scalar.tag ? reinterpret_cast<const char*>(ev.data.scalar.tag) : "";
      anchor = ev.data.scalar.anchor ? reinterpret_cast<const char*>(ev.data.scalar.anchor) : "";
    } else if (ev.type == YAML_ALIAS_EVENT) {
      anchor = reinterpret_cast<const char*>(ev.data.alias.anchor);
    } else if (ev.type == YAML_MAPPING_START_EVENT && ev.data.mapping_start.anchor) {
      anchor = reinterpret_cast<const char*>(ev.data.mapping_start.anchor);
    }
    std::printf("  %-12s %zu:%zu-%zu:%zu  value='%s' tag='%s' anchor='%s'\n", kNames[ev.type],
                ev.start_mark.line, ev.start_mark.column, ev.end_mark.line, ev.end_mark.column, val,
                tag, anchor);
    const bool done = ev.type == YAML_STREAM_END_EVENT;
    yaml_event_delete(&ev);
    if (done) break;
  }
  yaml_parser_delete(&p);
  std::printf("  (duplicate keys: events only; the loader must check)\n");
}

static void fy_doc(const char* label, unsigned flags, const char* text = kDoc) {
  struct fy_parse_cfg cfg = {};
  cfg.flags = static_cast<enum fy_parse_cfg_flags>(flags);
  struct fy_document* d = fy_document_build_from_string(&cfg, text, FY_NT);
  std::printf("  document API, %s: %s\n", label, d ? "built" : "FAILED (NULL document)");
  if (!d) return;
  void* it = nullptr;
  while (struct fy_node_pair* pr = fy_node_mapping_iterate(fy_document_root(d), &it)) {
    struct fy_node* k = fy_node_pair_key(pr);
    struct fy_node* v = fy_node_pair_value(pr);
    const struct fy_mark* km = fy_token_start_mark(fy_node_get_scalar_token(k));
    struct fy_token* vt = fy_node_get_scalar_token(v);  // NULL for collections
    const struct fy_mark* vm = vt ? fy_token_start_mark(vt) : nullptr;
    size_t tl = 0;
    const char* tag = fy_node_get_tag(v, &tl);
    std::printf("    key %-6s at %d:%d  value at %s%d:%d  type=%d alias=%d tag='%.*s'\n",
                fy_node_get_scalar0(k), km ? km->line : -1, km ? km->column : -1,
                vm ? "" : "(no public mark) ", vm ? vm->line : -1, vm ? vm->column : -1,
                static_cast<int>(fy_node_get_type(v)), fy_node_is_alias(v) ? 1 : 0,
                static_cast<int>(tl), tag ? tag : "");
  }
  fy_document_destroy(d);
}

static void probe_libfyaml() {
  std::printf("== libfyaml 0.7 \n");
  fy_doc("default cfg (diagnostics to stderr)", FYPCF_DEFAULT_PARSE);
  fy_doc("FYPCF_ALLOW_DUPLICATE_KEYS", FYPCF_QUIET | FYPCF_ALLOW_DUPLICATE_KEYS);
  fy_doc("ALLOW_DUPLICATE_KEYS|RESOLVE_DOCUMENT",
         FYPCF_QUIET | FYPCF_ALLOW_DUPLICATE_KEYS | FYPCF_RESOLVE_DOCUMENT);
  fy_doc("RESOLVE_DOCUMENT, input without the two 'dup' lines",
         FYPCF_QUIET | FYPCF_RESOLVE_DOCUMENT, kDoc + std::strlen("dup: 1\ndup: 2\n"));
  // Event API: every event has start/end marks; aliases are FYET_ALIAS events.
  struct fy_parse_cfg cfg = {};
  cfg.flags = FYPCF_QUIET;
  struct fy_parser* fyp = fy_parser_create(&cfg);
  fy_parser_set_string(fyp, kDoc, FY_NT);
  std::printf("  event API (fy_parser_parse):\n");
  while (struct fy_event* ev = fy_parser_parse(fyp)) {
    const struct fy_mark* m = fy_event_start_mark(ev);
    std::printf("    %-14s %d:%d\n", fy_event_type_get_text(ev->type), m ? m->line : -1,
                m ? m->column : -1);
    fy_parser_event_free(fyp, ev);
  }
  std::fflush(stdout);
  std::printf("  event stream error: %d\n", fy_parser_get_stream_error(fyp) ? 1 : 0);
  fy_parser_destroy(fyp);
}

// Verdict for one file: did the library accept it, and with how many documents?
static int verdict(const std::string& lib, const std::string& text) {
  if (lib == "yamlcpp") {
    try {
      std::printf("accepted %zu docs\n", YAML::LoadAll(text).size());
    } catch (const YAML::Exception& e) {
      std::printf("rejected: %s\n", e.what());
    }
  } else if (lib == "libyaml") {
    yaml_parser_t p;
    yaml_parser_initialize(&p);
    yaml_parser_set_input_string(&p, reinterpret_cast<const unsigned char*>(text.data()),
                                 text.size());
    size_t docs = 0;
    for (;;) {
      yaml_event_t ev;
      if (!yaml_parser_parse(&p, &ev)) {
        std::printf("rejected: %s at %zu:%zu\n", p.problem, p.problem_mark.line + 1,
                    p.problem_mark.column + 1);
        break;
      }
      docs += ev.type == YAML_DOCUMENT_START_EVENT;
      const bool done = ev.type == YAML_STREAM_END_EVENT;
      yaml_event_delete(&ev);
      if (done) {
        std::printf("accepted %zu docs\n", docs);
        break;
      }
    }
    yaml_parser_delete(&p);
  } else if (lib == "libfyaml") {
    struct fy_parse_cfg cfg = {};  // not quiet: the diagnostic goes to stderr
    struct fy_parser* fyp = fy_parser_create(&cfg);
    fy_parser_set_string(fyp, text.data(), text.size());
    size_t docs = 0;
    while (struct fy_document* d = fy_parse_load_document(fyp)) {
      ++docs;
      fy_parse_document_destroy(fyp, d);
    }
    if (fy_parser_get_stream_error(fyp))
      std::printf("rejected (diagnostic on stderr)\n");
    else
      std::printf("accepted %zu docs\n", docs);
    fy_parser_destroy(fyp);
  } else {
    return 2;
  }
  return 0;
}

int main(int argc, char** argv) {
  if (argc == 3) {
    std::ifstream in(argv[2], std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return verdict(argv[1], ss.str());
  }
  std::printf("input:\n%s\n", kDoc);
  probe_yamlcpp();
  probe_libyaml();
  probe_libfyaml();
  return 0;
}
