// Small text helpers shared by the parsers and prompt builders.
#pragma once

#include <string>
#include <string_view>

namespace soar {

// `s` without spaces, tabs, carriage returns and newlines at either end.
inline std::string_view trim_space(std::string_view s) {
  const std::size_t first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

// Replaces every `from` in `s`, left to right; the replacement text is not searched again.
inline void replace_all(std::string& s, std::string_view from, std::string_view to) {
  for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
}

}  // namespace soar
