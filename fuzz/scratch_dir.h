// A scratch folder for fuzz targets whose parser reads a file: one per process, since libFuzzer may
// run several jobs side by side.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>

inline const std::filesystem::path& fuzz_scratch_dir(const std::string& target) {
  static const std::filesystem::path dir = [&] {
    std::filesystem::path d = std::filesystem::temp_directory_path() / (target + "-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    return d;
  }();
  return dir;
}
