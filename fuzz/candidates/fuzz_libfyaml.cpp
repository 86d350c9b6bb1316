// libFuzzer harness for candidate (c): libfyaml 0.7 document (tree) API, the
// API its docs lead with for "load a file into a tree".
// Loads each document of the stream with fy_parse_load_document (the
// multi-document form of fy_document_build_from_string) and walks it
// recursively, counting nodes. Default config (cfg=NULL)
// keeps aliases as alias nodes; build with -DFY_RESOLVE to request
// FYPCF_RESOLVE_DOCUMENT (aliases expanded into copies) instead.
#include <libfyaml.h>

#include <cstddef>
#include <cstdint>

static size_t g_nodes = 0;

static void walk(struct fy_node* n) {
  if (!n) return;
  ++g_nodes;
  size_t len = 0;
  if (fy_node_get_tag(n, &len)) g_nodes += len;
  switch (fy_node_get_type(n)) {
    case FYNT_SCALAR:  // alias nodes are scalars with style FYNS_ALIAS
      if (fy_node_get_scalar(n, &len)) g_nodes += len;
      break;
    case FYNT_SEQUENCE: {
      void* it = nullptr;
      while (struct fy_node* c = fy_node_sequence_iterate(n, &it)) walk(c);
      break;
    }
    case FYNT_MAPPING: {
      void* it = nullptr;
      while (struct fy_node_pair* p = fy_node_mapping_iterate(n, &it)) {
        walk(fy_node_pair_key(p));
        walk(fy_node_pair_value(p));
      }
      break;
    }
  }
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  struct fy_parse_cfg cfg = {};
  cfg.flags = static_cast<enum fy_parse_cfg_flags>(FYPCF_QUIET
#ifdef FY_RESOLVE
                                                   | FYPCF_RESOLVE_DOCUMENT
#endif
  );
  // Scenario files may hold several documents, so use the parser-backed loop.
  struct fy_parser* fyp = fy_parser_create(&cfg);
  if (!fyp) return 0;
  if (fy_parser_set_string(fyp, reinterpret_cast<const char*>(data), size) == 0) {
    while (struct fy_document* fyd = fy_parse_load_document(fyp)) {
      walk(fy_document_root(fyd));
      fy_parse_document_destroy(fyp, fyd);
    }
  }
  fy_parser_destroy(fyp);
  return 0;
}
