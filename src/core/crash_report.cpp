#include "core/crash_report.h"

#include <execinfo.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

namespace soar {
namespace {

constexpr int kFatalSignals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};

void write_text(const char* text) {
  for (size_t left = strlen(text); left > 0;) {
    ssize_t written = ::write(STDERR_FILENO, text, left);
    if (written <= 0) return;
    text += written;
    left -= static_cast<size_t>(written);
  }
}

void write_number(int value) {  // a signal number: non-negative, at most 10 digits
  char text[12];
  char* first = text + sizeof text;
  *--first = '\0';
  do {
    *--first = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value > 0);
  write_text(first);
}

// Only async-signal-safe calls, but for backtrace(), whose one unsafe step (loading libgcc_s on
// first use) report_fatal_signals() has already done.
void on_fatal_signal(int signal) {
  write_text("\nsoar: fatal signal ");
  write_number(signal);
  write_text(" (");
  write_text(sigdescr_np(signal) ? sigdescr_np(signal) : "unknown");
  write_text("); backtrace, innermost first (an executable's frames: addr2line -Cfe EXECUTABLE OFFSET):\n");
  void* frames[64];
  const int count = ::backtrace(frames, 64);
  ::backtrace_symbols_fd(frames, count, STDERR_FILENO);
  // SA_RESETHAND has restored the default action: the signal raised again (or the faulting
  // instruction run again) ends the process with the same status as without this handler.
  ::raise(signal);
}

}  // namespace

void report_fatal_signals() {
#if defined(__SANITIZE_ADDRESS__)
  return;
#else
  static bool installed = false;
  if (installed) return;
  installed = true;
  void* warm_up[1];
  ::backtrace(warm_up, 1);
  static char alternate_stack[1 << 16];
  stack_t stack{};
  stack.ss_sp = alternate_stack;
  stack.ss_size = sizeof alternate_stack;
  ::sigaltstack(&stack, nullptr);
  struct sigaction action {};
  action.sa_handler = on_fatal_signal;
  action.sa_flags = SA_ONSTACK | SA_RESETHAND;
  sigemptyset(&action.sa_mask);
  for (int signal : kFatalSignals) ::sigaction(signal, &action, nullptr);
#endif
}

}  // namespace soar
