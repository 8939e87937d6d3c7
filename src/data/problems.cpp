#include "data/problems.h"

#include <nlohmann/json.hpp>

#include <optional>
#include <set>
#include <variant>
#include <unordered_map>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/utf8.h"
#include "data/jsonl.h"

namespace soar {
namespace {

// ordered_json keeps the extra fields in the order the file has them when they are written back.
using Json = nlohmann::ordered_json;

constexpr std::size_t kMaxWarnings = 1000;
constexpr std::size_t kMaxDepth = 256;

// A SAX pass over a line before it is parsed into a DOM, for what the DOM loses: the error message
// of bad JSON, keys repeated within one object (the DOM keeps only the last), and the source text of
// a float "answer" (the DOM keeps a double, so 0.10 would come back as 0.1 and 1e3 as 1000.0).
struct LineScan : nlohmann::json_sax<Json> {
  std::vector<std::set<std::string>> keys;  // per open object; arrays push nothing
  std::vector<bool> is_object;
  bool next_is_answer = false;
  std::optional<std::string> answer_text, duplicate_key, error;

  bool value() {
    next_is_answer = false;
    return true;
  }
  bool null() override { return value(); }
  bool boolean(bool) override { return value(); }
  bool number_integer(number_integer_t) override { return value(); }
  bool number_unsigned(number_unsigned_t) override { return value(); }
  bool number_float(number_float_t, const string_t& source) override {
    if (next_is_answer) answer_text = source;
    return value();
  }
  bool string(string_t&) override { return value(); }
  bool binary(binary_t&) override { return value(); }
  bool start_object(std::size_t) override {
    next_is_answer = false;
    is_object.push_back(true);
    keys.emplace_back();
    return shallow_enough();
  }
  bool key(string_t& key) override {
    next_is_answer = is_object.size() == 1 && key == "answer";
    if (!keys.back().insert(key).second && !duplicate_key) duplicate_key = key;
    return true;
  }
  bool end_object() override {
    is_object.pop_back();
    keys.pop_back();
    return true;
  }
  bool start_array(std::size_t) override {
    next_is_answer = false;
    is_object.push_back(false);
    return shallow_enough();
  }
  // Deeper values are refused because printing them back (dump) recurses once per level.
  bool shallow_enough() {
    if (is_object.size() <= kMaxDepth) return true;
    error = cat("values nested deeper than ", kMaxDepth, " levels");
    return false;
  }
  bool end_array() override {
    is_object.pop_back();
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
    error = e.what();
    return false;
  }
};

// The text of a required field; integers are accepted for "id" and numbers for "answer".
std::variant<std::string, std::string> field_text(const Json& object, const char* field, const LineScan& scan) {
  using Result = std::variant<std::string, std::string>;  // index 0: the text, index 1: why not
  std::string_view name = field;
  auto it = object.find(field);
  if (it == object.end()) return Result(std::in_place_index<1>, cat("missing field \"", field, "\""));
  std::string text;
  if (it->is_string()) {
    text = it->get<std::string>();
  } else if (name == "id" && it->is_number_integer()) {
    text = it->dump();
  } else if (name == "answer" && it->is_number()) {
    text = it->is_number_float() && scan.answer_text ? *scan.answer_text : it->dump();
  } else {
    const char* expected = name == "id" ? "a string or an integer" : name == "answer" ? "a string or a number" : "a string";
    return Result(std::in_place_index<1>, cat("field \"", field, "\" must be ", expected, ", got ", it->type_name()));
  }
  if (text.empty()) return Result(std::in_place_index<1>, cat("field \"", field, "\" is empty"));
  return Result(std::in_place_index<0>, std::move(text));
}

// Parses one non-blank line into a Problem; returns the reason it is bad instead.
std::variant<Problem, std::string> parse_line(const std::string& line) {
  if (auto bad = first_invalid_utf8(line))
    return cat("invalid UTF-8 at byte ", *bad + 1);
  LineScan scan;
  if (!Json::sax_parse(line, &scan)) return cat("not valid JSON: ", scan.error.value_or("parse error"));
  Json object = Json::parse(line);
  if (!object.is_object()) return cat("expected a JSON object, got ", object.type_name());
  if (scan.duplicate_key) return cat("key \"", *scan.duplicate_key, "\" appears twice in one object");

  Problem problem;
  std::string* targets[] = {&problem.id, &problem.problem, &problem.answer};
  const char* fields[] = {"id", "problem", "answer"};
  for (int i = 0; i < 3; ++i) {
    auto text = field_text(object, fields[i], scan);
    if (text.index() == 1) return std::get<1>(std::move(text));
    *targets[i] = std::get<0>(std::move(text));
    object.erase(fields[i]);
  }
  problem.extra_json = object.dump(-1, ' ', /*ensure_ascii=*/false);
  return problem;
}

}  // namespace

ProblemSet read_problems(const std::filesystem::path& jsonl, BadLinePolicy policy) {
  LineReader reader(jsonl, "problem set");
  ProblemSet set;
  std::unordered_map<std::string, int64_t> first_line;  // id -> line it was defined on
  auto bad_line = [&](const std::string& reason) {
    std::string message = cat(reader.where(), ": ", reason);
    if (policy == BadLinePolicy::Stop) throw Error(message);
    ++set.skipped_lines;
    if (set.warnings.size() < kMaxWarnings) set.warnings.push_back(message + " (line skipped)");
  };

  std::string line;
  for (;;) {
    auto status = reader.next(line);
    if (status == LineReader::Status::End) break;
    if (status == LineReader::Status::TooLong) {
      bad_line(cat("line is longer than ", kMaxJsonlLineBytes, " bytes (16 MiB)"));
      continue;
    }
    if (is_blank(line)) continue;
    auto parsed = parse_line(line);
    if (auto* reason = std::get_if<std::string>(&parsed)) {
      bad_line(*reason);
      continue;
    }
    auto& problem = std::get<Problem>(parsed);
    auto [it, inserted] = first_line.emplace(problem.id, reader.line_number());
    if (!inserted) {
      bad_line(cat("duplicate id \"", problem.id, "\" (first on line ", it->second, ")"));
      continue;
    }
    set.problems.push_back(std::move(problem));
  }
  if (set.skipped_lines > set.warnings.size())
    set.warnings.push_back(cat("... ", set.skipped_lines - set.warnings.size(), " more skipped lines in ",
                               jsonl.string(), " not listed"));
  if (set.problems.empty())
    fail("problem set ", jsonl.string(), " contains no problems",
         set.skipped_lines ? cat(" (", set.skipped_lines, " bad lines skipped)") : std::string());
  return set;
}

void write_problems(const std::filesystem::path& jsonl, const std::vector<Problem>& problems) {
  // Build every line first so a bad problem fails before the file is touched.
  std::string text;
  std::unordered_map<std::string_view, std::size_t> seen;
  for (std::size_t i = 0; i < problems.size(); ++i) {
    const Problem& problem = problems[i];
    std::string which = cat("problem #", i + 1, " (id \"", problem.id, "\") for ", jsonl.string());
    if (problem.id.empty()) fail("cannot write ", which, ": empty id");
    if (problem.problem.empty()) fail("cannot write ", which, ": empty problem text");
    if (problem.answer.empty()) fail("cannot write ", which, ": empty answer");
    if (auto [it, inserted] = seen.emplace(problem.id, i); !inserted)
      fail("cannot write ", which, ": duplicate id, also problem #", it->second + 1);
    for (const std::string* field : {&problem.id, &problem.problem, &problem.answer, &problem.extra_json})
      if (first_invalid_utf8(*field)) fail("cannot write ", which, ": invalid UTF-8");

    Json extra = Json::parse(problem.extra_json, nullptr, /*allow_exceptions=*/false);
    if (extra.is_discarded() || !extra.is_object())
      fail("cannot write ", which, ": extra_json is not a JSON object: ", problem.extra_json.substr(0, 200));
    Json line = Json::object();
    line["id"] = problem.id;
    line["problem"] = problem.problem;
    line["answer"] = problem.answer;
    for (auto& [key, value] : extra.items()) {
      if (line.contains(key)) fail("cannot write ", which, ": extra_json repeats the field \"", key, "\"");
      line[key] = value;
    }
    text += line.dump(-1, ' ', /*ensure_ascii=*/false);
    text += '\n';
  }
  write_text_atomically(jsonl, text);
}

}  // namespace soar
