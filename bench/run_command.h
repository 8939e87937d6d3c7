// Runs a reference script (Python, same machine, same run) and returns what it printed on stdout.
#pragma once

#include <cstdio>
#include <stdexcept>
#include <string>

namespace soar::bench {

inline std::string run_command(const std::string& command) {
  std::string output;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("cannot run " + command);
  char buffer[4096];
  while (fgets(buffer, sizeof buffer, pipe) != nullptr) output += buffer;
  if (pclose(pipe) != 0) throw std::runtime_error("reference failed: " + command + "\n" + output);
  return output;
}

// The last line of a reference's output (the scripts print their JSON result last, after progress).
inline std::string last_line(const std::string& output) {
  const size_t end = output.find_last_not_of('\n');
  if (end == std::string::npos) return {};
  const size_t newline = output.rfind('\n', end);
  const size_t start = newline == std::string::npos ? 0 : newline + 1;
  return output.substr(start, end + 1 - start);
}

}  // namespace soar::bench
