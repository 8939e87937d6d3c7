// What to show a user for an exception. libtorch's c10::Error carries a C++ backtrace in what()
// (19 lines of libtorch frames for a truncated optimizer.pt), which tells someone resuming a run
// nothing; its message alone does.
#pragma once

#include <exception>
#include <string>

namespace soar {

std::string exception_text(const std::exception& e);

}  // namespace soar
