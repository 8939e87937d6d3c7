// Recipes: a TOML file of `key = value` lines, one key per long option name of a command
// (`soar meta --config configs/x.toml --seed 3`), the command line overriding the file; and the
// resolved configuration of a run (every option's final value) written as such a file.
//
// CLI11 2.1.2 reads config files only for the main app (App::_process_config_file is never run for
// a subcommand: set_config on `meta` adds --config but the file is silently not read), and there
// only from a [meta] section, ignoring unknown keys unless told otherwise and never naming a line.
// So --config is an option of each command whose callback reads the file itself: a small line
// pre-pass (keys checked, file:line in every error) hands each value to CLI11's own TOML reader
// (CLI::ConfigTOML::from_config) and then to the option, as CLI11 does for its own config files.
//
// What a recipe holds: `key = value` lines and # comments; keys spelled with '-' or '_'; lists as
// [1, 8, 32] (may span lines); true/false for flags. Strings as CLI11 reads them: "..." or '...'
// with no escapes ("\boxed{}" is \boxed{}, unlike TOML), and '''...''' (TOML's multi-line literal
// string, read here: CLI11 2.1.2 cannot) for newlines. No [sections], no """...""".
#pragma once

#include <CLI/CLI.hpp>

#include <filesystem>
#include <iosfwd>
#include <map>
#include <optional>
#include <set>
#include <string>

namespace soar::app {

// Adds `--config FILE` and `--print-config` to `command`. Call it after the command's options are
// added and before parsing: it records every option's default, which the resolved config lists.
void add_recipe_option(CLI::App& command);

// The resolved configuration of a parsed command as recipe text, each option with its description:
// the options given (command line or recipe) as keys, every other one as a commented key showing its
// default (a commented key keeps the default on a rerun; see recipe.cpp for why it is not pinned).
// --config and --print-config are left out. Read back with --config it sets the same options to the
// same values. Throws soar::Error for a given value a recipe cannot hold (a newline in a list).
std::string resolved_config(const CLI::App& command);

// A run's resolved configuration, taken while the command line is at hand and written later into
// the run directory by the command's run layer: its text, or why a recipe cannot hold it.
struct RunRecipe {
  std::optional<std::string> text;
  std::string unwritable;  // the reason when text is empty
  // Every option's final value (given or default) by key, and for values naming a regular file (a
  // problem set), its size and hash: what a resumed run is compared on. Written to options.json.
  std::map<std::string, std::string> options, files;
};
RunRecipe run_recipe(const CLI::App& command);

// Writes the recipe to run_dir/config.toml and its values to run_dir/options.json, atomically. A
// value a recipe cannot hold does not stop the run: it warns on stderr and removes any config.toml
// of an earlier run instead.
void write_run_recipe(const RunRecipe& recipe, const std::filesystem::path& run_dir);

// A resumed run must be the run that wrote its checkpoint: `may_differ` lists the keys that do not
// change what it computes (--steps: a longer run; --device). With `allow_changes` (the command's
// --allow-config-change) differences are reported and accepted.
struct ResumeCheck {
  std::set<std::string> may_differ;
  bool allow_changes = false;
};
// Compares `recipe` with run_dir/options.json (from the run that wrote the checkpoint being resumed):
// throws soar::Error listing every differing key (and every input file whose contents changed)
// unless check.allow_changes, in which case they are printed as a warning. No options.json (a run
// of an earlier soar): nothing to compare, said once.
void check_resumed_recipe(const RunRecipe& recipe, const std::filesystem::path& run_dir, const ResumeCheck& check);

// write_run_recipe(run_recipe(command), run_dir).
void write_resolved_config(const CLI::App& command, const std::filesystem::path& run_dir);

// If the parsed command (the deepest parsed subcommand of `app`) was given --print-config, writes
// its resolved config to `out` and returns true: the caller exits without running it.
bool print_config_if_asked(const CLI::App& app, std::ostream& out);

}  // namespace soar::app
