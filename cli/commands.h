// What the migsim executable's command files share: exit codes and the usage error.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace migsim::cli {

inline constexpr int kExitRunFailed = 1;
inline constexpr int kExitBadInput = 2;

// A bad command line: printed with the usage text, exit 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Bad input found after the command line was read (a corrupt trace, a missing process): printed
// without the usage text, exit 2.
struct BadInput : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// trace_commands.cpp
int cmd_trace(const std::vector<std::string>& args);
int cmd_record(const std::vector<std::string>& args, const std::string& command_line);
int cmd_import(const std::vector<std::string>& args, const std::string& command_line);
int cmd_fit(const std::vector<std::string>& args);

}  // namespace migsim::cli
