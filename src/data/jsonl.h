// Line-oriented reading shared by the JSONL formats in this folder (problem sets, mining logs).
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace soar {

// Longest line accepted in any JSONL file; a longer one is reported instead of being read whole, so
// a wrong file (a binary, one giant line) fails fast instead of exhausting memory.
inline constexpr std::size_t kMaxJsonlLineBytes = std::size_t(16) << 20;

// Reads a file line by line, counting physical lines from 1 and accepting LF or CRLF endings.
class LineReader {
 public:
  enum class Status { Line, TooLong, End };

  // Fails with soar::Error naming `what` (e.g. "problem set") and the path if it cannot be opened.
  LineReader(const std::filesystem::path& path, std::string_view what);

  // Line: `line` holds the next line without its ending. TooLong: the line exceeded
  // kMaxJsonlLineBytes and was skipped up to its end. End: no more lines.
  Status next(std::string& line);
  int64_t line_number() const { return line_number_; }
  // Whether the line just returned ended with a newline (false only for a final unterminated one).
  bool terminated() const { return terminated_; }
  // "file:line" of the line just returned, for messages.
  std::string where() const;

 private:
  std::filesystem::path path_;
  std::ifstream in_;
  int64_t line_number_ = 0;
  bool terminated_ = true;
};

// Only spaces and tabs (after the line ending was removed).
bool is_blank(std::string_view line);

}  // namespace soar
