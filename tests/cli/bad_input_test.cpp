// Every broken scenario in tests/bad_input gives exit code 2 and a message that names the file,
// the line and the offending key. Nothing is written for a bad `run`.
#include <catch2/catch.hpp>
#include <filesystem>

#include "tests/support.h"

namespace {

struct Case {
  const char* file;
  const char* key;  // key path (or phrase) the message must name
  int line;         // line the message must point at (0: not checked)
};

// clang-format off
const Case kCases[] = {
    {"unknown_key.yaml",                "vm.memroy: unknown key 'memroy' (did you mean memory?)", 1},
    {"unknown_top_level_key.yaml",      "migraton: unknown key 'migraton' (did you mean migration?)", 5},
    {"typo_algorithm.yaml",             "migration.algorithm: 'pre-copy' is not one of", 4},
    {"typo_hypervisor.yaml",            "host.hypervisor: 'xen' is not one of", 3},
    {"typo_workload_type.yaml",         "(did you mean memtester?)", 2},
    {"negative_memory.yaml",            "vm.memory:", 1},
    {"zero_bandwidth.yaml",             "link.bandwidth: 0bit/s is out of range: must be at least 1Mbit/s", 5},
    {"missing_unit.yaml",               "workload.dirty_rate: missing unit", 4},
    {"wrong_type_mapping.yaml",         "vm.memory: expected a size such as 4GiB", 3},
    {"wrong_type_boolean.yaml",         "migration.skip_redirtied: expected true or false", 4},
    {"wrong_type_integer.yaml",         "migration.max_rounds: expected a whole number", 4},
    {"malformed.yaml",                  "malformed YAML", 0},
    {"empty.yaml",                      "the file is empty", 1},
    {"unknown_sweep_key.yaml",          "vm.memroy: unknown key 'memroy' (did you mean memory?)", 6},
    {"unknown_sweep_section.yaml",      "sweep.vmm.memory: unknown sweep path 'vmm.memory'", 6},
    {"bad_sweep_value.yaml",            "vm.memory: expected a size", 6},
    {"sweep_not_a_list.yaml",           "sweep.vm.memory: expected a non-empty list", 6},
    {"efficiency_out_of_range.yaml",    "link.efficiency: 1.5 is out of range: must be at least 0.01, at most 1", 5},
    {"zero_replications.yaml",          "replications: 0 is out of range: must be at least 1", 5},
    {"memory_not_whole_pages.yaml",     "vm.memory: memory 10000B is not a whole number of 4KiB pages", 1},
    {"missing_algorithm.yaml",          "migration.algorithm: missing required key 'algorithm'", 4},
    {"missing_workload_type.yaml",      "workload.type: missing required key 'type'", 2},
    {"parameter_of_another_algorithm.yaml", "migration.max_rounds: unknown key 'max_rounds'", 4},
    {"buffer_larger_than_memory.yaml",  "workload.buffer: buffer 2GiB at offset 0B does not fit", 2},
    {"malformed.json",                  "malformed JSON", 4},
    {"bad_unit.json",                   "vm.memory: unknown unit 'gigabyte'", 2},
    {"duplicate_key.yaml",              "vm: duplicate key 'vm'", 2},
    {"unbounded_pre_copy.yaml",         "migration.max_rounds: pre_copy needs a bound", 4},
    {"section_not_a_mapping.yaml",      "vm: expected a mapping of parameters", 1},
    {"negative_seed.yaml",              "seed: -3 is out of range: must be at least 0", 5},
    {"rate_without_per_second.yaml",    "workload.rate: expected an event rate such as 20000/s", 2},
    {"too_many_runs.yaml",              "sweep: the sweep times replications asks for more than 1000000000000 runs", 7},
    {"too_many_points.yaml",            "sweep: the sweep has more than 1000000 points", 8},
    {"multiple_documents.yaml",         "a scenario file holds one YAML document; found a second one at this line", 5},
    {"quoted_number.json",              "migration.max_rounds: expected a whole number, at least 0, at most 10000, not the quoted text", 5},
    {"link_far_too_slow.yaml",          "link.bandwidth: one pass over 4TiB", 3},
    {"vms_item_unknown_key.yaml",       "vms[1].memroy: unknown key 'memroy'; allowed keys: name, count", 8},
    {"vms_item_bad_algorithm.yaml",     "vms[1].migration.algorithm: 'post_cpy' is not one of", 9},
    {"vms_missing_workload.yaml",       "vms[1].workload.type: missing required key 'type'", 6},
    {"vms_empty.yaml",                  "vms: expected a non-empty list of VMs", 5},
    {"vms_count_zero.yaml",             "vms[0].count: 0 is out of range: must be at least 1", 6},
    {"schedule_without_vms.yaml",       "schedule: 'schedule' belongs to a scenario with several VMs", 5},
    {"schedule_negative.yaml",          "schedule.max_concurrent: -1 is out of range", 7},
    {"cross_traffic_unknown_host.yaml", "cross_traffic[0].to: 'd' is not a host of the topology", 13},
    {"sweep_vm_index_out_of_range.yaml", "sweep.vms[2].vm.memory: 'vms[2]' names no item: 'vms' has 2 items", 7},
    {"vms_source_without_topology.yaml", "vms[1].source: 'source' names a host of a topology", 7},
    {"topology_unknown_node.yaml",      "topology.links[1]: link end 'bb' is neither a host nor a switch", 10},
    {"topology_no_path.yaml",           "destination: no path of links joins 'a' to 'b'", 10},
    {"topology_source_is_switch.yaml",  "source: 'core' is not a host of the topology; hosts: a, b", 11},
    {"topology_and_link.yaml",          "link: a scenario with a topology describes its links there", 5},
    {"topology_link_typo.yaml",         "topology.links[0].latncy: unknown key 'latncy' (did you mean latency?)", 8},
    {"source_without_topology.yaml",    "source: 'source' names a host of a topology; this scenario has none", 5},
    {"streams_zero.yaml",               "migration.streams: 0 is out of range: must be at least 1", 4},
    {"tcp_window_tiny_over_wan.yaml",   "tcp.window: one pass over 1TiB", 6},
    {"link_loss_out_of_range.yaml",     "link.loss: 0.5 is out of range", 4},
    {"memtester_loop_too_long.yaml",    "workload.bandwidth: one memtester loop over this buffer would last more than", 2},
    {"region_past_memory.yaml",         "workload.size: region 1MiB + 512MiB extends past guest memory", 2},
    {"yaml_lone_comma.yaml",            "malformed YAML", 1},
    {"yaml_unclosed_flow_map.yaml",     "workload.rate: malformed YAML", 3},
    {"yaml_self_alias.yaml",            "name: alias '*x' refers to a node that contains it", 5},
    {"yaml_alias_bomb.yaml",            "the file expands to more than 1000000 values", 7},
    {"yaml_deep_nesting.yaml",          "description: nesting is deeper than 64 levels", 4},
    {"yaml_python_tag.yaml",            "name: tag '!!python/object/apply:os.system' is not allowed", 5},
    {"yaml_custom_tag.yaml",            "vm: tag '!custom' is not allowed", 1},
    {"yaml_str_tag_on_number.yaml",     "migration.max_rounds: expected a whole number, at least 0, at most 10000, not the quoted text \"3\"", 4},
    {"yaml_bom_only.yaml",              "the file holds no YAML document", 1},
    {"yaml_list_as_key.yaml",           "vm: a key must be a plain word, not a list", 3},
    {"invalid_utf8.yaml",               "is not valid UTF-8", 5},
    {"json_number_overflow.json",       "malformed JSON: number overflow parsing '1e309'", 3},
    {"directory_named_like_a_scenario.yaml", "is a directory, not a scenario file", 0},
    {"framing_header_overflow.yaml",    "migration.page_header_bytes: 9223372036854775807 is out of range: must be at least 0, at most 4096", 4},
    {"region_offset_overflow.yaml",     "workload.offset: 8000000TiB is out of range: must be at least 0B, at most 4TiB", 2},
    {"memtester_offset_overflow.yaml",  "workload.offset: 8000000TiB is out of range", 2},
    {"memtester_offset_past_memory.yaml", "workload.offset: offset 2GiB is beyond guest memory (1GiB)", 2},
    {"link_bandwidth_overflow.yaml",    "link.bandwidth: ", 5},
    {"page_size_not_power_of_two.yaml", "vm.page_size: 3000B is not a power of two", 1},
    {"swept_key_invalid_base.yaml",     "vm.memory: expected a size", 2},
    {"background_typo_type.yaml",       "background.type: 'unifrom' is not one of: idle, sequential, uniform, hotcold, memtester, read_heavy, desktop, trace (did you mean uniform?)", 4},
    {"background_region_past_memory.yaml", "background.size: region 0B + 128MiB extends past guest memory (64MiB)", 6},
    {"algorithm_block_typo.yaml",       "migration.post_copy.push_ordr: unknown key 'push_ordr' (did you mean push_order?)", 6},
    {"algorithm_block_set_twice.yaml",  "migration.three_stage.prepull_pages: 'prepull_pages' is also set in migration itself", 8},
    {"algorithm_block_not_a_mapping.yaml", "migration.three_stage: expected a mapping of three_stage parameters", 6},
    {"algorithm_block_out_of_range.yaml", "migration.three_stage.dirty_page_overhead_bytes: 5000 is out of range: must be at least 0, at most 4096", 6},
    {"compression_level_not_calibrated.yaml", "migration.compression.level: zstd level 5 was not calibrated; allowed: 1, 3, 9", 6},
    {"compression_unknown_codec.yaml",  "migration.compression.codec: 'gzip' is not one of: none, lz4, zstd", 6},
    {"storage_unknown_preset.yaml",     "storage.preset: 'san' is not one of: nas, nas_10g, local_ssd (did you mean nas?)", 4},
    {"content_fractions_over_one.yaml", "vm.storage_fraction: zero, duplicate, storage, text, sparse and random fractions add up to 1.1; at most 1 is allowed", 4},
    {"desktop_regions_do_not_fit.yaml", "workload.os_fraction: os_fraction + edit_fraction", 6},
    {"memory_compare_bad_mode.yaml",    "migration.compare: 'always' is not one of: first_pass, every_round", 6},
    {"disk_not_a_mapping.yaml",         "workload.disk: expected a mapping of disk I/O parameters", 5},
    {"disk_request_too_big.yaml",       "workload.disk.read_size: read_size 128MiB does not fit in the page-cache region (64MiB)", 5},
    {"post_copy_without_stale_tracking.yaml", "vm.track_stale: algorithm post_copy runs the guest at the destination", 4},
    {"post_copy_bad_push_order.yaml",   "migration.push_order: 'random' is not one of", 5},
    {"swept_value_invalid.yaml",        "vm.memory: 3000B is out of range: must be at least 4KiB, at most 4TiB (in the sweep point vm.memory=3000B)", 6},
    {"quoted_seed.yaml",                "seed: expected a whole number, at least 0, at most 9223372036854775807, not the quoted text \"7\"", 1},
    {"quoted_replications.yaml",        "replications: expected a whole number, at least 1, at most 1000000000000, not the quoted text", 1},
    {"missing_host_section.yaml",       "host.hypervisor: missing required key 'hypervisor'", 1},
    {"rate_too_high.yaml",              "workload.rate: 10000000000000/s is out of range", 2},
    {"trace_missing_file.yaml",         "no-such.trace: cannot open: No such file or directory", 4},
    {"trace_not_a_trace.yaml",          "empty.yaml: not a migsim trace", 6},
    {"trace_bad_remap.yaml",            "workload.remap: 'stretch' is not one of: none, scale, wrap", 4},
    {"figures_not_a_list.yaml",         "figures: expected a list of figure specs", 5},
    {"trace_is_a_device.yaml",          "workload.path: /dev/zero: not a regular file", 4},
    {"trace_no_path.yaml",              "workload.path: a trace workload needs `path`", 4},
};
// clang-format on

std::string bad(const char* file) {
  return std::string(MIGSIM_SOURCE_DIR) + "/tests/bad_input/" + file;
}

}  // namespace

TEST_CASE("every broken scenario is rejected with exit 2, naming file, line and key",
          "[cli][bad-input]") {
  std::size_t files_on_disk = 0;
  for (const auto& e :
       std::filesystem::directory_iterator(std::string(MIGSIM_SOURCE_DIR) + "/tests/bad_input")) {
    (void)e;
    ++files_on_disk;
  }
  CHECK(files_on_disk == std::size(kCases));  // every file on disk is in the table
  CHECK(std::size(kCases) >= 20);
  for (const Case& c : kCases) {
    INFO(c.file);
    const auto r = migsim::test::run_cli("validate " + bad(c.file));
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.output, Catch::Contains(c.key));
    const std::string where = bad(c.file) + (c.line > 0 ? ":" + std::to_string(c.line) + ":" : "");
    CHECK_THAT(r.output, Catch::Contains(where));
    CHECK_THAT(r.output, !Catch::Contains("terminate") && !Catch::Contains("Aborted"));
    // `run` rejects exactly what `validate` rejects, before writing anything.
    const std::filesystem::path out = migsim::test::temp_dir("bad-input-run");
    const auto run = migsim::test::run_cli("run --quiet " + bad(c.file) + " --out " + out.string());
    CHECK(run.exit_code == 2);
    CHECK_FALSE(std::filesystem::exists(out / "results.jsonl"));
  }
}

TEST_CASE("run refuses bad input before writing anything", "[cli][bad-input]") {
  const std::filesystem::path dir = migsim::test::temp_dir("bad-run");
  const auto r =
      migsim::test::run_cli("run " + bad("missing_unit.yaml") + " --out " + dir.string());
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.output, Catch::Contains("workload.dirty_rate"));
  CHECK_FALSE(std::filesystem::exists(dir / "results.jsonl"));
}

TEST_CASE("a missing file or unknown file type is bad input", "[cli][bad-input]") {
  auto r = migsim::test::run_cli("validate /nonexistent/scenario.yaml");
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.output,
             Catch::Contains("/nonexistent/scenario.yaml") && Catch::Contains("cannot open"));
  r = migsim::test::run_cli("validate " + std::string(MIGSIM_SOURCE_DIR) + "/CMakeLists.txt");
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.output, Catch::Contains("unknown file type"));
}
