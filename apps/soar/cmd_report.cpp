// soar report RUN_DIR...: report.md with PNG plots and a self-contained report.html for train-rl, eval
// and meta runs and whole experiments (docs/usage.md#reports-soar-report; the report is
// scripts/soar_report/, run with the project's Python by report_run.h).
#include <cstdlib>

#include "commands.h"
#include "report_run.h"

namespace soar::app {

Action add_report_command(CLI::App& app) {
  auto o = std::make_shared<ReportOptions>();
  CLI::App* command = app.add_subcommand(
      "report", "Write a Markdown + HTML report with plots of train-rl, eval or meta runs, or experiments");
  command->add_option("--out", o->out, "Report folder (default: RUN_DIR/report for one run; required for several)");
  command->add_option("--title", o->title, "The report's title (default: from the runs' kind and name)");
  command->add_option("runs", o->runs, "Run directories (several experiment folders: the seeds of one experiment)")
      ->required();
  return [o, command] {
    if (!command->parsed()) return;
    // The script has printed its own error line; its status is soar's (as `soar launch` does).
    if (const int status = run_report(*o); status != 0) std::exit(status);
  };
}

}  // namespace soar::app
