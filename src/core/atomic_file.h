// Atomic file output: write to a temporary file in the same directory, fsync, then rename over the
// target, so a reader (or a run killed with kill -9) sees either the old file or the whole new one.
#pragma once

#include <filesystem>
#include <functional>
#include <iosfwd>
#include <string_view>

namespace soar {

// Calls `write` with a stream on a temporary file next to `path`; on success flushes, fsyncs and
// renames it to `path`. On any failure the temporary file is removed and soar::Error names `path`.
void write_file_atomically(const std::filesystem::path& path,
                           const std::function<void(std::ostream&)>& write);

void write_text_atomically(const std::filesystem::path& path, std::string_view text);

}  // namespace soar
