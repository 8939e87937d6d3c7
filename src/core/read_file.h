// Reading a whole file into memory, with the errors every reader should give.
#pragma once

#include <filesystem>
#include <string>

namespace soar {

// The file's bytes. soar::Error "<path>: cannot open: <reason>" or "<path>: read failed".
std::string read_whole_file(const std::filesystem::path& path);

}  // namespace soar
