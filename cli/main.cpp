// The migsim executable: argument parsing and wiring only.
//   migsim run FILE... [--out DIR] [--jobs N] [--quiet] [--shard I/N]
//   migsim merge OUT DIR...
//   migsim validate FILE...
//   migsim list [algorithms|workloads|presets|metrics|scenario]
//   migsim schema
//   migsim compare BASELINE CURRENT [--tolerances FILE] [--by replicate|mean]
//   migsim trace info|synth ..., migsim record ..., migsim import ..., migsim fit TRACE
// Exit codes: 0 success, 2 bad input (scenario or command line), 1 a run failed.
#include <fmt/format.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "analysis/compare.h"
#include "analysis/merge.h"
#include "analysis/summary.h"
#include "cli/commands.h"
#include "models/host/hypervisor.h"
#include "models/migration/algorithm.h"
#include "models/migration/metrics.h"
#include "models/network/link.h"
#include "models/storage/storage.h"
#include "scenarios/batch.h"
#include "scenarios/run.h"
#include "scenarios/scenario.h"
#include "scenarios/schema.h"
#include "workloads/workload.h"

namespace po = boost::program_options;
using namespace migsim;

namespace {

using cli::kExitBadInput;
using cli::kExitRunFailed;
using cli::UsageError;
// More threads than this only adds contention; runs are CPU-bound and independent.
constexpr int kMaxJobs = 256;

const char* const kUsage =
    "usage: migsim <command> [options]\n"
    "\n"
    "commands:\n"
    "  run FILE... [--out DIR] [--jobs N] [--quiet] [--shard I/N]\n"
    "                      run scenario files; write DIR/results.jsonl, DIR/results.csv,\n"
    "                      DIR/summary.txt and DIR/manifest.json; print a summary table;\n"
    "                      --shard runs only every N-th run from run I (0 <= I < N)\n"
    "  merge OUT DIR...    put the outputs of all N shards of a sweep together in OUT, as one\n"
    "                      unsharded run writes them\n"
    "  validate FILE...    check scenario files (and their sweeps) without running them\n"
    "  list [algorithms|workloads|presets|metrics|scenario]\n"
    "                      every parameter with its type, default and help\n"
    "  schema              print a JSON Schema of scenario files (for editors)\n"
    "  compare BASELINE CURRENT [--tolerances FILE] [--by replicate|mean]\n"
    "                      check CURRENT's metrics against BASELINE's (results.jsonl files\n"
    "                      or run directories), record by record or by point means; exit 0\n"
    "                      within tolerance, 1 when a metric drifted, 2 on bad input\n"
    "  trace info TRACE    a trace file's header, size and page counts\n"
    "  trace synth FILE --interval 100ms --duration 60s --out TRACE [--point K]\n"
    "                      record what a scenario's synthetic workload writes as a trace\n"
    "  record --pid PID --interval 100ms [--duration 10s] --out TRACE\n"
    "                      record a running Linux process's written pages (soft-dirty bits;\n"
    "                      --method content compares page contents instead)\n"
    "  import --format csv|lackey INPUT --out TRACE [--interval 1ms]\n"
    "                      turn a CSV of time,page[,r|w] or valgrind lackey output into a trace\n"
    "  fit TRACE           fit hotcold, uniform and sequential to a trace's dirty-set curve\n"
    "\n"
    "options:\n"
    "  --help              this text\n"
    "  --version           print the version\n"
    "\n"
    "exit codes: 0 success, 1 a run failed, 2 bad input\n";

std::vector<std::string> parse_files(const std::vector<std::string>& args,
                                     po::options_description& opts, po::variables_map& vm) {
  opts.add_options()("file", po::value<std::vector<std::string>>(), "scenario file");
  po::positional_options_description pos;
  pos.add("file", -1);
  try {
    po::store(po::command_line_parser(args).options(opts).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError(e.what());
  }
  if (!vm.count("file")) throw UsageError("no scenario files given");
  auto files = vm["file"].as<std::vector<std::string>>();
  // The same file twice would run twice and merge its records in the summary.
  std::vector<std::pair<std::filesystem::path, std::string>> seen;
  for (const auto& f : files) {
    std::error_code ec;
    auto canonical = std::filesystem::weakly_canonical(f, ec);
    if (ec) canonical = std::filesystem::absolute(f, ec).lexically_normal();
    for (const auto& [path, name] : seen)
      if (path == canonical)
        throw UsageError("scenario file " + scenarios::printable(f) + " is given twice" +
                         (name == f ? "" : " (also as " + scenarios::printable(name) + ")"));
    seen.emplace_back(canonical, f);
  }
  return files;
}

// Makes sure the output directory exists and every results file can be written there, before
// any run starts: a bad --out is bad input (exit 2), not a failure after hours of runs.
void prepare_output(const std::filesystem::path& out) {
  namespace fs = std::filesystem;
  if (out.empty()) throw UsageError("--out is empty: name a directory for the results");
  std::error_code ec;
  if (fs::exists(out, ec) && !fs::is_directory(out, ec))
    throw UsageError("--out " + out.string() + " exists and is not a directory");
  fs::create_directories(out, ec);
  if (ec)
    throw UsageError("--out " + out.string() + ": cannot create the directory (" + ec.message() +
                     ")");
  for (const char* name : {"results.jsonl", "results.csv", "summary.txt", "manifest.json"}) {
    const fs::path p = out / name;
    if (fs::exists(p, ec) && !fs::is_regular_file(p, ec))
      throw UsageError("--out " + out.string() + ": " + name +
                       " exists there and is not a regular file");
  }
  const fs::path probe = out / (".migsim-write-test-" + std::to_string(::getpid()));
  {
    std::ofstream test(probe, std::ios::binary);
    if (!test || !(test << "x") || !test.flush())
      throw UsageError("--out " + out.string() + ": cannot write files there");
  }
  fs::remove(probe, ec);
}

std::vector<scenarios::ScenarioPoint> load_all(const std::vector<std::string>& files) {
  std::vector<scenarios::ScenarioPoint> points;
  for (const auto& f : files) {
    auto p = scenarios::load_scenario(f);
    for (auto& x : p) points.push_back(std::move(x));
  }
  return points;
}

int cmd_validate(const std::vector<std::string>& args) {
  po::options_description opts("validate");
  po::variables_map vm;
  const auto files = parse_files(args, opts, vm);
  int status = 0;
  for (const auto& f : files) {
    try {
      const auto points = scenarios::load_scenario(f);
      std::size_t runs = 0;
      for (const auto& p : points) runs += static_cast<std::size_t>(p.replications);
      fmt::print("{}: ok ({} point{}, {} run{})\n", f, points.size(), points.size() == 1 ? "" : "s",
                 runs, runs == 1 ? "" : "s");
    } catch (const scenarios::ScenarioError& e) {
      std::cerr << "error: " << e.what() << "\n";
      status = kExitBadInput;
    }
  }
  return status;
}

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

int cmd_run(const std::vector<std::string>& args, const std::string& command_line) {
  po::options_description opts("run");
  opts.add_options()("out", po::value<std::string>()->default_value("results"), "output directory")(
      "jobs",
      po::value<int>()->default_value(
          static_cast<int>(std::max(1U, std::thread::hardware_concurrency()))),
      "parallel runs")("quiet", po::bool_switch(), "no summary table, no progress")(
      "shard", po::value<std::string>(), "I/N: run only runs I, I+N, I+2N, ... (0 <= I < N)");
  po::variables_map vm;
  const auto files = parse_files(args, opts, vm);
  if (vm["jobs"].as<int>() < 1 || vm["jobs"].as<int>() > kMaxJobs)
    throw UsageError("--jobs must be between 1 and " + std::to_string(kMaxJobs) + "; got " +
                     std::to_string(vm["jobs"].as<int>()));
  const auto jobs = static_cast<unsigned>(vm["jobs"].as<int>());
  const bool quiet = vm["quiet"].as<bool>();

  std::int64_t shard_index = 0, shard_count = 1;
  if (vm.count("shard")) {
    const std::string text = vm["shard"].as<std::string>();
    const auto slash = text.find('/');
    try {
      std::size_t used_i = 0, used_n = 0;
      shard_index = std::stoll(text.substr(0, slash), &used_i);
      shard_count = std::stoll(text.substr(slash + 1), &used_n);
      if (slash == std::string::npos || used_i != slash || used_n != text.size() - slash - 1)
        throw std::invalid_argument("form");
    } catch (const std::exception&) {
      throw UsageError("--shard takes I/N (two whole numbers, 0 <= I < N), not '" + text + "'");
    }
    if (shard_count < 1 || shard_count > 1000000 || shard_index < 0 || shard_index >= shard_count)
      throw UsageError("--shard " + text + ": need 1 <= N <= 1000000 and 0 <= I < N");
  }

  const auto points = load_all(files);  // all input errors before any run
  const auto all_tasks = scenarios::plan_runs(points);
  // A shard takes every N-th run from its index: heavy and light sweep points spread evenly.
  std::vector<scenarios::RunTask> tasks;
  for (std::size_t i = 0; i < all_tasks.size(); ++i)
    if (static_cast<std::int64_t>(i % static_cast<std::size_t>(shard_count)) == shard_index)
      tasks.push_back(all_tasks[i]);
  const std::filesystem::path out = vm["out"].as<std::string>();
  prepare_output(out);

  const bool interactive = !quiet && isatty(STDERR_FILENO) && tasks.size() > 1;
  const auto started = std::chrono::steady_clock::now();
  const std::string started_utc = utc_now();
  std::vector<scenarios::RunOutput> outputs;
  try {
    outputs = scenarios::run_all(tasks, jobs, [&](std::size_t done, std::size_t total) {
      if (!interactive) return;
      const double elapsed =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      fmt::print(stderr, "\r[{}/{}] runs done, {:.1f} s elapsed", done, total, elapsed);
      if (done == total) fmt::print(stderr, "\n");
    });
  } catch (const std::exception& e) {
    if (interactive) fmt::print(stderr, "\n");
    std::cerr << "error: run failed: " << e.what() << "\n";
    return kExitRunFailed;
  }
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  std::string jsonl;
  std::vector<scenarios::Json> records;
  for (auto& o : outputs) {
    jsonl += o.lines;
    for (scenarios::Json& head : o.heads) records.push_back(std::move(head));
  }
  write_file(out / "results.jsonl", jsonl);
  write_file(out / "results.csv", analysis::to_csv(records));
  const std::string table = analysis::format_table(analysis::summarize(records));
  write_file(out / "summary.txt", table);
  char host[256] = "unknown";
  gethostname(host, sizeof host - 1);
  scenarios::Json manifest{
      {"migsim_version", scenarios::kVersion},
      {"command", command_line},
      {"files", files},
      {"started_utc", started_utc},
      {"wall_time_s", wall},
      {"jobs", jobs},
      {"runs", records.size()},
      {"hostname", host},
      {"hardware_threads", std::thread::hardware_concurrency()},
      {"metrics", analysis::metrics_json()},
  };
  if (vm.count("shard"))
    manifest["shard"] = {
        {"index", shard_index}, {"count", shard_count}, {"runs_total", all_tasks.size()}};
  // The command line may hold bytes that are not UTF-8 (an --out path): escape, never fail.
  write_file(out / "manifest.json",
             manifest.dump(2, ' ', false, scenarios::Json::error_handler_t::replace) + "\n");
  if (!quiet) {
    fmt::print("{}", table);
    fmt::print(
        "{} runs ({} records) in {:.2f} s wall time; results in {}/results.jsonl and "
        "results.csv\n",
        tasks.size(), records.size(), wall, out.string());
  }
  return 0;
}

void print_params(sim::ParamSet& set) {
  sim::for_each_param(set, [](const sim::ParamDecl& d) {
    std::string type = d.type_name();
    if (!d.unit.empty()) type += " (" + std::string(d.unit) + ")";
    fmt::print("    {:<22} {:<18} default {:<14} {}\n", d.name, type, d.text(), d.help);
    fmt::print("    {:<22} {:<18} {:<22} allowed: {}\n", "", "", "", d.allowed());
  });
}

template <class P>
void print_struct(P params) {
  sim::ParamSetOf<P> set(params);
  print_params(set);
}

void list_compression() {
  fmt::print(
      "\nCompression (migration.compression, any algorithm; ratio and speed per content class "
      "from bench/codec_calibration.txt):\n");
  print_struct(migration::CompressionParams{});
}

void list_algorithms() {
  fmt::print("Algorithms (migration.algorithm); defaults come from host.hypervisor:\n");
  for (const auto& a : migration::algorithms().entries()) {
    fmt::print("\n  {}: {}\n", a.name, a.help);
    for (auto hv : host::hypervisor_presets().names()) {
      fmt::print("   with hypervisor {}:\n", hv);
      auto params = a.make_params(hv);
      print_params(*params);
    }
  }
  list_compression();
}

void list_workloads() {
  fmt::print("Workloads (workload.type):\n");
  for (const auto& w : workloads::workloads().entries()) {
    fmt::print("\n  {}: {}\n", w.name, w.help);
    auto params = w.make_params();
    print_params(*params);
  }
}

void list_metrics() {
  fmt::print("Metrics (the \"metrics\" object of each record; results.csv columns):\n\n");
  for (const auto& m : migration::metric_decls()) {
    std::string who = "every algorithm";
    if (!m.algorithms.empty()) {
      who.clear();
      for (auto a : m.algorithms) who += (who.empty() ? "" : ", ") + std::string(a);
    }
    fmt::print("  {:<24} {:<7} {}\n  {:<24} {:<7} reported by: {}\n", m.name, m.unit, m.help, "",
               "", who);
  }
}

void list_presets() {
  fmt::print("Hypervisor presets (host.hypervisor):\n");
  for (const auto& h : host::hypervisor_presets().entries()) {
    fmt::print("\n  {}: {}\n", h.name, h.help);
    print_struct(h.defaults);
  }
  fmt::print("\nLink presets (link.preset; default gigabit):\n");
  for (const auto& l : net::link_presets().entries()) {
    fmt::print("\n  {}: {}\n", l.name, l.help);
    print_struct(l.defaults);
  }
  fmt::print("\nStorage presets (storage.preset; default nas):\n");
  for (const auto& s : storage::storage_presets().entries()) {
    fmt::print("\n  {}: {}\n", s.name, s.help);
    print_struct(s.defaults);
  }
}

void list_scenario() {
  fmt::print("Scenario keys: ");
  for (auto k : scenarios::kTopLevelKeys) fmt::print("{} ", k);
  fmt::print(
      "\n  name, description: text\n  seed: whole number >= 0 (default 1)\n"
      "  storage: the VM's shared storage: preset (nas, nas_10g, local_ssd) and its parameters\n"
      "  replications: whole number >= 1 (default 1)\n"
      "  workload: type (see list workloads) and its parameters\n"
      "  background: optional; a second workload running alongside (the guest OS's own\n"
      "    writes, a co-located job): any workload type, the same parameters\n"
      "  migration: algorithm and its parameters; a block named after an algorithm\n"
      "    (three_stage: {{dirty_page_overhead_bytes: 512}}) applies only when that one runs;\n"
      "    compression: {{codec, level, threads, policy}} encodes pages for any algorithm;\n"
      "    streams: TCP connections the pages are spread over (default 1)\n"
      "  link: one full-duplex link from source to destination: preset (gigabit, 10gigabit,\n"
      "    metro, wan; see list presets) and bandwidth, latency, efficiency, loss\n"
      "  topology: instead of link: hosts: [names], switches: [names], links: a list of\n"
      "    {{between: [node, node], preset, bandwidth, latency, efficiency, loss}}; routes are\n"
      "    shortest paths by latency (fewest hops among equals); flows on a link share it\n"
      "    max-min fairly\n"
      "  source, destination: the topology hosts the VM leaves and reaches (default: the\n"
      "    first two hosts)\n"
      "  vms: several migrations in one simulation: a list of VMs, each a mapping with keys\n"
      "    name, count (identical VMs, default 1), vm, workload, background, migration, host,\n"
      "    storage, source, destination; an item's section replaces the top-level one of the\n"
      "    same name (top-level sections are the defaults). Writes one record per VM\n"
      "    (\"record\": \"vm\", vm_index, vm_name) and a batch record (\"record\": \"batch\":\n"
      "    makespan_s, downtime_sum_s, downtime_max_s, ..., bytes per link)\n"
      "  schedule: max_concurrent: migrations at once, in list order (0: all, 1: one after\n"
      "    another)\n"
      "  cross_traffic: a list of TCP transfers {{from, to, rate, start, duration, streams}}\n"
      "    sharing the links (rate 0: greedy; duration 0: until the last migration ends)\n"
      "  sweep: mapping from section.key (vm.memory, migration.algorithm, ...), "
      "vms[i].section.key\n"
      "    (one VM) or cross_traffic[i].key to a list of values\n"
      "\n  vm:\n");
  print_struct(vm::VmParams{});
  fmt::print(
      "\n  tcp (every TCP connection; throughput <= min(window/RTT, Mathis, fair share)):\n");
  print_struct(net::TcpParams{});
  fmt::print("\n  schedule:\n");
  print_struct(scenarios::ScheduleParams{});
  fmt::print("\n  cross_traffic items:\n");
  print_struct(scenarios::CrossTrafficParams{});
}

int cmd_list(const std::vector<std::string>& args) {
  const std::string what = args.empty() ? "all" : args[0];
  if (args.size() > 1) throw UsageError("list takes at most one argument");
  if (what == "algorithms")
    list_algorithms();
  else if (what == "workloads")
    list_workloads();
  else if (what == "presets")
    list_presets();
  else if (what == "scenario")
    list_scenario();
  else if (what == "metrics")
    list_metrics();
  else if (what == "all") {
    list_scenario();
    fmt::print("\n");
    list_workloads();
    fmt::print("\n");
    list_presets();
    fmt::print("\n");
    list_algorithms();
    fmt::print("\n");
    list_metrics();
  } else {
    throw UsageError("unknown list topic '" + what +
                     "': use algorithms, workloads, presets, metrics or scenario");
  }
  return 0;
}

int cmd_merge(const std::vector<std::string>& args) {
  if (args.size() < 2) throw UsageError("merge needs OUT and at least one shard directory");
  for (const auto& a : args)
    if (!a.empty() && a[0] == '-') throw UsageError("merge takes no options: " + a);
  const std::filesystem::path out = args[0];
  analysis::Merged merged;
  try {
    std::vector<analysis::ShardOutput> shards;
    for (std::size_t i = 1; i < args.size(); ++i) shards.push_back(analysis::read_shard(args[i]));
    merged = analysis::merge_shards(shards);
  } catch (const analysis::CompareInputError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return kExitBadInput;
  }
  prepare_output(out);
  std::string jsonl;
  for (const auto& line : merged.lines) jsonl += line + "\n";
  write_file(out / "results.jsonl", jsonl);
  write_file(out / "results.csv", analysis::to_csv(merged.heads));
  const std::string table = analysis::format_table(analysis::summarize(merged.heads));
  write_file(out / "summary.txt", table);
  merged.manifest["migsim_version"] = scenarios::kVersion;
  merged.manifest["metrics"] = analysis::metrics_json();
  write_file(out / "manifest.json",
             merged.manifest.dump(2, ' ', false, scenarios::Json::error_handler_t::replace) + "\n");
  fmt::print("merged {} shards: {} runs, {} records in {}/results.jsonl\n", args.size() - 1,
             merged.manifest["runs"].get<std::int64_t>(), merged.lines.size(), out.string());
  return 0;
}

int cmd_compare(const std::vector<std::string>& args) {
  po::options_description opts("compare");
  opts.add_options()("tolerances", po::value<std::string>(), "tolerance file")(
      "by", po::value<std::string>()->default_value("replicate"), "replicate or mean");
  po::options_description hidden;
  hidden.add_options()("files", po::value<std::vector<std::string>>()->composing());
  po::options_description all;
  all.add(opts).add(hidden);
  po::positional_options_description pos;
  pos.add("files", -1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(all).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError(e.what());
  }
  const auto files =
      vm.count("files") ? vm["files"].as<std::vector<std::string>>() : std::vector<std::string>{};
  if (files.size() != 2) throw UsageError("compare needs two results: BASELINE CURRENT");
  const std::string by = vm["by"].as<std::string>();
  if (by != "replicate" && by != "mean")
    throw UsageError("--by must be replicate or mean, not '" + by + "'");
  analysis::Tolerances tolerances;
  if (vm.count("tolerances"))
    tolerances = analysis::load_tolerances(vm["tolerances"].as<std::string>());
  try {
    const auto comparison = analysis::compare(
        analysis::read_records(files[0]), analysis::read_records(files[1]), tolerances,
        by == "mean" ? analysis::CompareMode::kMean : analysis::CompareMode::kReplicate);
    std::cout << analysis::format_comparison(comparison);
    return comparison.drifts.empty() ? 0 : 1;
  } catch (const analysis::CompareInputError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return kExitBadInput;
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string command_line = "migsim";
  for (const auto& a : args) command_line += " " + a;
  try {
    if (args.empty()) throw UsageError("no command given");
    const std::string cmd = args[0];
    const std::vector<std::string> rest(args.begin() + 1, args.end());
    if (cmd == "--help" || cmd == "-h" || cmd == "help") {
      std::cout << kUsage;
      return 0;
    }
    if (cmd == "--version") {
      fmt::print("migsim {}\n", scenarios::kVersion);
      return 0;
    }
    for (const auto& a : rest)
      if (a == "--help" || a == "-h") {
        std::cout << kUsage;
        return 0;
      }
    if (cmd == "run") return cmd_run(rest, command_line);
    if (cmd == "validate") return cmd_validate(rest);
    if (cmd == "list") return cmd_list(rest);
    if (cmd == "compare") return cmd_compare(rest);
    if (cmd == "merge") return cmd_merge(rest);
    if (cmd == "trace") return cli::cmd_trace(rest);
    if (cmd == "record") return cli::cmd_record(rest, command_line);
    if (cmd == "import") return cli::cmd_import(rest, command_line);
    if (cmd == "fit") return cli::cmd_fit(rest);
    if (cmd == "schema") {
      if (!rest.empty()) throw UsageError("schema takes no arguments");
      std::cout << scenarios::scenario_schema().dump(2) << "\n";
      return 0;
    }
    throw UsageError("unknown command '" + cmd + "'");
  } catch (const UsageError& e) {
    std::cerr << "error: " << e.what() << "\n\n" << kUsage;
    return kExitBadInput;
  } catch (const scenarios::ScenarioError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return kExitBadInput;
  } catch (const cli::BadInput& e) {
    std::cerr << "error: " << e.what() << "\n";
    return kExitBadInput;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return kExitRunFailed;
  }
}
