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

}  // namespace soar::bench
