#include "core/directory.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "core/error.h"

namespace soar {

std::vector<std::string> directory_entries(const std::filesystem::path& dir) {
  std::unique_ptr<DIR, int (*)(DIR*)> stream(::opendir(dir.c_str()), ::closedir);
  if (!stream) fail(dir.string(), ": cannot list directory: ", std::strerror(errno));
  std::vector<std::string> names;
  for (;;) {
    errno = 0;
    const dirent* entry = ::readdir(stream.get());
    if (entry == nullptr) {
      if (errno != 0) fail(dir.string(), ": cannot list directory: ", std::strerror(errno));
      break;
    }
    std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(std::move(name));
  }
  std::sort(names.begin(), names.end());
  return names;
}

void remove_tree(const std::filesystem::path& path) {
  struct stat info {};
  if (::lstat(path.c_str(), &info) != 0) {
    if (errno == ENOENT) return;
    fail(path.string(), ": cannot remove: ", std::strerror(errno));
  }
  if (S_ISDIR(info.st_mode)) {
    for (const std::string& name : directory_entries(path)) remove_tree(path / name);
    if (::rmdir(path.c_str()) != 0) fail(path.string(), ": cannot remove directory: ", std::strerror(errno));
  } else if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    fail(path.string(), ": cannot remove: ", std::strerror(errno));
  }
}

std::optional<int64_t> numbered_entry(std::string_view name, std::string_view prefix,
                                      std::initializer_list<std::string_view> suffixes) {
  if (name.substr(0, prefix.size()) != prefix) return std::nullopt;
  const std::string_view rest = name.substr(prefix.size());
  const size_t digits = std::min(rest.find_first_not_of("0123456789"), rest.size());
  if (digits == 0 || digits > 18) return std::nullopt;  // 18 digits always fit in int64_t
  if (std::find(suffixes.begin(), suffixes.end(), rest.substr(digits)) == suffixes.end()) return std::nullopt;
  int64_t number = 0;
  for (char c : rest.substr(0, digits)) number = number * 10 + (c - '0');
  return number;
}

}  // namespace soar
