// The trace commands: argument parsing and wiring only.
//   migsim trace info TRACE
//   migsim trace synth SCENARIO --interval D --duration D --out TRACE [--point K] [--replicate R]
//   migsim record --pid PID --interval D [--duration D] --out TRACE [--method ...] [--memory SIZE]
//   migsim import --format csv|lackey INPUT --out TRACE [--interval D] [--memory SIZE]
//   migsim fit TRACE
#include <fmt/format.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bit>
#include <boost/program_options.hpp>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "analysis/fit.h"
#include "cli/commands.h"
#include "scenarios/run.h"
#include "scenarios/scenario.h"
#include "workloads/trace_file.h"
#include "workloads/trace_import.h"
#include "workloads/trace_record.h"

namespace po = boost::program_options;

namespace migsim::cli {
namespace {

po::variables_map parse(const std::vector<std::string>& args, po::options_description& opts,
                        const char* positional, int count) {
  po::positional_options_description pos;
  if (positional) pos.add(positional, count);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(opts).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError(e.what());
  }
  return vm;
}

sim::Duration duration_option(const po::variables_map& vm, const char* name) {
  sim::Duration d;
  std::string error;
  if (!sim::parse_duration(vm[name].as<std::string>(), d, error))
    throw UsageError(std::string("--") + name + ": " + error);
  if (d.count_ns() <= 0) throw UsageError(std::string("--") + name + " must be positive");
  return d;
}

sim::Bytes bytes_option(const po::variables_map& vm, const char* name) {
  sim::Bytes b;
  std::string error;
  if (!sim::parse_bytes(vm[name].as<std::string>(), b, error))
    throw UsageError(std::string("--") + name + ": " + error);
  return b;
}

std::string size_text(std::uint64_t bytes) {
  if (bytes >= (1u << 20)) return fmt::format("{:.2f} MiB", static_cast<double>(bytes) / (1 << 20));
  if (bytes >= (1u << 10)) return fmt::format("{:.1f} KiB", static_cast<double>(bytes) / (1 << 10));
  return fmt::format("{} B", bytes);
}

void print_summary(const workloads::Trace& t, const std::string& name) {
  const workloads::TraceHeader& h = t.header();
  const std::uint64_t file_bytes = workloads::serialise_trace(t).size();
  fmt::print("{}: migsim trace v{}, {}\n", name, workloads::kTraceVersion, size_text(file_bytes));
  fmt::print("  source        {}\n", h.source.empty() ? "(not given)" : h.source);
  fmt::print("  memory        {} ({} pages of {})\n",
             sim::format_bytes(sim::Bytes{static_cast<std::int64_t>(h.pages * h.page_size)}),
             h.pages, sim::format_bytes(sim::Bytes{static_cast<std::int64_t>(h.page_size)}));
  fmt::print("  frames        {} x {} = {}\n", t.frames(),
             sim::format_duration(sim::Duration::ns(h.interval_ns)),
             sim::format_duration(sim::Duration::ns(t.duration_ns())));
  fmt::print("  written       {} page writes, {} distinct pages ({:.1f}% of memory)\n",
             t.written_pages_total(), t.distinct_written(),
             100.0 * static_cast<double>(t.distinct_written()) / static_cast<double>(h.pages));
  if (h.has_reads) fmt::print("  read          {} page reads\n", t.read_pages_total());
  if (h.has_disk)
    fmt::print("  disk          {} read, {} written, {} requests\n",
               size_text(t.disk_total().read_bytes), size_text(t.disk_total().write_bytes),
               t.disk_total().requests);
  if (t.written_pages_total() > 0)
    fmt::print("  encoding      {:.2f} bytes per written page (body {})\n",
               static_cast<double>(t.body().size()) /
                   static_cast<double>(t.written_pages_total() + t.read_pages_total()),
               size_text(t.body().size()));
  fmt::print("  xxh3          {:016x}\n", t.digest());
}

std::shared_ptr<const workloads::Trace> open_trace(const std::string& path) {
  try {
    return workloads::read_trace(path);
  } catch (const workloads::TraceError& e) {
    throw BadInput(e.what());
  }
}

int cmd_trace_info(const std::vector<std::string>& args) {
  po::options_description opts("trace info");
  opts.add_options()("trace", po::value<std::vector<std::string>>(), "trace files");
  const auto vm = parse(args, opts, "trace", -1);
  if (!vm.count("trace")) throw UsageError("trace info needs a trace file");
  for (const auto& f : vm["trace"].as<std::vector<std::string>>()) print_summary(*open_trace(f), f);
  return 0;
}

int cmd_trace_synth(const std::vector<std::string>& args) {
  po::options_description opts("trace synth");
  opts.add_options()("scenario", po::value<std::string>(), "scenario file")(
      "interval", po::value<std::string>()->default_value("100ms"), "frame interval")(
      "duration", po::value<std::string>(), "trace length")("out", po::value<std::string>(),
                                                            "trace file to write")(
      "point", po::value<std::int64_t>()->default_value(0), "sweep point")(
      "replicate", po::value<std::int64_t>()->default_value(0), "replicate");
  const auto vm = parse(args, opts, "scenario", 1);
  if (!vm.count("scenario")) throw UsageError("trace synth needs a scenario file");
  if (!vm.count("duration")) throw UsageError("trace synth needs --duration");
  if (!vm.count("out")) throw UsageError("trace synth needs --out TRACE");
  const sim::Duration interval = duration_option(vm, "interval");
  const sim::Duration duration = duration_option(vm, "duration");
  if (duration.count_ns() % interval.count_ns() != 0)
    throw UsageError("--duration must be a whole number of --interval");
  const auto points = scenarios::load_scenario(vm["scenario"].as<std::string>());
  const std::int64_t point = vm["point"].as<std::int64_t>();
  if (point < 0 || point >= static_cast<std::int64_t>(points.size()))
    throw UsageError(fmt::format("--point {}: the scenario has {} point(s), 0 to {}", point,
                                 points.size(), points.size() - 1));
  const std::int64_t replicate = vm["replicate"].as<std::int64_t>();
  if (replicate < 0) throw UsageError("--replicate must be at least 0");
  const auto frames = static_cast<std::uint64_t>(duration.count_ns() / interval.count_ns());
  const auto trace = scenarios::synthesize_trace(points[static_cast<std::size_t>(point)], replicate,
                                                 interval, frames);
  const std::string out = vm["out"].as<std::string>();
  workloads::write_trace(out, *trace);
  print_summary(*trace, out);
  return 0;
}

volatile bool interrupted = false;

// Starts `command` stopped before exec (it waits on a pipe), so recording sees it from its first
// instruction; returns its PID and the pipe's write end (close it to let the command run).
std::pair<pid_t, int> spawn_waiting(const std::vector<std::string>& command) {
  int go[2];
  if (::pipe(go) != 0) throw BadInput(std::string("pipe: ") + std::strerror(errno));
  const pid_t pid = ::fork();
  if (pid < 0) throw BadInput(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    ::close(go[1]);
    char c;
    (void)::read(go[0], &c, 1);
    ::close(go[0]);
    std::vector<char*> argv;
    for (const auto& a : command) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execvp(argv[0], argv.data());
    std::fprintf(stderr, "error: cannot run %s: %s\n", argv[0], std::strerror(errno));
    ::_exit(127);
  }
  ::close(go[0]);
  return {pid, go[1]};
}

// The command line as a shell would take it back (arguments with spaces or quotes quoted).
std::string shell_line(const std::string& head, const std::vector<std::string>& args) {
  std::string out = head;
  for (const auto& a : args) {
    out += ' ';
    if (!a.empty() && a.find_first_of(" \t\"'\\$&;|<>()*?`") == std::string::npos) {
      out += a;
      continue;
    }
    out += '\'';
    for (const char c : a) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    out += '\'';
  }
  return out;
}

}  // namespace

int cmd_record(const std::vector<std::string>& all_args, const std::string&) {
  const std::string command_line = shell_line("migsim record", all_args);
  // Everything after `--` is a command to start and record.
  auto dashdash = std::find(all_args.begin(), all_args.end(), "--");
  const std::vector<std::string> args(all_args.begin(), dashdash);
  const std::vector<std::string> command(dashdash == all_args.end() ? dashdash : dashdash + 1,
                                         all_args.end());
  po::options_description opts("record");
  opts.add_options()("pid", po::value<std::int64_t>(), "process to record")(
      "interval", po::value<std::string>()->default_value("100ms"), "sampling interval")(
      "duration", po::value<std::string>(), "how long to record")("out", po::value<std::string>(),
                                                                  "trace file")(
      "method", po::value<std::string>()->default_value("soft-dirty"), "soft-dirty or content")(
      "children", po::bool_switch(), "record the process's descendants too")(
      "memory", po::value<std::string>(), "guest memory size");
  const auto vm = parse(args, opts, nullptr, 0);
  if (vm.count("pid") == (command.empty() ? 0u : 1u))
    throw UsageError("record needs exactly one of --pid PID and -- COMMAND...");
  if (!vm.count("out")) throw UsageError("record needs --out TRACE");
  const std::string method = vm["method"].as<std::string>();
  if (method != "soft-dirty" && method != "content")
    throw UsageError("--method must be soft-dirty or content, not '" + method + "'");
  const sim::Duration interval = duration_option(vm, "interval");
  const sim::Duration duration =
      vm.count("duration") ? duration_option(vm, "duration") : sim::Duration{};
  std::uint64_t memory_pages = 0;
  if (vm.count("memory")) {
    const sim::Bytes b = bytes_option(vm, "memory");
    const auto page = static_cast<std::int64_t>(::sysconf(_SC_PAGESIZE));
    if (b.count() <= 0 || b.count() % page != 0)
      throw UsageError("--memory must be a positive whole number of " + std::to_string(page) +
                       "-byte pages");
    memory_pages = static_cast<std::uint64_t>(b.count() / page);
  }
  workloads::RecordOptions o;
  o.method =
      method == "content" ? workloads::RecordMethod::kContent : workloads::RecordMethod::kSoftDirty;
  o.children = vm["children"].as<bool>();
  o.memory_pages = memory_pages;
  int go = -1;
  if (command.empty()) {
    const std::int64_t pid = vm["pid"].as<std::int64_t>();
    if (pid <= 0 || pid > std::numeric_limits<pid_t>::max())
      throw UsageError("--pid must be a process ID");
    o.pid = static_cast<pid_t>(pid);
  } else {
    std::tie(o.pid, go) = spawn_waiting(command);
  }
  std::shared_ptr<const workloads::Trace> trace;
  try {
    workloads::Recorder recorder(o);
    std::signal(SIGINT, [](int) { interrupted = true; });
    if (go >= 0) ::close(go);
    trace = workloads::record_trace(recorder, interval.count_ns(), duration.count_ns(),
                                    command_line, memory_pages, &interrupted);
  } catch (const workloads::RecordError& e) {
    if (go >= 0) {
      ::kill(o.pid, SIGKILL);
      ::waitpid(o.pid, nullptr, 0);
    }
    throw BadInput(e.what());
  }
  if (go >= 0) {  // the command outlived --duration: stop it
    ::kill(o.pid, SIGTERM);
    ::waitpid(o.pid, nullptr, 0);
  }
  const std::string out = vm["out"].as<std::string>();
  workloads::write_trace(out, *trace);
  print_summary(*trace, out);
  return 0;
}

int cmd_import(const std::vector<std::string>& args, const std::string&) {
  po::options_description opts("import");
  opts.add_options()("input", po::value<std::string>(), "input file (- = standard input)")(
      "format", po::value<std::string>(), "csv or lackey")("out", po::value<std::string>(),
                                                           "trace file")(
      "interval", po::value<std::string>()->default_value("1ms"), "frame interval")(
      "page-size", po::value<std::string>()->default_value("4KiB"), "page size")(
      "memory", po::value<std::string>(), "guest memory size")(
      "addresses", po::bool_switch(), "csv: the page column holds byte addresses")(
      "access-time", po::value<std::string>()->default_value("1ns"),
      "lackey: guest time per traced access")("instructions", po::bool_switch(),
                                              "lackey: count instruction fetches as reads");
  const auto vm = parse(args, opts, "input", 1);
  if (!vm.count("input")) throw UsageError("import needs an input file (or - for standard input)");
  if (!vm.count("format")) throw UsageError("import needs --format csv or --format lackey");
  if (!vm.count("out")) throw UsageError("import needs --out TRACE");
  const std::string format = vm["format"].as<std::string>();
  if (format != "csv" && format != "lackey")
    throw UsageError("--format must be csv or lackey, not '" + format + "'");
  workloads::ImportOptions o;
  o.format = format == "csv" ? workloads::ImportFormat::kCsv : workloads::ImportFormat::kLackey;
  o.interval_ns = duration_option(vm, "interval").count_ns();
  const sim::Bytes page = bytes_option(vm, "page-size");
  if (page.count() < 512 || page.count() > (1 << 30) ||
      !std::has_single_bit(static_cast<std::uint64_t>(page.count())))
    throw UsageError("--page-size must be a power of two from 512B to 1GiB");
  o.page_size = static_cast<std::uint64_t>(page.count());
  if (vm.count("memory")) {
    const sim::Bytes b = bytes_option(vm, "memory");
    if (b.count() <= 0 || b.count() % page.count() != 0)
      throw UsageError("--memory must be a positive whole number of pages");
    o.memory_pages = static_cast<std::uint64_t>(b.count() / page.count());
  }
  o.addresses = vm["addresses"].as<bool>();
  o.access_ns = duration_option(vm, "access-time").count_ns();
  o.instructions = vm["instructions"].as<bool>();
  o.source = shell_line("migsim import", args);
  const std::string input = vm["input"].as<std::string>();
  std::shared_ptr<const workloads::Trace> trace;
  try {
    if (input == "-") {
      trace = workloads::import_trace(std::cin, "(standard input)", o);
    } else {
      std::ifstream in(input);
      if (!in) throw BadInput(input + ": cannot open: " + std::strerror(errno));
      trace = workloads::import_trace(in, input, o);
    }
  } catch (const workloads::ImportError& e) {
    throw BadInput(e.what());
  }
  const std::string out = vm["out"].as<std::string>();
  workloads::write_trace(out, *trace);
  print_summary(*trace, out);
  return 0;
}

int cmd_fit(const std::vector<std::string>& args) {
  po::options_description opts("fit");
  opts.add_options()("trace", po::value<std::string>(), "trace file")(
      "curve", po::value<std::string>(), "write the measured and fitted curves as CSV");
  const auto vm = parse(args, opts, "trace", 1);
  if (!vm.count("trace")) throw UsageError("fit needs a trace file");
  const std::string path = vm["trace"].as<std::string>();
  const auto trace = open_trace(path);
  const auto curve = analysis::dirty_curve(*trace);
  if (curve.empty() || curve.back().pages == 0)
    throw BadInput(path + ": the trace writes no pages");
  const auto fits = analysis::fit_workloads(*trace, curve);
  fmt::print(
      "{}: distinct pages written in a window of 0 to {}, averaged over window starts\n", path,
      sim::format_duration(sim::Duration::ns(static_cast<std::int64_t>(curve.back().t * 1e9))));
  fmt::print("  measured: {:.0f} pages after {:.3g} s, {:.0f} after {:.3g} s ({} points)\n",
             curve.front().pages, curve.front().t, curve.back().pages, curve.back().t,
             curve.size());
  fmt::print("\n{:<11} {:>10}  {}\n", "model", "fit error", "workload (fitted parameters)");
  for (const auto& f : fits) fmt::print("{:<11} {:>9.2f}%  {}\n", f.model, 100.0 * f.error, f.yaml);
  fmt::print(
      "\nfit error: RMS of (model - measured) over the curve, as a share of its largest value\n");
  if (vm.count("curve")) {
    std::ofstream out(vm["curve"].as<std::string>());
    out << "t_s,measured";
    for (const auto& f : fits) out << ',' << f.model;
    out << '\n';
    for (std::size_t i = 0; i < curve.size(); ++i) {
      out << sim::format_double(curve[i].t) << ',' << sim::format_double(curve[i].pages);
      for (const auto& f : fits) out << ',' << sim::format_double(f.predicted[i]);
      out << '\n';
    }
    if (!out) throw BadInput(vm["curve"].as<std::string>() + ": cannot write");
  }
  return 0;
}

int cmd_trace(const std::vector<std::string>& args) {
  if (args.empty()) throw UsageError("trace needs an action: info or synth");
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (args[0] == "info") return cmd_trace_info(rest);
  if (args[0] == "synth") return cmd_trace_synth(rest);
  throw UsageError("unknown trace action '" + args[0] + "' (allowed: info, synth)");
}

}  // namespace migsim::cli
