// Where a command may write. The atomic writers rename over their target, so an --out naming a
// device, a link or one of the command's own inputs would be replaced by a regular file: refused
// here, before any work is done, with the flag named.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace soar {

enum class OutputKind { File, Directory };

// An input the output must not replace: its flag (for the message) and its path; empty paths are
// ignored.
using NamedInput = std::pair<std::string, std::filesystem::path>;

// Throws soar::Error naming `flag` when `path` is "-" or empty, exists but is not a regular file
// (File; symbolic links refused too) or not a directory (Directory), has no directory to be written
// into (File), or is one of `inputs` (the same file or directory, by identity, not by spelling).
void check_output_path(const std::filesystem::path& path, OutputKind kind, const std::vector<NamedInput>& inputs = {},
                       const std::string& flag = "--out");

}  // namespace soar
