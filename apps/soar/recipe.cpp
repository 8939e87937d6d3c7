#include "recipe.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <numeric>
#include <optional>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/seed.h"
#include "core/text.h"

namespace soar::app {
namespace {

// One `key = value` of a recipe. `value` is TOML text for CLI11's reader, or, when `literal`, the
// string itself (a '''...''' string, which CLI11 2.1.2 cannot read).
struct Entry {
  std::string key, value;
  int line = 0;
  bool literal = false;
};

CLI::ConfigError error_at(const std::string& file, int line, const std::string& what) {
  return CLI::ConfigError(cat(file, ":", line, ": ", what));
}

// The line without its # comment. A '#' inside "..." or '...' is kept: CLI11's reader would cut the
// value there ("### Problem {problem}" came back as `"`), so it gets lines cleaned here.
std::string strip_comment(const std::string& line) {
  char quote = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quote == 0 && c == '#') return line.substr(0, i);
    if (quote == 0 && (c == '"' || c == '\'')) {
      quote = c;
    } else if (c == quote) {
      quote = 0;
    }
  }
  return line;
}

bool is_bare_key(const std::string& key) {
  const auto bare = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'; };
  return !key.empty() && std::all_of(key.begin(), key.end(), bare);
}

// A TOML multi-line literal string, `value` being what follows the opening ''' on the key's line:
// verbatim (no escapes) up to the closing ''', a newline right after the opening ''' dropped.
std::string read_literal(std::istream& in, std::string value, int& number, const std::string& file) {
  const int first = number;
  size_t close;
  for (std::string raw; (close = value.find("'''")) == std::string::npos; value += "\n" + raw) {
    if (!std::getline(in, raw)) throw error_at(file, first, "no closing ''' for the string begun here");
    ++number;
  }
  if (!CLI::detail::trim_copy(strip_comment(value.substr(close + 3))).empty()) {
    throw error_at(file, number, "unexpected text after the closing '''");
  }
  value.erase(close);
  if (!value.empty() && value.front() == '\n') value.erase(0, 1);
  return value;
}

// The pre-pass: every `key = value` with its line. Blank lines and # comments are skipped, a [...]
// list may span lines (as in CLI11's reader), anything else is refused with file:line.
std::vector<Entry> read_entries(std::istream& in, const std::string& file) {
  std::vector<Entry> entries;
  std::string raw;
  for (int number = 1; std::getline(in, raw); ++number) {
    const std::string text = CLI::detail::trim_copy(strip_comment(raw));
    if (text.empty()) continue;
    if (text.front() == '[') throw error_at(file, number, "a recipe has no [sections]: write `key = value` lines at the top");
    const size_t equals = text.find('=');
    Entry entry{CLI::detail::trim_copy(text.substr(0, equals)), "", number};
    if (equals == std::string::npos || !is_bare_key(entry.key)) {
      throw error_at(file, number, "expected `key = value`, got `" + CLI::detail::trim_copy(raw) + "`");
    }
    entry.value = CLI::detail::trim_copy(text.substr(equals + 1));
    if (entry.value.rfind("'''", 0) == 0) {
      entry.literal = true;
      entry.value = read_literal(in, raw.substr(raw.find("'''") + 3), number, file);
    } else if (entry.value.rfind("\"\"\"", 0) == 0) {
      throw error_at(file, number, "\"\"\" strings are not read (CLI11 2.1.2): write '''...''' (taken verbatim)");
    } else if (entry.value.empty()) {
      throw error_at(file, number, "no value for '" + entry.key + "'");
    }
    while (!entry.literal && entry.value.front() == '[' && entry.value.back() != ']') {
      if (!std::getline(in, raw)) throw error_at(file, entry.line, "no closing ] for '" + entry.key + "'");
      ++number;
      entry.value += " " + CLI::detail::trim_copy(strip_comment(raw));
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

// CLI11's TOML reader, with '#' no longer its comment character: comments are stripped above.
const CLI::ConfigTOML& value_reader() {
  static const CLI::ConfigTOML reader = [] {
    CLI::ConfigTOML toml;
    toml.comment('\n');  // a character no line holds
    return toml;
  }();
  return reader;
}

// The strings an entry gives its option, as CLI11 reads them: quotes removed, [a, b] and a, b split.
std::vector<std::string> values_of(const Entry& entry) {
  if (entry.literal) return {entry.value};
  std::istringstream line(entry.key + " = " + entry.value);
  std::vector<CLI::ConfigItem> items = value_reader().from_config(line);
  return items.empty() ? std::vector<std::string>{} : items.front().inputs;
}

// The option a key names: a long name (outer-steps; outer_steps too: CLI11 would not match the '_'),
// else a one-letter short name (k for -k), else a positional's name, as CLI11's own reader looks.
CLI::Option* find_option(CLI::App& command, std::string key) {
  std::replace(key.begin(), key.end(), '_', '-');
  if (CLI::Option* option = command.get_option_no_throw("--" + key)) return option;
  if (key.size() == 1) {
    if (CLI::Option* option = command.get_option_no_throw("-" + key)) return option;
  }
  return command.get_option_no_throw(key);
}

std::string command_path(const CLI::App& command) {
  std::string path = command.get_name();
  for (const CLI::App* parent = command.get_parent(); parent && parent->get_parent(); parent = parent->get_parent()) {
    path = parent->get_name() + " " + path;
  }
  return "soar " + path;
}

CLI::Option* recipe_option(CLI::App& command, const Entry& entry, const std::string& file) {
  CLI::Option* option = find_option(command, entry.key);
  if (option == nullptr) {
    std::string key = entry.key;
    std::replace(key.begin(), key.end(), '_', '-');
    std::vector<std::string> names;
    for (const CLI::Option* candidate : command.get_options()) {
      if (candidate->get_configurable()) names.push_back(candidate->get_single_name());
    }
    const std::optional<std::string> closest = near_miss(key, names);
    throw error_at(file, entry.line, cat("unknown key '", entry.key, "' for '", command_path(command), "'",
                                         closest ? " (did you mean " + *closest + "?)" : ""));
  }
  if (!option->get_configurable()) throw error_at(file, entry.line, "'" + entry.key + "' cannot be set in a recipe");
  return option;
}

// What CLI11's _parse_single_config does for an option of its own config file.
void set_option(CLI::Option& option, const std::string& key, const std::vector<std::string>& values) {
  if (option.get_expected_min() == 0) {  // a flag: true/false (or a count)
    CLI::ConfigItem item;
    item.name = key;
    item.inputs = values;
    option.add_result(option.get_flag_value(key, value_reader().to_flag(item)));
  } else {
    option.add_result(values);
  }
  option.run_callback();  // conversion and checks, now: the error gets the line
}

void apply_recipe(CLI::App& command, const std::string& file) {
  std::ifstream in(file);
  if (!in) throw CLI::FileError::Missing(file);
  std::set<const CLI::Option*> seen;
  for (const Entry& entry : read_entries(in, file)) {
    CLI::Option* option = recipe_option(command, entry, file);
    if (!seen.insert(option).second) throw error_at(file, entry.line, "'" + entry.key + "' is set a second time");
    if (option->count() > 0) continue;  // given on the command line, which wins
    try {
      set_option(*option, entry.key, values_of(entry));
    } catch (const CLI::ParseError& e) {
      throw error_at(file, entry.line, e.what());
    }
  }
}

// Each option's default as text, recorded before parsing. CLI11 keeps one only where a command shows
// it in --help (capture_default_str), so recording it there would change the help: kept here.
std::map<const CLI::Option*, std::string>& defaults() {
  static std::map<const CLI::Option*, std::string> by_option;
  return by_option;
}

void record_defaults(CLI::App& command) {
  for (CLI::Option* option : command.get_options()) {
    const std::string shown = option->get_default_str();
    option->capture_default_str();  // the bound variable's value, before parsing
    defaults()[option] = option->get_default_str();
    option->default_str(shown);
  }
}

// "<bytes>:<FNV-1a 64 of the contents>" of a regular file of at most 1 GiB (problem sets, recipes);
// nullopt for anything else (a model directory, a number).
std::optional<std::string> file_fingerprint(const std::string& path) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) return std::nullopt;
  const auto size = std::filesystem::file_size(path, error);
  if (error || size > (uint64_t{1} << 30)) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  const std::string contents{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  char hash[17];
  std::snprintf(hash, sizeof hash, "%016llx", static_cast<unsigned long long>(fnv1a64(contents)));
  return cat(size, ":", hash);
}

std::string recorded_default(const CLI::Option& option) {
  const auto found = defaults().find(&option);
  return found == defaults().end() ? "" : found->second;
}

// The strings a recipe line gives back, as apply_recipe reads them; empty if it is no one entry.
std::vector<std::string> read_back(const std::string& text) {
  std::istringstream in(text);
  try {
    std::vector<Entry> entries = read_entries(in, "");
    if (entries.size() == 1) return values_of(entries.front());
  } catch (const CLI::ConfigError&) {
  }
  return {};
}

// `key = value` in CLI11's own quoting ("..." or '...', [a, b] for lists) when it reads back as
// written; else, for one string (a newline, both kinds of quote...), a TOML '''...''' string.
// nullopt: neither holds it (a newline in a list; ''' or a final ' in a '''...''' string).
std::optional<std::string> entry_text(const std::string& key, const std::vector<std::string>& values) {
  std::string text = key + " = " + CLI::detail::ini_join(values) + "\n";
  if (!values.empty() && read_back(text) == values) return text;
  if (values.size() == 1) {
    text = key + " = '''\n" + values.front() + "'''\n";
    if (read_back(text) == values) return text;
  }
  return std::nullopt;
}

std::string commented(const std::string& text) {  // "# " before every line of `text` (ending in a newline)
  return "# " + CLI::detail::fix_newlines("# ", text.substr(0, text.size() - 1)) + "\n";
}

// An option left at its default, as a commented recipe line: uncommented it pins the default. Left
// commented it keeps the run the same: code that asks whether an option was given (App::count, as
// `soar meta` does for --prompt-template) would see a pinned default as given.
// A list's default is only shown: CLI11 prints a default with operator<< where one exists, and
// libtorch declares one for std::vector (c10/util/logging_is_not_google_glog.h) joining elements
// with spaces, so {"a b"} and {"a", "b"} print alike. (A number's default is printed by a stream
// too: 6 significant digits.)
std::string default_text(const CLI::Option& option) {
  const std::string key = option.get_single_name(), text = recorded_default(option);
  std::optional<std::string> line;
  if (option.get_expected_min() == 0) {
    line = key + " = false\n";  // a flag not given: soar's are off by default
  } else if (option.get_expected_max() == 1 && (!text.empty() || option.get_type_name() == "TEXT")) {
    line = entry_text(key, {text});
  }
  return commented(line.value_or(key + ": default" + (text.empty() ? "" : " (" + text + ")") + "\n"));
}

}  // namespace

void add_recipe_option(CLI::App& command) {
  record_defaults(command);
  CLI::App* target = &command;
  // An option's callback runs once the whole command line is parsed and before required options are
  // checked (App::_process_callbacks, then _process_requirements): options given on the command line
  // are set (and win), and a required --out may come from the recipe.
  command
      .add_option_function<std::string>(
          "--config", [target](const std::string& file) { apply_recipe(*target, file); },
          "Recipe file (TOML): one key per long option name; the command line overrides it")
      ->type_name("FILE")
      ->configurable(false);
  command.add_flag("--print-config")  // (add_flag with a literal description is ambiguous in CLI11 2.1.2)
      ->description("Print the resolved configuration (a recipe of every option's final value) and exit")
      ->configurable(false);
}

std::string resolved_config(const CLI::App& command) {
  const std::string path = command_path(command);
  std::string given, defaulted;
  for (const CLI::Option* option : command.get_options()) {
    if (!option->get_configurable()) continue;  // --help, --config, --print-config
    const std::string about = "\n" + commented(option->get_description() + "\n");
    if (option->count() == 0) {
      defaulted += about + default_text(*option);
      continue;
    }
    const std::optional<std::string> line = entry_text(option->get_single_name(), option->reduced_results());
    if (!line) {
      fail("the value of ", option->get_name(), " cannot be written into a recipe (CLI11 2.1.2's TOML: a newline in a ",
           "list, or ''' or a final ' in a multi-line string)");
    }
    given += about + *line;
  }
  return cat("# ", path, ": resolved configuration; `", path, " --config FILE` reruns it.\n",
             "# Options this run set, on the command line or in a recipe:\n", given,
             "\n# Options left at their defaults (uncomment a key to pin its value):\n", defaulted);
}

RunRecipe run_recipe(const CLI::App& command) {
  RunRecipe recipe;
  try {
    recipe.text = resolved_config(command);
  } catch (const Error& e) {
    recipe.unwritable = e.what();
  }
  for (const CLI::Option* option : command.get_options()) {
    if (!option->get_configurable()) continue;
    const std::string key = option->get_single_name();
    const std::vector<std::string> values = option->count() > 0 ? option->reduced_results()
                                                                 : std::vector<std::string>{recorded_default(*option)};
    recipe.options[key] = CLI::detail::join(values, ", ");
    if (option->count() > 0 && values.size() == 1) {
      if (std::optional<std::string> fingerprint = file_fingerprint(values.front())) recipe.files[key] = *fingerprint;
    }
  }
  return recipe;
}

void write_run_recipe(const RunRecipe& recipe, const std::filesystem::path& run_dir) {
  const std::filesystem::path file = run_dir / "config.toml";
  write_text_atomically(run_dir / "options.json",
                        nlohmann::json{{"options", recipe.options}, {"files", recipe.files}}.dump(2) + "\n");
  if (!recipe.text) {
    // The run goes on without its recipe rather than stop for it; none from an earlier run stays.
    std::error_code ignored;
    std::filesystem::remove(file, ignored);
    std::cerr << "soar: warning: " << file.string() << " not written: " << recipe.unwritable << "\n";
    return;
  }
  write_text_atomically(file, *recipe.text);
}

namespace {

// Equal text, or two spellings of one number (1e-3 and 0.001).
bool same_value(const std::string& a, const std::string& b) {
  if (a == b) return true;
  const auto number = [](const std::string& text, double& value) {
    if (text.size() < 3 || text.front() != '\'') return false;
    const std::string inner = text.substr(1, text.size() - 2);
    char* end = nullptr;
    value = std::strtod(inner.c_str(), &end);
    return !inner.empty() && end == inner.c_str() + inner.size();
  };
  double x = 0, y = 0;
  return number(a, x) && number(b, y) && x == y;
}

}  // namespace

void check_resumed_recipe(const RunRecipe& recipe, const std::filesystem::path& run_dir, const ResumeCheck& check) {
  const std::filesystem::path file = run_dir / "options.json";
  std::map<std::string, std::string> options, files;
  try {
    std::ifstream in(file);
    if (!in) {
      std::cerr << "soar: " << file.string() << " not found (a run of an earlier soar?): the resumed run's options are not compared\n";
      return;
    }
    const nlohmann::json saved = nlohmann::json::parse(in);
    options = saved.at("options").get<std::map<std::string, std::string>>();
    files = saved.at("files").get<std::map<std::string, std::string>>();
  } catch (const std::exception& e) {
    fail(file, " is unreadable (", e.what(), "): cannot tell whether this run continues the one in ", run_dir);
  }
  std::string differences;
  std::set<std::string> keys;
  for (const auto& map : {options, recipe.options}) {
    for (const auto& entry : map) keys.insert(entry.first);
  }
  const auto value = [](const std::map<std::string, std::string>& map, const std::string& key) {
    const auto found = map.find(key);
    return found == map.end() ? std::string("(none)") : "'" + found->second + "'";
  };
  for (const std::string& key : keys) {
    if (check.may_differ.contains(key)) continue;
    if (!same_value(value(options, key), value(recipe.options, key))) {
      differences += cat("\n  ", key, ": ", value(options, key), " then, ", value(recipe.options, key), " now");
    } else if (files.contains(key) && recipe.files.contains(key) && files.at(key) != recipe.files.at(key)) {
      differences += cat("\n  ", key, ": the file's contents changed (", files.at(key), " then, ", recipe.files.at(key), " now)");
    }
  }
  if (differences.empty()) return;
  if (!check.allow_changes) {
    fail("the checkpoint in ", run_dir, " was written by a run with other settings:", differences,
         "\nresuming would mix two runs: rerun with the same settings, give another --out, or pass --allow-config-change");
  }
  std::cerr << "soar: warning: resuming " << run_dir.string() << " with changed settings (--allow-config-change):" << differences << "\n";
}

void write_resolved_config(const CLI::App& command, const std::filesystem::path& run_dir) {
  write_run_recipe(run_recipe(command), run_dir);
}

bool print_config_if_asked(const CLI::App& app, std::ostream& out) {
  const CLI::App* command = &app;
  while (!command->get_subcommands().empty()) command = command->get_subcommands().front();
  const CLI::Option* flag = command->get_option_no_throw("--print-config");
  if (flag == nullptr || flag->count() == 0) return false;
  out << resolved_config(*command);
  return true;
}

}  // namespace soar::app
