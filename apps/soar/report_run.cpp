#include "report_run.h"

#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "core/error.h"

extern char** environ;

#ifndef SOAR_REPORT_SCRIPT_DEFAULT
#error "SOAR_REPORT_SCRIPT_DEFAULT (the source tree's scripts/soar_report) is defined by apps/soar/CMakeLists.txt"
#endif

namespace soar::app {
namespace {

std::string environment(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

bool executable_file(const std::string& path) {
  struct stat info {};
  return stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode) && access(path.c_str(), X_OK) == 0;
}

// `name` looked up in $PATH as a shell would, or "".
std::string on_path(const std::string& name) {
  std::stringstream dirs(environment("PATH"));
  for (std::string dir; std::getline(dirs, dir, ':');) {
    const std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (executable_file(candidate)) return candidate;
  }
  return "";
}

}  // namespace

std::string report_python() {
  if (const std::string python = environment("SOAR_PYTHON"); !python.empty()) {
    if (!executable_file(python)) {
      fail("report: $SOAR_PYTHON is ", python,
           ", which is not an executable file: point it at a Python with "
           "matplotlib, or unset it to use the project's virtualenv (scripts/setup.sh makes it)");
    }
    return python;
  }
  std::string home = environment("SOAR_HOME");
  if (home.empty()) home = environment("HOME") + "/.cache/soar";
  if (const std::string venv = home + "/venv/bin/python"; executable_file(venv)) return venv;
  if (const std::string python = on_path("python3"); !python.empty()) return python;
  fail("report: no Python to run the report: neither ", home,
       "/venv/bin/python nor python3 on PATH; run "
       "scripts/setup.sh (it makes the virtualenv, with matplotlib) or set $SOAR_PYTHON");
}

std::string report_script() {
  std::string script = environment("SOAR_REPORT_SCRIPT");
  const bool from_environment = !script.empty();
  if (!from_environment) script = SOAR_REPORT_SCRIPT_DEFAULT;
  struct stat info {};
  if (stat(script.c_str(), &info) != 0) {
    fail("report: the report script ", script,
         from_environment ? " ($SOAR_REPORT_SCRIPT)" : " (this soar's source tree)",
         " does not exist; set $SOAR_REPORT_SCRIPT to scripts/soar_report of a soar checkout");
  }
  return script;
}

int run_report(const ReportOptions& options) {
  const std::string python = report_python(), script = report_script();
  std::vector<std::string> args = {python, script};
  if (!options.out.empty()) args.insert(args.end(), {"--out", options.out});
  if (!options.title.empty()) args.insert(args.end(), {"--title", options.title});
  args.push_back("--");  // a run directory may start with '-'
  args.insert(args.end(), options.runs.begin(), options.runs.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  if (const int error = posix_spawn(&pid, python.c_str(), nullptr, nullptr, argv.data(), environ); error != 0) {
    fail("report: could not start ", python, ": ", std::strerror(error));
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) fail("report: lost the report process ", pid, ": ", std::strerror(errno));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace soar::app
