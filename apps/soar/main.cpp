// soar: the command line. Parses, sets threads, and runs one subcommand; errors are one clear line.
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <iostream>
#include <string>

#include "commands.h"
#include "help_examples.h"
#include "core/allocator.h"
#include "core/crash_report.h"
#include "core/error.h"
#include "core/exception_text.h"
#include "core/stop_signal.h"
#include "core/threads.h"
#include "recipe.h"
#include "usage_errors.h"

namespace {

// Every command that runs something (testbed's subcommands too) reads recipes and prints its own,
// and shows an example in its help.
void finish_commands(CLI::App& app) {
  for (CLI::App* command : app.get_subcommands({})) {
    if (command->get_subcommands({}).empty()) {
      soar::app::add_recipe_option(*command);
      soar::app::add_help_example(*command);
    } else {
      finish_commands(*command);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  soar::report_fatal_signals();
  soar::keep_freed_memory();  // ~12 % of a CPU `soar eval` (docs/benchmarks.md)
  CLI::App app{"soar: teaching models to teach themselves (SOAR meta-RL, RLVR engine)"};
  app.require_subcommand(1);
  int threads = 0;
  app.add_option("--threads", threads, "CPU threads (default: $SOAR_THREADS, else all cores)")->check(CLI::Range(1, 4096));
  std::vector<soar::app::Action> actions = {
      soar::app::add_sample_command(app),
      soar::app::add_eval_command(app),
      soar::app::add_mine_command(app),
      soar::app::add_train_rl_command(app),
      soar::app::add_pretrain_command(app),
      soar::app::add_testbed_command(app),
      soar::app::add_meta_command(app),
      soar::app::add_teacher_sample_command(app),
      soar::app::add_select_promoted_command(app),
      soar::app::add_launch_command(app),
      soar::app::add_select_checkpoint_command(app),
      soar::app::add_convert_command(app),
      soar::app::add_report_command(app),
  };
  finish_commands(app);
  try {
    app.parse(argc, argv);
    soar::app::refuse_repeated_flags(app);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() != 0) {  // not --help
      if (const std::string better = soar::app::explain_parse_error(app, e, argc, argv); !better.empty()) {
        std::cerr << "soar: error: " << better << "\n";
        return e.get_exit_code();
      }
    }
    return app.exit(e);
  }
  try {
    if (soar::app::print_config_if_asked(app, std::cout)) return 0;
    soar::configure_threads(threads);
    // Processes started by `soar launch` inherit the thread count.
    if (threads > 0) setenv("SOAR_THREADS", std::to_string(threads).c_str(), 1);
    for (const auto& action : actions) action();
  } catch (const soar::StopRequested& stop) {
    std::cerr << "soar: " << stop.message << "\n";
    return stop.status;
  } catch (const std::exception& e) {
    std::cerr << "soar: error: " << soar::exception_text(e) << "\n";
    return 1;
  }
  return 0;
}
