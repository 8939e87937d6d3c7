// soar: the command line. Parses, sets threads, and runs one subcommand; errors are one clear line.
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <iostream>
#include <string>

#include "commands.h"
#include "core/allocator.h"
#include "core/crash_report.h"
#include "core/error.h"
#include "core/exception_text.h"
#include "core/threads.h"

int main(int argc, char** argv) {
  soar::report_fatal_signals();
  soar::keep_freed_memory();  // ~12 % of a CPU `soar eval` (docs/benchmarks.md)
  CLI::App app{"soar: teaching models to teach themselves (SOAR meta-RL, RLVR engine)"};
  app.require_subcommand(1);
  int threads = 0;
  app.add_option("--threads", threads, "CPU threads (default: $SOAR_THREADS, else all cores)");
  std::vector<soar::app::Action> actions = {
      soar::app::add_sample_command(app),
      soar::app::add_eval_command(app),
      soar::app::add_mine_command(app),
      soar::app::add_train_rl_command(app),
      soar::app::add_pretrain_command(app),
      soar::app::add_testbed_command(app),
      soar::app::add_meta_command(app),
      soar::app::add_launch_command(app),
  };
  CLI11_PARSE(app, argc, argv);
  try {
    soar::configure_threads(threads);
    // Processes started by `soar launch` inherit the thread count.
    if (threads > 0) setenv("SOAR_THREADS", std::to_string(threads).c_str(), 1);
    for (const auto& action : actions) action();
  } catch (const std::exception& e) {
    std::cerr << "soar: error: " << soar::exception_text(e) << "\n";
    return 1;
  }
  return 0;
}
