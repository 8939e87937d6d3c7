// `soar report`'s run: finds the project's Python and the report script, and runs the script on the
// run directories. The report itself (what kind a run is, the plots, the HTML page) is Python, in
// scripts/soar_report/ (docs/usage.md#reports-soar-report); cmd_report.cpp declares the options.
#pragma once

#include <string>
#include <vector>

namespace soar::app {

struct ReportOptions {
  std::vector<std::string> runs;
  std::string out, title;
};

// The Python that runs the report: $SOAR_PYTHON if set, else $SOAR_HOME/venv/bin/python (SOAR_HOME
// defaults to ~/.cache/soar; scripts/setup.sh makes it, with matplotlib), else python3 on PATH.
// A set $SOAR_PYTHON that is not an executable file, or no Python at all, is a soar::Error.
std::string report_python();

// The report script: $SOAR_REPORT_SCRIPT if set, else scripts/soar_report of the source tree this
// soar was built from (compiled in). A missing one is a soar::Error naming the variable.
std::string report_script();

// Runs `python script [--out OUT] [--title TITLE] -- RUN...` and returns its exit status (128 + the
// signal if one ended it). The script prints its own errors (`soar report: error: ...`).
int run_report(const ReportOptions& options);

}  // namespace soar::app
