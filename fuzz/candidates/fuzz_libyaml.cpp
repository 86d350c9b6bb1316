// libFuzzer harness for candidate (b): libyaml 0.2.5 event API.
// Pulls events with yaml_parser_parse until STREAM-END or an error and counts
// them (an event-driven loader would build its own tree from these).
#include <yaml.h>

#include <cstddef>
#include <cstdint>

static size_t g_events = 0;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  yaml_parser_t parser;
  if (!yaml_parser_initialize(&parser)) return 0;
  yaml_parser_set_input_string(&parser, data, size);
  for (;;) {
    yaml_event_t event;
    if (!yaml_parser_parse(&parser, &event)) break;  // parse error: parser.problem set
    ++g_events;
    g_events += event.start_mark.line;  // every event carries start/end marks
    const bool done = event.type == YAML_STREAM_END_EVENT;
    yaml_event_delete(&event);
    if (done) break;
  }
  yaml_parser_delete(&parser);
  return 0;
}
