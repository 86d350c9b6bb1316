// Helpers shared by tests: run a scenario given as YAML text, run the migsim executable.
#pragma once

#include <sys/wait.h>
#include <unistd.h>
#include <array>
#include <cstdio>
#include <filesystem>
#include <string>

#include "scenarios/run.h"
#include "scenarios/scenario.h"

namespace migsim::test {

using Json = scenarios::Json;

inline std::vector<scenarios::ScenarioPoint> points(const std::string& yaml) {
  return scenarios::expand_scenario(scenarios::parse_yaml(yaml, "<test>"), "<test>");
}

// A single-migration scenario over gigabit under Xen v2 rules: the memory, the workload section
// (a YAML flow mapping) and the algorithm.
inline std::string migration_yaml(const std::string& memory, const std::string& workload,
                                  const std::string& algorithm) {
  return "vm: {memory: " + memory + "}\nworkload: " + workload +
         "\nmigration: {algorithm: " + algorithm +
         "}\nlink: {preset: gigabit}\nhost: {hypervisor: xen-v2}\n";
}

// Runs the first point of a scenario written as YAML; returns its record.
inline Json run_yaml(const std::string& yaml, std::int64_t replicate = 0) {
  return scenarios::run_point(points(yaml).at(0), replicate);
}

// Runs the first point of a scenario written as YAML; returns every record (one per VM and
// the batch record for a scenario with several VMs).
inline std::vector<Json> run_yaml_all(const std::string& yaml, std::int64_t replicate = 0) {
  const auto p = points(yaml);
  return scenarios::point_records(p.at(0), replicate,
                                  scenarios::simulate_point(p.at(0), replicate));
}

struct Command {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs a shell command line, capturing its output (stdout and stderr) and exit code.
inline Command run_cli_in_shell(const std::string& command_line) {
  Command c;
  const std::string cmd = "( " + command_line + " ) 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return c;
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) c.output.append(buf.data(), n);
  const int status = pclose(p);
  c.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return c;
}

// Runs `migsim <args>` through the shell, capturing its output and exit code.
inline Command run_cli(const std::string& args) {
  return run_cli_in_shell(std::string(MIGSIM_EXE) + " " + args);
}

// A fresh directory under the system temp dir, unique to this process (ctest runs presets and
// test cases in parallel).
inline std::string temp_dir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("migsim-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  return dir.string();
}

inline std::string read_file(const std::string& path) {
  std::string s;
  if (FILE* f = std::fopen(path.c_str(), "rb")) {
    std::array<char, 65536> buf{};
    std::size_t n = 0;
    while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) s.append(buf.data(), n);
    std::fclose(f);
  }
  return s;
}

}  // namespace migsim::test
