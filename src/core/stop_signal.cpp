#include "core/stop_signal.h"

#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "core/error.h"

namespace soar {
namespace {

std::atomic<int> received{0};
std::atomic<int64_t> received_at_ns{0};

int64_t monotonic_ns() {  // clock_gettime is async-signal-safe
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return int64_t{now.tv_sec} * 1000000000 + now.tv_nsec;
}

void write_stderr(const char* text) {
  const ssize_t ignored = ::write(STDERR_FILENO, text, strlen(text));
  (void)ignored;
}

extern "C" void on_stop_signal(int signal) {
  // A repeat within a second is the same request arriving twice (Ctrl-C reaches a launched rank
  // from the terminal and again from `soar launch`), not a second request.
  const int64_t now = monotonic_ns();
  if (received.load() != 0 && now - received_at_ns.load() < 1000000000) return;
  received_at_ns.store(now);
  if (received.exchange(signal) != 0) {  // the second one: stop now
    write_stderr("soar: second signal: stopping at once (the last checkpoint is kept)\n");
    ::_exit(128 + signal);
  }
  write_stderr(signal == SIGINT ? "soar: interrupted: finishing the current step, then writing a checkpoint (again to stop at once)\n"
                                : "soar: terminated: finishing the current step, then writing a checkpoint (again to stop at once)\n");
}

// Abandons a step that outlasts the grace: a process that must be gone soon (the cluster's SIGKILL
// follows) exits by itself with the status that says it was stopped.
void watch(double grace_seconds) {
  using clock = std::chrono::steady_clock;
  clock::time_point since{};
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const int signal = received.load();
    if (signal == 0) continue;
    if (since == clock::time_point{}) since = clock::now();
    if (std::chrono::duration<double>(clock::now() - since).count() >= grace_seconds) {
      write_stderr("soar: the step in flight did not end within the grace period ($SOAR_STOP_GRACE_SECONDS): abandoned; "
                   "rerun the same command to resume from the last checkpoint\n");
      ::_exit(128 + signal);
    }
  }
}

}  // namespace

void install_stop_handlers(double grace_seconds) {
  static std::once_flag once;
  std::call_once(once, [grace_seconds] {
    struct sigaction action {};
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    sigaction(SIGTERM, &action, nullptr);
    sigaction(SIGINT, &action, nullptr);
    std::thread(watch, grace_seconds).detach();
  });
}

double stop_grace_from_environment() {
  const char* text = std::getenv("SOAR_STOP_GRACE_SECONDS");
  if (text == nullptr || *text == '\0') return 120;
  char* end = nullptr;
  const double value = std::strtod(text, &end);
  if (end == text || *end != '\0' || !(value >= 0) || value > 1e9) {
    fail("SOAR_STOP_GRACE_SECONDS must be a number of seconds >= 0, got '", text, "'");
  }
  return value;
}

int stop_signal() { return received.load(); }

void throw_stop(const std::string& what, const std::string& resume) {
  const int signal = stop_signal();
  throw StopRequested{128 + signal, cat("stopped by ", signal == SIGINT ? "SIGINT" : "SIGTERM", " after ", what, "; ", resume)};
}

}  // namespace soar
