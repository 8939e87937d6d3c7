#include "core/threads.h"

#include <ATen/Parallel.h>

#include <cstdlib>
#include <string>
#include <thread>

#include "core/error.h"

namespace soar {

int configure_threads(int requested) {
  int threads = requested;
  if (threads <= 0) {
    if (const char* env = std::getenv("SOAR_THREADS"); env != nullptr && *env != '\0') {
      try {
        threads = std::stoi(env);
      } catch (const std::exception&) {
        fail("SOAR_THREADS='", env, "' is not a number");
      }
      if (threads <= 0) fail("SOAR_THREADS='", env, "' must be a positive number");
    } else {
      threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    }
  }
  static bool interop_set = false;
  if (!interop_set) {
    at::set_num_interop_threads(1);
    interop_set = true;
  }
  at::set_num_threads(threads);
  return at::get_num_threads();
}

}  // namespace soar
