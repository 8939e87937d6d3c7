// A progress line on stderr for long loops (sampling, mining, evaluation):
//   mining: 120/500 (24.0%) | 3.2 problems/s, 1520 tokens/s | elapsed 0:37 | ETA 1:58
// On a terminal it redraws in place at most ~5 times a second; otherwise (CI logs, files) it prints
// a plain line every ~10 s and at the end, so logs stay short but show that the run is alive.
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <mutex>
#include <string>

namespace soar {

// "0:37", "1:02:05"; "?" for a negative, NaN or absurd value (an ETA before any rate is known).
std::string format_duration(double seconds);

class Progress {
 public:
  struct Options {
    std::ostream* out = nullptr;          // nullptr: std::cerr
    int terminal = -1;                    // -1: detect with isatty(stderr); 0/1: force (tests)
    std::function<double()> now;          // seconds on a monotonic clock; empty: steady_clock
    std::string item_name = "items";      // what one `done` counts, in the rate ("problems/s")
  };

  // total <= 0 means unknown: no percentage and no ETA. `unit` names the secondary count passed
  // to advance (e.g. "tokens"); empty means none is shown.
  Progress(std::string label, int64_t total, std::string unit);
  Progress(std::string label, int64_t total, std::string unit, Options options);
  ~Progress();  // finishes if finish() was not called
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // Thread-safe: adds `done` items and `units` secondary units, redrawing if it is time to.
  void advance(int64_t done = 1, int64_t units = 0);
  // Prints the final state once; later calls do nothing.
  void finish();

  int64_t done() const;
  // The current line, without \r or newline (for tests and for callers that log it themselves).
  std::string line() const;

 private:
  std::string line_locked(double now) const;
  void print_locked(double now, bool final);

  std::string label_, unit_;
  int64_t total_;
  Options options_;
  bool terminal_;
  double start_, last_print_;
  mutable std::mutex mutex_;
  int64_t done_ = 0, units_ = 0;
  std::size_t last_width_ = 0;
  bool finished_ = false;
};

}  // namespace soar
