// The migsim executable: argument parsing and wiring only.
//   migsim run FILE... [--out DIR] [--jobs N] [--quiet] [--shard I/N]
//   migsim merge OUT DIR...
//   migsim validate FILE...
//   migsim list [algorithms|workloads|presets|metrics|scenario]
//   migsim schema
//   migsim compare BASELINE CURRENT [--tolerances FILE] [--by replicate|mean]
//   migsim trace info|synth ..., migsim record ..., migsim import ..., migsim fit TRACE
// Exit codes: 0 success, 2 bad input (scenario or command line), 1 a run failed.
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <optional>
#include <thread>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "analysis/compare.h"
#include "analysis/merge.h"
#include "analysis/summary.h"
#include "cli/commands.h"
#include "cli/mpi_run.h"
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
    "  run FILE... [--out DIR] [--jobs N] [--quiet] [--progress] [--shard I/N]\n"
    "                      run scenario files; write DIR/results.jsonl, DIR/results.csv,\n"
    "                      DIR/summary.txt and DIR/manifest.json; print a summary table;\n"
    "                      --shard runs only every N-th run from run I (0 <= I < N)\n"
    "  run --resume DIR    complete an interrupted (killed, failed) sweep in DIR\n"
    "  mpirun -n K migsim run --mpi FILE... [--out DIR]\n"
    "                      spread the runs over K-1 MPI ranks; rank 0 writes what run writes\n"
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
    "  plot RESULTS [--spec FILE] [--out DIR] [--data FILE]\n"
    "                      draw the figures a spec declares (default: the scenario files'\n"
    "                      `figures:`), PNG and PDF\n"
    "\n"
    "options:\n"
    "  --help              this text\n"
    "  --version           print the version\n"
    "\n"
    "exit codes: 0 success, 1 a run failed, 2 bad input\n";

// Reads the options and the positional scenario files (none is allowed here).
void parse_options(const std::vector<std::string>& args, po::options_description& opts,
                   po::variables_map& vm) {
  opts.add_options()("file", po::value<std::vector<std::string>>(), "scenario file");
  po::positional_options_description pos;
  pos.add("file", -1);
  try {
    po::store(po::command_line_parser(args).options(opts).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError(e.what());
  }
}

std::vector<std::string> parse_files(const std::vector<std::string>& args,
                                     po::options_description& opts, po::variables_map& vm) {
  parse_options(args, opts, vm);
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

// A scenario file's bytes, hashed: a resumed sweep must run the files it started with.
std::string file_digest(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  return fmt::format("{:016x}", XXH3_64bits(bytes.data(), bytes.size()));
}

void write_manifest(const std::filesystem::path& out, const scenarios::Json& manifest) {
  // Written whole to a temporary name and renamed: a kill leaves the old or the new one.
  const std::filesystem::path tmp = out / "manifest.json.tmp";
  write_file(tmp, manifest.dump(2, ' ', false, scenarios::Json::error_handler_t::replace) + "\n");
  std::filesystem::rename(tmp, out / "manifest.json");
}

// results.jsonl, appended run by run (each run's lines in one write) and fsynced in batches: at
// most every 1000 runs or 2 s, whichever comes first, and at the end.
class ResultsFile {
 public:
  ResultsFile(const std::filesystem::path& path, bool append) {
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (append ? 0 : O_TRUNC),
                 0644);
    if (fd_ < 0)
      throw std::runtime_error("cannot write " + path.string() + ": " + std::strerror(errno));
    path_ = path.string();
  }
  ~ResultsFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  void append(const std::string& lines) {
    for (std::size_t at = 0; at < lines.size();) {
      const ssize_t n = ::write(fd_, lines.data() + at, lines.size() - at);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) throw std::runtime_error("writing " + path_ + " failed: " + std::strerror(errno));
      at += static_cast<std::size_t>(n);
    }
    ++unsynced_;
    const auto now = std::chrono::steady_clock::now();
    if (unsynced_ >= 1000 || now - synced_at_ > std::chrono::seconds(2)) sync();
  }
  void sync() {
    if (unsynced_ == 0) return;
    ::fsync(fd_);
    unsynced_ = 0;
    synced_at_ = std::chrono::steady_clock::now();
  }

 private:
  int fd_ = -1;
  std::string path_;
  std::size_t unsynced_ = 0;
  std::chrono::steady_clock::time_point synced_at_ = std::chrono::steady_clock::now();
};

// How many of the planned runs results.jsonl already holds whole; cuts what follows them (a
// line torn by a kill, the first VMs of a batch whose batch record is missing). A line that
// does not belong to the run it stands for is bad input.
std::size_t repair_results(const std::filesystem::path& path,
                           const std::function<scenarios::RunTask(std::size_t)>& task,
                           std::size_t planned) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return 0;
  std::size_t runs = 0, lines_in_run = 0;
  std::uint64_t offset = 0, kept = 0, line_no = 0;
  std::string line;
  while (runs < planned && std::getline(in, line)) {
    if (in.eof()) break;  // no newline: torn by a kill
    ++line_no;
    offset += line.size() + 1;
    const scenarios::RunTask t = task(runs);
    const std::size_t expected = t.point->is_batch() ? t.point->vms.size() + 1 : 1;
    if (++lines_in_run < expected) continue;
    // The run's last line names the run.
    scenarios::Json rec;
    try {
      rec = scenarios::Json::parse(line);
    } catch (const std::exception&) {
      throw cli::BadInput(path.string() + ":" + std::to_string(line_no) + ": not a JSON record");
    }
    if (rec.value("point_index", std::int64_t{-1}) != static_cast<std::int64_t>(t.point->index) ||
        rec.value("replicate", std::int64_t{-1}) != t.replicate)
      throw cli::BadInput(
          path.string() + ":" + std::to_string(line_no) + ": this record is not run " +
          std::to_string(runs) + " of the sweep in manifest.json (point " +
          std::to_string(t.point->index) + ", replicate " + std::to_string(t.replicate) + ")");
    ++runs;
    lines_in_run = 0;
    kept = offset;
  }
  in.close();
  std::error_code ec;
  if (std::filesystem::file_size(path, ec) != kept) std::filesystem::resize_file(path, kept, ec);
  if (ec) throw std::runtime_error("cannot repair " + path.string() + ": " + ec.message());
  return runs;
}

// results.csv and summary.txt from results.jsonl, read twice, never held whole.
std::string write_tables(const std::filesystem::path& out, std::size_t& records) {
  analysis::Summarizer summary;
  analysis::CsvColumns columns;
  const auto each = [&](const std::function<void(const scenarios::Json&)>& fn) {
    std::ifstream in(out / "results.jsonl", std::ios::binary);
    std::string line;
    while (std::getline(in, line)) fn(scenarios::Json::parse(line));
  };
  records = 0;
  each([&](const scenarios::Json& rec) {
    summary.add(rec);
    columns.add(rec);
    ++records;
  });
  {
    std::ofstream csv(out / "results.csv", std::ios::binary);
    csv << columns.header();
    each([&](const scenarios::Json& rec) { csv << columns.row(rec); });
    if (!csv) throw std::runtime_error("cannot write " + (out / "results.csv").string());
  }
  const std::string table = analysis::format_table(summary.result());
  write_file(out / "summary.txt", table);
  return table;
}

std::string format_seconds(double s) {
  if (s < 90) return fmt::format("{:.0f} s", s);
  if (s < 5400) return fmt::format("{:.0f} min", s / 60);
  return fmt::format("{:.1f} h", s / 3600);
}

int cmd_run(const std::vector<std::string>& args, const std::string& command_line) {
  po::options_description opts("run");
  opts.add_options()("out", po::value<std::string>()->default_value("results"), "output directory")(
      "jobs",
      po::value<int>()->default_value(
          static_cast<int>(std::max(1U, std::thread::hardware_concurrency()))),
      "parallel runs")("quiet", po::bool_switch(), "no summary table, no progress")(
      "progress", po::bool_switch(), "progress lines even when stderr is not a terminal")(
      "shard", po::value<std::string>(), "I/N: run only runs I, I+N, I+2N, ... (0 <= I < N)")(
      "resume", po::value<std::string>(), "DIR: complete the interrupted sweep in DIR")(
      "mpi", po::bool_switch(), "under mpirun: rank 0 writes, the other ranks run");
  po::variables_map vm;
  std::vector<std::string> files;
  scenarios::Json old_manifest;
  std::filesystem::path out;
  const bool resume = [&] {
    for (const auto& a : args)
      if (a == "--resume" || a.rfind("--resume=", 0) == 0) return true;
    return false;
  }();
  if (resume) {
    parse_options(args, opts, vm);
    if (vm.count("file"))
      throw UsageError("--resume DIR takes the scenario files from DIR/manifest.json; give none");
    if (!vm["out"].defaulted() || vm.count("shard"))
      throw UsageError(
          "--resume DIR continues in DIR with the sweep's own shard; drop --out and --shard");
    out = vm["resume"].as<std::string>();
    std::ifstream m(out / "manifest.json");
    if (!m)
      throw cli::BadInput(out.string() + "/manifest.json: cannot open: not a migsim run directory");
    try {
      old_manifest = scenarios::Json::parse(m);
      files = old_manifest.at("files").get<std::vector<std::string>>();
    } catch (const std::exception& e) {
      throw cli::BadInput(out.string() + "/manifest.json: not a run manifest (" + e.what() + ")");
    }
    if (old_manifest.contains("working_directory")) {
      std::error_code ec;
      std::filesystem::current_path(old_manifest["working_directory"].get<std::string>(), ec);
      if (ec)
        throw cli::BadInput("cannot enter the sweep's working directory " +
                            old_manifest["working_directory"].get<std::string>() + ": " +
                            ec.message());
      out = std::filesystem::absolute(vm["resume"].as<std::string>(), ec);
    }
    const auto digests = old_manifest.value("file_digests", scenarios::Json::object());
    for (const auto& f : files)
      if (!digests.contains(f) || digests[f].get<std::string>() != file_digest(f))
        throw cli::BadInput(f + " has changed since the sweep in " + out.string() +
                            " started (its digest differs from manifest.json's): resuming would "
                            "mix two sweeps; start a new run instead");
  } else {
    files = parse_files(args, opts, vm);
    out = vm["out"].as<std::string>();
  }
  if (vm["jobs"].as<int>() < 1 || vm["jobs"].as<int>() > kMaxJobs)
    throw UsageError("--jobs must be between 1 and " + std::to_string(kMaxJobs) + "; got " +
                     std::to_string(vm["jobs"].as<int>()));
  const auto jobs = static_cast<unsigned>(vm["jobs"].as<int>());
  const bool quiet = vm["quiet"].as<bool>();

  std::int64_t shard_index = 0, shard_count = 1;
  bool sharded = false;
  if (resume && old_manifest.contains("shard")) {
    sharded = true;
    shard_index = old_manifest["shard"].value("index", std::int64_t{0});
    shard_count = old_manifest["shard"].value("count", std::int64_t{1});
  } else if (vm.count("shard")) {
    sharded = true;
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

  // Under mpirun every rank reads the command line and the scenario files; ranks > 0 then only
  // simulate the runs rank 0 sends them.
  std::optional<cli::MpiSession> mpi;
  if (vm["mpi"].as<bool>()) mpi.emplace();
  const auto points = load_all(files);  // all input errors before any run
  const scenarios::RunPlan plan(points);
  if (mpi && mpi->rank() != 0) return mpi->serve(plan);
  if (mpi && mpi->size() < 2)
    throw UsageError(
        "--mpi needs at least 2 ranks (rank 0 coordinates and writes): mpirun -n K, K >= 2");
  // A shard takes every N-th run from its index: heavy and light sweep points spread evenly.
  const auto n = static_cast<std::size_t>(shard_count),
             first = static_cast<std::size_t>(shard_index);
  const std::size_t planned = plan.size() > first ? (plan.size() - first + n - 1) / n : 0;
  // The shard's i-th run, as an index into the whole plan, and as a task.
  const auto plan_index = [&](std::size_t i) { return first + i * n; };
  const auto task = [&](std::size_t i) { return plan.at(plan_index(i)); };
  if (!resume) prepare_output(out);
  const std::size_t already = resume ? repair_results(out / "results.jsonl", task, planned) : 0;

  const std::string started_utc = utc_now();
  char host[256] = "unknown";
  gethostname(host, sizeof host - 1);
  scenarios::Json manifest{
      {"migsim_version", scenarios::kVersion},
      {"command", resume ? old_manifest.value("command", command_line) : command_line},
      {"files", files},
      {"started_utc", resume ? old_manifest.value("started_utc", started_utc) : started_utc},
      {"complete", false},
      {"runs_planned", planned},
  };
  {
    std::error_code ec;
    manifest["working_directory"] = std::filesystem::current_path(ec).string();
    scenarios::Json digests = scenarios::Json::object();
    for (const auto& f : files) digests[f] = file_digest(f);
    manifest["file_digests"] = digests;
  }
  if (sharded)
    manifest["shard"] = {
        {"index", shard_index}, {"count", shard_count}, {"runs_total", plan.size()}};
  if (resume) manifest["resumed"] = old_manifest.value("resumed", std::int64_t{0}) + 1;
  write_manifest(out, manifest);

  const bool tty = !quiet && isatty(STDERR_FILENO);
  const bool show_progress =
      (tty || (!quiet && vm["progress"].as<bool>())) && planned - already > 1;
  const auto started = std::chrono::steady_clock::now();
  auto last_shown = started;
  ResultsFile results(out / "results.jsonl", resume);
  const auto progress = [&](std::size_t done, std::size_t total) {
    if (!show_progress) return;
    const auto now = std::chrono::steady_clock::now();
    if (done < total && now - last_shown < std::chrono::milliseconds(tty ? 200 : 5000)) return;
    last_shown = now;
    const double elapsed = std::chrono::duration<double>(now - started).count();
    const double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0.0;
    const std::string left =
        rate > 0 ? format_seconds(static_cast<double>(total - done) / rate) : "?";
    fmt::print(stderr, "{}[{}/{}] runs done, {:.1f} runs/s, {} left{}", tty ? "\r" : "",
               already + done, planned, rate, done == total ? "0 s" : left,
               tty && done < total ? "   " : "\n");
  };
  try {
    if (mpi)
      mpi->run_ordered(
          planned - already, [&](std::size_t i) { return plan_index(already + i); }, plan,
          [&](std::size_t, std::string&& lines) { results.append(lines); }, progress);
    else
      scenarios::run_ordered(
          planned - already, [&](std::size_t i) { return task(already + i); }, jobs,
          [&](std::size_t, scenarios::RunOutput&& o) { results.append(o.lines); }, progress);
  } catch (const std::exception& e) {
    results.sync();
    if (tty) fmt::print(stderr, "\n");
    std::cerr << "error: run failed: " << e.what() << "\n"
              << "(the runs before it are in " << out.string()
              << "/results.jsonl; migsim run --resume " << out.string() << " goes on from there)\n";
    return kExitRunFailed;
  }
  results.sync();
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::size_t records = 0;
  const std::string table = write_tables(out, records);
  manifest["complete"] = true;
  manifest["wall_time_s"] = wall;
  manifest["jobs"] = jobs;
  manifest["runs"] = records;
  manifest["hostname"] = host;
  manifest["hardware_threads"] = std::thread::hardware_concurrency();
  manifest["metrics"] = analysis::metrics_json();
  write_manifest(out, manifest);
  if (!quiet) {
    fmt::print("{}", table);
    fmt::print(
        "{} runs ({} records) in {:.2f} s wall time{}; results in {}/results.jsonl and "
        "results.csv\n",
        planned - already, records, wall,
        already > 0 ? fmt::format(" (resumed after {} runs)", already) : std::string(),
        out.string());
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
      "  figures: a list of figure specs for migsim plot (kind: bars, lines, timeline, cdf,\n"
      "    heatmap; README \"Figures\"); the run ignores it\n"
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
    if (cmd == "plot") {
      // Figures are drawn by analysis/plot.py (matplotlib): hand the arguments over.
      const std::string script = std::string(MIGSIM_SOURCE_DIR) + "/analysis/plot.py";
      std::vector<std::string> argv_s{"/usr/bin/python3", script};
      argv_s.insert(argv_s.end(), rest.begin(), rest.end());
      std::vector<char*> argv_c;
      for (auto& a : argv_s) argv_c.push_back(a.data());
      argv_c.push_back(nullptr);
      ::execv(argv_c[0], argv_c.data());
      throw cli::BadInput(std::string("cannot run /usr/bin/python3 ") + script + ": " +
                          std::strerror(errno) + " (install python3-matplotlib: scripts/setup.sh)");
    }
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
