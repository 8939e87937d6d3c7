#include "usage_errors.h"

#include <cctype>
#include <optional>
#include <regex>
#include <vector>

#include "core/error.h"
#include "core/text.h"

namespace soar::app {
namespace {

std::string suggestion(const std::optional<std::string>& name) { return name ? " (did you mean " + *name + "?)" : ""; }

// The option names of `command` as typed: --long and -s.
std::vector<std::string> option_names(const CLI::App& command) {
  std::vector<std::string> names;
  for (const CLI::Option* option : command.get_options()) {
    for (const std::string& name : option->get_lnames()) names.push_back("--" + name);
    for (const std::string& name : option->get_snames()) names.push_back("-" + name);
  }
  return names;
}

bool is_option_of(const CLI::App& command, const std::string& token) {
  const std::string name = token.substr(0, token.find('='));
  if (name.rfind("--", 0) == 0) return command.get_option_no_throw(name) != nullptr;
  return name.size() >= 2 && command.get_option_no_throw(name.substr(0, 2)) != nullptr;  // -n3, -k 1,2
}

}  // namespace

std::string explain_parse_error(const CLI::App& app, const CLI::ParseError& error, int argc, const char* const* argv) {
  // The command path typed (soar testbed problems ...): words that name subcommands, after the
  // main program's own options.
  const CLI::App* command = &app;
  std::string path = "soar";
  int i = 1;
  for (; i < argc; ++i) {
    const std::string token = argv[i];
    if (token == "--") break;
    if (token.rfind("-", 0) == 0) {
      if (command == &app && token == "--threads") ++i;  // its value
      if (command == &app) continue;
      break;
    }
    const CLI::App* sub = nullptr;
    for (const CLI::App* candidate : command->get_subcommands({})) {
      if (candidate->check_name(token)) sub = candidate;
    }
    if (sub == nullptr) {
      if (!command->get_subcommands({}).empty()) {
        std::vector<std::string> names;
        for (const CLI::App* candidate : command->get_subcommands({})) names.push_back(candidate->get_name());
        return cat("unknown command '", token, "' for '", path, "'", suggestion(near_miss(token, names)), "; commands: ",
                   CLI::detail::join(names, ", "));
      }
      break;  // a positional argument of a command
    }
    command = sub;
    path += " " + token;
  }
  if (command != &app) {
    for (int j = i; j < argc; ++j) {
      const std::string token = argv[j];
      if (token == "--") break;  // what follows belongs to another command (soar launch -- ...)
      if (token.rfind("-", 0) != 0 || token == "-" || std::isdigit(static_cast<unsigned char>(token.size() > 1 ? token[1] : 'x'))) continue;
      if (!is_option_of(*command, token)) {
        const std::string name = token.substr(0, token.find('='));
        return cat("unknown option ", name, " for '", path, "'", suggestion(near_miss(name, option_names(*command))),
                   "; see ", path, " --help");
      }
    }
  }
  static const std::regex twice(R"(^(-[-\w]+): At Most (\d+) required but received (\d+))");
  std::smatch match;
  const std::string what = error.what();
  if (std::regex_search(what, match, twice) && match[2] == "1") {
    return cat(match[1].str(), " was given ", match[3].str(), " times; give it once");
  }
  return "";
}

void refuse_repeated_flags(const CLI::App& app) {
  for (const CLI::Option* option : app.get_options()) {
    if (option->get_expected_max() == 0 && option->count() > 1) {
      throw CLI::ArgumentMismatch::AtMost(option->get_name(), 1, option->count());
    }
  }
  for (const CLI::App* command : app.get_subcommands()) refuse_repeated_flags(*command);
}

}  // namespace soar::app
