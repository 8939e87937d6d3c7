// Clearer words for the command-line mistakes CLI11 reports tersely or misleadingly: an unknown
// command or option (with the closest name), an option given twice. CLI11 checks required options
// before unexpected ones, so `soar eval --modle M` would say "--model is required": the unknown
// option is looked for first.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace soar::app {

// After parsing: throws CLI11's "At Most 1" error for a flag given twice (`--resume --resume`) in a
// parsed command, as CLI11 does itself for an option with a value; it counts flags silently.
void refuse_repeated_flags(const CLI::App& app);

// The message for `error` raised while parsing argv with `app`, or "" to keep CLI11's own.
std::string explain_parse_error(const CLI::App& app, const CLI::ParseError& error, int argc, const char* const* argv);

}  // namespace soar::app
