// Errors with context. Every failure a user can cause (a bad file, a bad field, a request that does
// not fit) is reported as soar::Error with a message that names what and where; library code never
// aborts on bad input.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace soar {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Concatenates any streamable values into one string: cat("tensor ", name, " has ", n, " dims").
template <typename... Parts>
std::string cat(const Parts&... parts) {
  std::ostringstream out;
  (out << ... << parts);
  return out.str();
}

template <typename... Parts>
[[noreturn]] void fail(const Parts&... parts) {
  throw Error(cat(parts...));
}

}  // namespace soar
