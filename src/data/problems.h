// Problem sets: JSONL files with one problem per line, {"id", "problem", "answer", ...}.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace soar {

struct Problem {
  std::string id;       // a JSON string, or an integer stored as its decimal text
  std::string problem;  // the prompt text
  std::string answer;   // a JSON string, or a number stored as its JSON text as written (42, 0.5, 1e3)
  std::string extra_json = "{}";  // every other field of the line, as a compact JSON object
};

enum class BadLinePolicy { Stop, Skip };

struct ProblemSet {
  std::vector<Problem> problems;
  std::size_t skipped_lines = 0;
  std::vector<std::string> warnings;  // "file:line: reason (line skipped)", the first 1000 of them
};

// Reads a problem set. A bad line (not JSON, not an object, a missing or empty field, a field of the
// wrong type, a duplicate id, invalid UTF-8, longer than 16 MiB) is a soar::Error "file:line: reason"
// with Stop, and is counted and warned about with Skip (the first of duplicate ids is kept). Blank
// lines are ignored; LF and CRLF endings and a final line without one are accepted. A missing file,
// or one with no problems left, is an error naming the file.
ProblemSet read_problems(const std::filesystem::path& jsonl, BadLinePolicy policy = BadLinePolicy::Stop);

// Writes problems atomically, one line each: id, problem and answer as JSON strings, followed by the
// extra fields in their original order. Fails, naming the problem, on a duplicate or empty id, an
// empty problem or answer, invalid UTF-8, or extra_json that is not an object of other fields.
void write_problems(const std::filesystem::path& jsonl, const std::vector<Problem>& problems);

}  // namespace soar
