// Each subcommand registers its options on the app and returns the action main() runs after parsing.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace soar::app {

using Action = std::function<void()>;

Action add_sample_command(CLI::App& app);
Action add_eval_command(CLI::App& app);
Action add_mine_command(CLI::App& app);
Action add_train_rl_command(CLI::App& app);
Action add_pretrain_command(CLI::App& app);
Action add_testbed_command(CLI::App& app);
Action add_meta_command(CLI::App& app);
Action add_teacher_sample_command(CLI::App& app);
Action add_select_promoted_command(CLI::App& app);
Action add_launch_command(CLI::App& app);
Action add_select_checkpoint_command(CLI::App& app);
Action add_convert_command(CLI::App& app);
Action add_report_command(CLI::App& app);

}  // namespace soar::app
