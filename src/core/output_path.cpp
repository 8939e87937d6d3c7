#include "core/output_path.h"

#include <unistd.h>

#include "core/error.h"

namespace soar {
namespace fs = std::filesystem;

void check_output_path(const fs::path& path, OutputKind kind, const std::vector<NamedInput>& inputs,
                       const std::string& flag) {
  if (path.empty()) fail(flag, " is empty: give a path");
  if (path == "-") fail(flag, " -: soar writes files, not standard output; give a path");
  std::error_code error;
  const fs::file_status status = fs::symlink_status(path, error);
  if (kind == OutputKind::File) {
    if (fs::is_symlink(status)) fail(flag, " ", path, " is a symbolic link: soar replaces its output file, give the file itself");
    if (fs::exists(status) && !fs::is_regular_file(status)) {
      fail(flag, " ", path, " exists and is not a regular file (", fs::is_directory(status) ? "a directory" : "a device, socket or pipe",
           "): soar would replace it");
    }
    const fs::path parent = path.has_parent_path() ? path.parent_path() : ".";
    if (!fs::is_directory(parent, error)) fail(flag, " ", path, ": the directory ", parent, " does not exist");
    if (::access(parent.c_str(), W_OK) != 0) fail(flag, " ", path, ": the directory ", parent, " is not writable");
  } else if (const fs::file_status target = fs::status(path, error); fs::exists(target) && !fs::is_directory(target)) {
    fail(flag, " ", path, " exists and is not a directory: a run writes several files into a directory");
  }
  for (const auto& [input_flag, input] : inputs) {
    if (input.empty() || !fs::exists(input, error) || !fs::exists(path, error)) continue;
    if (fs::equivalent(path, input, error)) {
      fail(flag, " ", path, " is the input of ", input_flag, ": the output would replace it; write elsewhere");
    }
  }
}

}  // namespace soar
