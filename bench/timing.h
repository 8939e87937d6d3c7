// Timing for the benchmarks: the seconds of one call, and the seconds per call of a function after
// one warm-up call, over at least `budget` seconds of calls.
#pragma once

#include <chrono>
#include <functional>

namespace soar::bench {

inline double seconds_of(const std::function<void()>& call) {
  const auto start = std::chrono::steady_clock::now();
  call();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

inline double seconds_per_call(const std::function<void()>& call, double budget) {
  call();
  int calls = 0;
  const auto start = std::chrono::steady_clock::now();
  double elapsed = 0.0;
  do {
    call();
    ++calls;
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  } while (elapsed < budget);
  return elapsed / calls;
}

}  // namespace soar::bench
