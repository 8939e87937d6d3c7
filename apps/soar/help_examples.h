// One worked example at the foot of every command's --help. The examples live together so that one
// test (tests/cli/help_test.sh) can run each with --print-config: they must stay valid command lines.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace soar::app {

// The example lines of the command at `path` ("eval", "testbed levels"), or "" if it has none.
std::string help_example(const std::string& path);

// Sets the example as `command`'s help footer. Throws soar::Error for a command without one, so a new
// command cannot be added without its example.
void add_help_example(CLI::App& command);

}  // namespace soar::app
