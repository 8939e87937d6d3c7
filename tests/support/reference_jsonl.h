// The lines of a reference fixture's JSON Lines file (written by tests/python/make_*_reference.py),
// blank lines skipped. Throws std::runtime_error naming a file that cannot be opened.
#pragma once

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

inline std::vector<nlohmann::json> read_reference_jsonl(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path.string());
  std::vector<nlohmann::json> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(nlohmann::json::parse(line));
  }
  return lines;
}
