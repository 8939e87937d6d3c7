// Graceful stop on SIGTERM (what preemptible clusters and `kill` send) and SIGINT (Ctrl-C): the run
// finishes the step in flight, writes a checkpoint and exits 128 + the signal (143, 130), saying
// where to resume. The step is abandoned (exit at once, the last checkpoint kept) if it has not
// ended `grace_seconds` after the signal, or when a second signal comes.
#pragma once

#include <string>

namespace soar {

// Installs the handlers and the grace watchdog (idempotent). Commands that cannot checkpoint keep
// the default action: they stop at once.
void install_stop_handlers(double grace_seconds);

// The grace from $SOAR_STOP_GRACE_SECONDS (default 120 s, a common preemption notice); an
// unreadable value is a soar::Error naming the variable.
double stop_grace_from_environment();

// The signal received (SIGTERM, SIGINT), or 0.
int stop_signal();
inline bool stop_requested() { return stop_signal() != 0; }

// Thrown once the run has saved what it must: main() prints `message` and exits with `status`.
struct StopRequested {
  int status;  // 128 + signal
  std::string message;
};

// A StopRequested for the signal received, its message "stopped by SIGTERM after <what>; <resume>".
[[noreturn]] void throw_stop(const std::string& what, const std::string& resume);

}  // namespace soar
