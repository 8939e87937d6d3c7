#include "core/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "core/directory.h"
#include "core/error.h"

namespace soar {
namespace {

void fsync_path(const std::filesystem::path& path, bool directory) {
  int fd = ::open(path.c_str(), directory ? O_RDONLY | O_DIRECTORY : O_RDONLY);
  if (fd < 0) fail("cannot open ", path, " to sync it: ", std::strerror(errno));
  int rc = ::fsync(fd);
  int saved = errno;
  ::close(fd);
  if (rc != 0) fail("fsync of ", path, " failed: ", std::strerror(saved));
}

}  // namespace

void write_file_atomically(const std::filesystem::path& path,
                           const std::function<void(std::ostream&)>& write) {
  static std::atomic<unsigned> counter{0};
  // The rename below replaces whatever `path` names: a device (/dev/stdout), a pipe or a link would
  // become a regular file. Only regular files (or nothing) are replaced.
  std::error_code status_error;
  const std::filesystem::file_status status = std::filesystem::symlink_status(path, status_error);
  if (std::filesystem::exists(status) && !std::filesystem::is_regular_file(status)) {
    fail("refusing to replace ", path, ": it exists and is not a regular file (a link, device, pipe or directory)");
  }
  std::filesystem::path directory = path.has_parent_path() ? path.parent_path() : ".";
  std::filesystem::path temporary =
      directory / cat(".", path.filename().string(), ".tmp.", ::getpid(), ".", counter++);
  try {
    {
      std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
      if (!out) fail("cannot create ", temporary, ": ", std::strerror(errno));
      write(out);
      out.flush();
      if (!out) fail("writing ", temporary, " failed (disk full?)");
    }
    fsync_path(temporary, false);
    std::filesystem::rename(temporary, path);
    fsync_path(directory, true);
  } catch (const std::exception& e) {
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);
    fail("cannot write ", path, ": ", e.what());
  }
}

void write_text_atomically(const std::filesystem::path& path, std::string_view text) {
  write_file_atomically(path, [&](std::ostream& out) { out.write(text.data(), std::streamsize(text.size())); });
}

void replace_directory_atomically(const std::filesystem::path& dir,
                                  const std::function<void(const std::filesystem::path& staging)>& write) {
  namespace fs = std::filesystem;
  fs::path staging = dir.string() + ".tmp", old = dir.string() + ".old";
  remove_tree(staging);
  write(staging);
  remove_tree(old);
  if (fs::exists(dir)) fs::rename(dir, old);
  fs::rename(staging, dir);
  fsync_path(dir.has_parent_path() ? dir.parent_path() : ".", true);
  remove_tree(old);
}

std::optional<std::filesystem::path> complete_directory(const std::filesystem::path& dir, const std::string& marker) {
  if (std::filesystem::exists(dir / marker)) return dir;
  std::filesystem::path old = dir.string() + ".old";
  if (std::filesystem::exists(old / marker)) return old;
  return std::nullopt;
}

}  // namespace soar
