#include "data/problems.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "data/jsonl.h"
#include "test_files.h"

namespace soar {
namespace {

using test::fresh_dir;
using test::read_bytes;
using test::write_bytes;

// The message of the soar::Error that reading `path` throws (fails the test if none is thrown).
std::string read_error(const std::filesystem::path& path) {
  try {
    read_problems(path);
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no error reading " << path;
  return "";
}

// A valid line 1, then `bad` on line 2, then a valid line 3.
std::filesystem::path file_with_bad_line_2(const std::string& bad) {
  auto path = fresh_dir() / "set.jsonl";
  write_bytes(path, "{\"id\":\"a\",\"problem\":\"1+1\",\"answer\":\"2\"}\n" + bad +
                        "\n{\"id\":\"c\",\"problem\":\"2+2\",\"answer\":\"4\"}\n");
  return path;
}

void expect_line_2_error(const std::string& bad, const std::string& reason) {
  SCOPED_TRACE(bad.substr(0, 80));
  auto path = file_with_bad_line_2(bad);
  std::string message = read_error(path);
  EXPECT_EQ(message.rfind(path.string() + ":2: ", 0), 0u) << message;
  EXPECT_NE(message.find(reason), std::string::npos) << message;

  // With Skip the same line is counted and warned about, and the good lines are kept.
  ProblemSet set = read_problems(path, BadLinePolicy::Skip);
  ASSERT_EQ(set.problems.size(), 2u);
  EXPECT_EQ(set.problems[0].id, "a");
  EXPECT_EQ(set.problems[1].id, "c");
  EXPECT_EQ(set.skipped_lines, 1u);
  ASSERT_EQ(set.warnings.size(), 1u);
  EXPECT_EQ(set.warnings[0].rfind(path.string() + ":2: ", 0), 0u) << set.warnings[0];
  EXPECT_NE(set.warnings[0].find(reason), std::string::npos) << set.warnings[0];
}

TEST(Problems, ReadsFieldsAndKeepsExtraFields) {
  auto path = fresh_dir() / "set.jsonl";
  write_bytes(path,
              R"({"id":"p1","problem":"What is 6*7?","answer":"42","source":"gsm8k","meta":{"level":3,"tags":["x"]}})"
              "\n"
              R"({"source":"b","id":17,"answer":42,"problem":"Integer id, number answer"})"
              "\n"
              R"({"id":"p3","problem":"Float answer","answer":0.5})"
              "\n"
              R"({"id":"p4","problem":"Float text kept as written","answer":1.50e3})"
              "\n"
              R"({"id":"p5","problem":"Unicode \u00e9 and 日本","answer":"é"})");
  ProblemSet set = read_problems(path);
  ASSERT_EQ(set.problems.size(), 5u);
  EXPECT_EQ(set.skipped_lines, 0u);
  EXPECT_TRUE(set.warnings.empty());
  const auto& p = set.problems;
  EXPECT_EQ(p[0].id, "p1");
  EXPECT_EQ(p[0].problem, "What is 6*7?");
  EXPECT_EQ(p[0].answer, "42");
  EXPECT_EQ(p[0].extra_json, R"({"source":"gsm8k","meta":{"level":3,"tags":["x"]}})");
  EXPECT_EQ(p[1].id, "17");
  EXPECT_EQ(p[1].answer, "42");
  EXPECT_EQ(p[1].extra_json, R"({"source":"b"})");
  EXPECT_EQ(p[2].answer, "0.5");
  EXPECT_EQ(p[2].extra_json, "{}");
  EXPECT_EQ(p[3].answer, "1.50e3");
  EXPECT_EQ(p[4].problem, "Unicode \u00e9 and 日本");
  EXPECT_EQ(p[4].answer, "é");
}

TEST(Problems, RoundTripPreservesEverything) {
  auto dir = fresh_dir();
  write_bytes(dir / "in.jsonl",
              R"({"id":"p1","problem":"Q1","answer":"A1","zeta":1,"alpha":[1,2,{"b":null}],"s":"\n\"é"})"
              "\n"
              R"({"id":2,"problem":"Q2","answer":3.25})"
              "\n");
  ProblemSet first = read_problems(dir / "in.jsonl");
  write_problems(dir / "out.jsonl", first.problems);
  ProblemSet second = read_problems(dir / "out.jsonl");
  ASSERT_EQ(second.problems.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(second.problems[i].id, first.problems[i].id);
    EXPECT_EQ(second.problems[i].problem, first.problems[i].problem);
    EXPECT_EQ(second.problems[i].answer, first.problems[i].answer);
    EXPECT_EQ(second.problems[i].extra_json, first.problems[i].extra_json);
  }
  // Extra fields keep their order and values; id/problem/answer come first, as strings.
  std::string written = read_bytes(dir / "out.jsonl");
  EXPECT_EQ(written,
            R"({"id":"p1","problem":"Q1","answer":"A1","zeta":1,"alpha":[1,2,{"b":null}],"s":"\n\"é"})"
            "\n"
            R"({"id":"2","problem":"Q2","answer":"3.25"})"
            "\n");
}

TEST(Problems, WriteRejectsWhatCouldNotBeReadBack) {
  auto path = fresh_dir() / "out.jsonl";
  Problem good{"a", "q", "1"};
  auto write_error = [&](std::vector<Problem> problems) -> std::string {
    try {
      write_problems(path, problems);
    } catch (const Error& e) {
      return e.what();
    }
    return "no error";
  };
  EXPECT_NE(write_error({good, good}).find("duplicate id"), std::string::npos);
  EXPECT_NE(write_error({Problem{"", "q", "1"}}).find("empty id"), std::string::npos);
  EXPECT_NE(write_error({Problem{"b", "q", ""}}).find("empty answer"), std::string::npos);
  EXPECT_NE(write_error({Problem{"b", "q\xff", "1"}}).find("invalid UTF-8"), std::string::npos);
  EXPECT_NE(write_error({Problem{"b", "q", "1", "[1]"}}).find("not a JSON object"), std::string::npos);
  EXPECT_NE(write_error({Problem{"b", "q", "1", R"({"id":"x"})"}}).find("repeats the field \"id\""),
            std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(path)) << "a failed write must not leave a file";
}

TEST(Problems, AcceptsCrlfBlankLinesAndNoFinalNewline) {
  auto path = fresh_dir() / "set.jsonl";
  // A UTF-8 byte order mark that some editors write is skipped (by nlohmann::json).
  write_bytes(path, "\xEF\xBB\xBF{\"id\":\"a\",\"problem\":\"q\",\"answer\":\"1\"}\r\n\r\n  \n\t\r\n"
                    "{\"id\":\"b\",\"problem\":\"q\\r\",\"answer\":\"2\"}\r\n"
                    "{\"id\":\"c\",\"problem\":\"q\",\"answer\":\"3\"}");
  ProblemSet set = read_problems(path);
  ASSERT_EQ(set.problems.size(), 3u);
  EXPECT_EQ(set.problems[0].answer, "1");
  EXPECT_EQ(set.problems[1].problem, "q\r");  // an escaped \r inside a string is content
  EXPECT_EQ(set.problems[2].id, "c");
}

TEST(Problems, BadLinesNameFileLineAndReason) {
  expect_line_2_error("{\"id\":\"b\",\"problem\":\"q\",", "not valid JSON");
  expect_line_2_error("not json at all", "not valid JSON");
  expect_line_2_error("[1,2,3]", "expected a JSON object, got array");
  expect_line_2_error("\"just a string\"", "expected a JSON object, got string");
  expect_line_2_error(R"({"problem":"q","answer":"1"})", "missing field \"id\"");
  expect_line_2_error(R"({"id":"b","answer":"1"})", "missing field \"problem\"");
  expect_line_2_error(R"({"id":"b","problem":"q"})", "missing field \"answer\"");
  expect_line_2_error(R"({"id":1.5,"problem":"q","answer":"1"})", "field \"id\" must be a string or an integer, got number");
  expect_line_2_error(R"({"id":null,"problem":"q","answer":"1"})", "field \"id\" must be a string or an integer, got null");
  expect_line_2_error(R"({"id":"b","problem":7,"answer":"1"})", "field \"problem\" must be a string, got number");
  expect_line_2_error(R"({"id":"b","problem":"q","answer":[1]})", "field \"answer\" must be a string or a number, got array");
  expect_line_2_error(R"({"id":"b","problem":"q","answer":true})", "field \"answer\" must be a string or a number, got boolean");
  expect_line_2_error(R"({"id":"","problem":"q","answer":"1"})", "field \"id\" is empty");
  expect_line_2_error(R"({"id":"b","problem":"q","answer":""})", "field \"answer\" is empty");
  expect_line_2_error(R"({"id":"b","id":"b2","problem":"q","answer":"1"})", "key \"id\" appears twice");
  expect_line_2_error(R"({"id":"a","problem":"again","answer":"1"})", "duplicate id \"a\" (first on line 1)");
  expect_line_2_error("{\"id\":\"b\",\"problem\":\"caf\xC3\",\"answer\":\"1\"}", "invalid UTF-8 at byte 25");
  expect_line_2_error("{\"id\":\"b\",\"problem\":\"\xED\xA0\x80\",\"answer\":\"1\"}", "invalid UTF-8");  // surrogate
  expect_line_2_error("{\"id\":\"b\",\"problem\":\"\xC0\xAF\",\"answer\":\"1\"}", "invalid UTF-8");  // overlong
  expect_line_2_error(R"({"id":"b","problem":"q","answer":"1","deep":)" + std::string(300, '[') +
                          std::string(300, ']') + "}",
                      "nested deeper than");
}

TEST(Problems, LineOver16MiBIsAnError) {
  std::string big = R"({"id":"b","problem":")" + std::string(kMaxJsonlLineBytes, 'x') + R"(","answer":"1"})";
  expect_line_2_error(big, "longer than 16777216 bytes");

  // Exactly at the limit (with a CRLF ending, whose \r is not counted) is accepted.
  std::string prefix = R"({"id":"b","problem":")", suffix = R"(","answer":"1"})";
  std::string fits = prefix + std::string(kMaxJsonlLineBytes - prefix.size() - suffix.size(), 'y') + suffix;
  ASSERT_EQ(fits.size(), kMaxJsonlLineBytes);
  auto path = fresh_dir() / "fits.jsonl";
  write_bytes(path, fits + "\r\n");
  ProblemSet set = read_problems(path);
  ASSERT_EQ(set.problems.size(), 1u);
  EXPECT_EQ(set.problems[0].problem.size(), kMaxJsonlLineBytes - prefix.size() - suffix.size());
}

TEST(Problems, SkipCountsEveryBadLine) {
  auto path = fresh_dir() / "set.jsonl";
  write_bytes(path,
              "garbage\n"
              R"({"id":"a","problem":"q","answer":"1"})" "\n"
              "\n"
              R"({"id":"a","problem":"q","answer":"2"})" "\n"
              R"({"id":"b","problem":"q"})" "\n"
              R"({"id":"c","problem":"q","answer":"3"})");
  ProblemSet set = read_problems(path, BadLinePolicy::Skip);
  ASSERT_EQ(set.problems.size(), 2u);
  EXPECT_EQ(set.problems[0].answer, "1") << "the first of two duplicate ids is kept";
  EXPECT_EQ(set.problems[1].id, "c");
  EXPECT_EQ(set.skipped_lines, 3u);
  ASSERT_EQ(set.warnings.size(), 3u);
  EXPECT_EQ(set.warnings[0].rfind(path.string() + ":1: ", 0), 0u) << set.warnings[0];
  EXPECT_EQ(set.warnings[1].rfind(path.string() + ":4: duplicate id", 0), 0u) << set.warnings[1];
  EXPECT_EQ(set.warnings[2].rfind(path.string() + ":5: missing field", 0), 0u) << set.warnings[2];
  // Stop reports the first bad line.
  EXPECT_EQ(read_error(path).rfind(path.string() + ":1: not valid JSON", 0), 0u);
}

TEST(Problems, EmptySetIsAnErrorNamingTheFile) {
  auto dir = fresh_dir();
  write_bytes(dir / "empty.jsonl", "");
  write_bytes(dir / "blank.jsonl", "\n \r\n\n");
  write_bytes(dir / "all_bad.jsonl", "x\ny\n");
  for (const char* name : {"empty.jsonl", "blank.jsonl"}) {
    std::string message = read_error(dir / name);
    EXPECT_NE(message.find((dir / name).string() + " contains no problems"), std::string::npos) << message;
  }
  try {
    read_problems(dir / "all_bad.jsonl", BadLinePolicy::Skip);
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find((dir / "all_bad.jsonl").string() + " contains no problems (2 bad lines skipped)"),
              std::string::npos)
        << e.what();
  }
}

TEST(Problems, MissingFileIsAClearError) {
  auto path = fresh_dir() / "nope.jsonl";
  std::string message = read_error(path);
  EXPECT_EQ(message, "problem set file " + path.string() + " does not exist");
  EXPECT_NE(read_error(fresh_dir()).find("is a directory"), std::string::npos);
}

}  // namespace
}  // namespace soar
