// Atomic file output: write to a temporary file in the same directory, fsync, then rename over the
// target, so a reader (or a run killed with kill -9) sees either the old file or the whole new one.
#pragma once

#include <filesystem>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

namespace soar {

// Calls `write` with a stream on a temporary file next to `path`; on success flushes, fsyncs and
// renames it to `path`. On any failure the temporary file is removed and soar::Error names `path`.
// A `path` that exists and is not a regular file (a link, a device, a directory) is refused.
void write_file_atomically(const std::filesystem::path& path,
                           const std::function<void(std::ostream&)>& write);

void write_text_atomically(const std::filesystem::path& path, std::string_view text);

// Replaces directory `dir` as a whole: `write` fills DIR.tmp, which is then swapped in (the old
// version is moved to DIR.old during the swap and removed after). A reader uses
// complete_directory() to find the version to trust after a kill at any moment.
void replace_directory_atomically(const std::filesystem::path& dir,
                                  const std::function<void(const std::filesystem::path& staging)>& write);

// DIR if it holds `marker` (a file written last by the writer), else DIR.old if that does (a kill
// between the two renames of a swap), else nullopt.
std::optional<std::filesystem::path> complete_directory(const std::filesystem::path& dir, const std::string& marker);

}  // namespace soar
