#include "data/jsonl.h"

#include <cerrno>
#include <cstring>

#include "core/error.h"

namespace soar {

LineReader::LineReader(const std::filesystem::path& path, std::string_view what) : path_(path) {
  std::error_code ec;
  auto status = std::filesystem::status(path, ec);
  if (!std::filesystem::exists(status)) fail(what, " file ", path.string(), " does not exist");
  if (std::filesystem::is_directory(status)) fail(what, " file ", path.string(), " is a directory");
  in_.open(path, std::ios::binary);
  if (!in_) fail("cannot open ", what, " file ", path.string(), ": ", std::strerror(errno));
}

LineReader::Status LineReader::next(std::string& line) {
  line.clear();
  std::streambuf* buffer = in_.rdbuf();
  bool too_long = false, any = false;
  terminated_ = false;
  for (;;) {
    int c = buffer->sbumpc();
    if (c == std::char_traits<char>::eof()) break;
    any = true;
    if (c == '\n') {
      terminated_ = true;
      break;
    }
    // One byte of slack for the '\r' of a CRLF ending, which is not part of the line.
    if (line.size() > kMaxJsonlLineBytes) {
      too_long = true;
      line.clear();
    }
    if (!too_long) line.push_back(char(c));
  }
  if (!any) return Status::End;
  ++line_number_;
  if (!too_long && !line.empty() && line.back() == '\r') line.pop_back();
  if (too_long || line.size() > kMaxJsonlLineBytes) {
    line.clear();
    return Status::TooLong;
  }
  return Status::Line;
}

std::string LineReader::where() const { return cat(path_.string(), ":", line_number_); }

bool is_blank(std::string_view line) { return line.find_first_not_of(" \t") == std::string_view::npos; }

}  // namespace soar
