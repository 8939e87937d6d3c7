// On a fatal signal (segmentation fault, bus error, illegal instruction, floating-point exception,
// abort), writes which signal and a backtrace to stderr, then dies of that signal as before (same
// exit status). A crash on a lent GPU machine, where no debugger is at hand and the session may
// not get another machine, then says where it happened: frames in shared libraries carry their
// function names, frames in the executable an offset for `addr2line -e soar`.
#pragma once

namespace soar {

// Installs the handlers (once per process; the calling thread also gets an alternate signal stack,
// so that a stack overflow is reported too). Does nothing under AddressSanitizer, whose own reports
// are better.
void report_fatal_signals();

}  // namespace soar
