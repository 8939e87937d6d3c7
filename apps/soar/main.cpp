#include <CLI/CLI.hpp>

#include <iostream>

#include "core/error.h"
#include "core/threads.h"

int main(int argc, char** argv) {
  CLI::App app{"soar: teaching models to teach themselves"};
  int threads = 0;
  app.add_option("--threads", threads, "CPU threads (default: $SOAR_THREADS, else all cores)");
  CLI11_PARSE(app, argc, argv);
  try {
    soar::configure_threads(threads);
  } catch (const soar::Error& e) {
    std::cerr << "soar: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
