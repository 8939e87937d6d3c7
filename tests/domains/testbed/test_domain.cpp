// The generator, the checker, the statement parser and the corpus must agree on every problem,
// and the checker must agree with ordinary integer arithmetic (an independent oracle).
#include <gtest/gtest.h>

#include <algorithm>

#include "core/error.h"
#include "domains/testbed/corpus.h"
#include "domains/testbed/datasets.h"
#include "domains/testbed/domain.h"
#include "domains/testbed/prompts.h"

namespace soar::testbed {
namespace {

uint64_t from_little_endian(const std::string& digits) {
  uint64_t value = 0;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) value = value * 10 + static_cast<uint64_t>(*it - '0');
  return value;
}

TEST(Domain, AnswersAgreeWithIntegerArithmetic) {
  SplitMix64 rng(7);
  for (int level = 1; level <= kMaxLevel; ++level) {  // <= 16 digits: sums of three fit in 64 bits
    for (int i = 0; i < 500; ++i) {
      const AdditionProblem p = generate_problem(level, rng);
      ASSERT_EQ(p.level(), level);
      ASSERT_EQ(p.a.size(), static_cast<size_t>(level));
      if (level > 1) {
        ASSERT_NE(p.a.back(), '0') << "leading (most significant) digit must be non-zero";
      }
      const std::string expected = to_little_endian(from_little_endian(p.a) + from_little_endian(p.b));
      ASSERT_EQ(p.answer(), expected) << p.statement();
      ASSERT_TRUE(check_answer(p, expected));
      ASSERT_TRUE(check_answer(p, " " + expected + " "));
      ASSERT_FALSE(check_answer(p, expected + "0"));
      const auto parsed = parse_statement(p.statement());
      ASSERT_TRUE(parsed.has_value()) << p.statement();
      ASSERT_EQ(parsed->a, p.a);
      ASSERT_EQ(parsed->b, p.b);
    }
  }
}

TEST(Domain, ThreeOperandAnswersAgreeWithIntegerArithmetic) {
  SplitMix64 rng(8);
  for (int level = 1; level <= kMaxLevel; ++level) {
    for (int i = 0; i < 500; ++i) {
      const AdditionProblem p = generate_problem(level, rng, 3);
      ASSERT_EQ(p.operands(), 3);
      ASSERT_EQ(p.c.size(), static_cast<size_t>(level));
      const std::string expected = to_little_endian(from_little_endian(p.a) + from_little_endian(p.b) + from_little_endian(p.c));
      ASSERT_EQ(p.answer(), expected) << p.statement();
      ASSERT_TRUE(check_answer(p, expected));
      ASSERT_LE(expected.size(), static_cast<size_t>(level) + 1) << "at most one digit more than the operands";
      const auto parsed = parse_statement(p.statement());
      ASSERT_TRUE(parsed.has_value()) << p.statement();
      ASSERT_EQ(parsed->statement(), p.statement());
      ASSERT_EQ(parsed->c, p.c);
    }
  }
  // 999 + 999 + 999 = 2997: a carry of 2.
  EXPECT_EQ((AdditionProblem{"999", "999", "999"}).answer(), "7992");
  EXPECT_EQ((AdditionProblem{"74", "53", "1"}).statement(), pad_field("74") + "+" + pad_field("53") + "+" + pad_field("1"));
  EXPECT_FALSE(parse_statement(pad_field("74") + "+" + pad_field("53") + "+").has_value());
  EXPECT_FALSE(parse_statement(pad_field("74") + "+" + pad_field("53") + "-" + pad_field("1")).has_value());
  EXPECT_FALSE(parse_statement(pad_field("74") + "+" + pad_field("53") + "+" + std::string(kWidth, '_')).has_value());
  EXPECT_THROW(generate_problem(3, rng, 4), Error);
}

TEST(Domain, KnownExamples) {
  // 47 + 35 = 82, written little-endian.
  EXPECT_EQ((AdditionProblem{"74", "53"}).answer(), "28");
  // 99 + 1 = 100: the carry adds a digit.
  EXPECT_EQ((AdditionProblem{"99", "1"}).answer(), "001");
  EXPECT_EQ((AdditionProblem{"0", "0"}).answer(), "0");
  EXPECT_EQ((AdditionProblem{"74", "53"}).statement(), pad_field("74") + "+" + pad_field("53"));
}

TEST(Domain, ParserRejectsMalformedStatements) {
  const std::string good = pad_field("74") + "+" + pad_field("53");
  ASSERT_TRUE(parse_statement(good).has_value());
  EXPECT_TRUE(parse_statement(" " + good + "\n").has_value());
  for (const std::string& bad : {std::string(""), std::string("+"), std::string("74+53"), "74" + std::string(kWidth - 3, '_') + "+" + pad_field("53"),
                                "7_4" + std::string(kWidth - 3, '_') + "+" + pad_field("53"), std::string(kWidth, '_') + "+" + pad_field("53"),
                                pad_field("74") + "-" + pad_field("53"), pad_field("7a") + "+" + pad_field("53"),
                                good + "_", good + "+1"}) {
    EXPECT_FALSE(parse_statement(bad).has_value()) << bad;
  }
  const auto full = parse_statement(std::string(kWidth, '9') + "+" + std::string(kWidth, '9'));
  ASSERT_TRUE(full.has_value());
  EXPECT_EQ(full->level(), kWidth);
}

TEST(Domain, GeneratorIsDeterministic) {
  SplitMix64 a(42), b(42);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(generate_problem(9, a).statement(), generate_problem(9, b).statement());
}

TEST(Prompts, StudentAnswerExtraction) {
  EXPECT_EQ(student_answer("28\nQ:1"), "28");
  EXPECT_EQ(student_answer(" 28 "), "28");
  const Problem problem{"x", pad_field("74") + "+" + pad_field("53"), "28", "{}"};
  EXPECT_EQ(checked_reward()(problem, "28"), 1.0);
  EXPECT_EQ(checked_reward()(problem, "82"), 0.0);
  EXPECT_EQ(checked_reward()(Problem{"y", "garbage", "28", "{}"}, "28"), 0.0);
  // The engine's exact-match reward scores the same completion the same way (the answer format is bare).
  EXPECT_EQ(exact_match_reward()(problem, student_answer("28\n")), 1.0);
}

TEST(Prompts, TeacherItemsUseTheStudentLayout) {
  const AdditionProblem p{"74", "53"};
  EXPECT_EQ(teacher_item(p, "28"), student_prompt(p.statement()) + "28\n");
  EXPECT_EQ(teacher_item(p, "28"), "Q:" + pad_field("74") + "+" + pad_field("53") + "\nA:28\n");
  const AdditionProblem longest{std::string(kWidth, '9'), std::string(kWidth, '9')};
  EXPECT_EQ(teacher_item(longest, longest.answer()).size(), static_cast<size_t>(kTeacherItemMaxChars));
  EXPECT_EQ(teacher_max_new_tokens(4), 4 * kTeacherItemMaxChars + 1);
}

// Format 6: the student answers most significant digit first, the teacher states "S:" answers least
// significant digit first, and its pair reaches the student reversed.
TEST(Prompts, SumMsdStudentAndLsdTeacher) {
  const AdditionProblem p{"74", "53"};  // 47 + 35 = 82
  EXPECT_EQ(parse_student_task("sum-msd"), StudentTask::sum_msd);
  EXPECT_EQ(parse_student_task("sum"), StudentTask::sum);
  EXPECT_EQ(parse_student_task("difference"), StudentTask::difference);
  EXPECT_THROW(parse_student_task("msd"), Error);
  EXPECT_EQ(true_student_problem(p, StudentTask::sum_msd).answer, "82");
  EXPECT_EQ(true_student_problem(AdditionProblem{"9", "9"}, StudentTask::sum_msd).answer, "18");
  EXPECT_EQ(solved_item(p, StudentTask::sum_msd), "Q:" + p.statement() + "\nA:82\n");
  EXPECT_EQ(solved_item(p), teacher_item(p, "28"));
  const Problem problem{"x", p.statement(), "82", "{}"};
  EXPECT_EQ(checked_reward(StudentTask::sum_msd)(problem, "82\n"), 1.0);
  EXPECT_EQ(checked_reward(StudentTask::sum_msd)(problem, "28\n"), 0.0);
  EXPECT_EQ(teacher_item(p, "28", StudentTask::sum_msd), "Q:" + p.statement() + "\nS:28\n");
  const TeacherSet set = parse_teacher_set(teacher_item(p, "28", StudentTask::sum_msd), StudentTask::sum_msd);
  ASSERT_EQ(set.items.size(), 1u);
  EXPECT_TRUE(set.items[0].correct);
  EXPECT_EQ(set.malformed_lines, 0);
  // Each task reads only its own tag.
  EXPECT_EQ(parse_teacher_set(teacher_item(p, "28"), StudentTask::sum_msd).malformed_lines, 2);
  EXPECT_TRUE(parse_teacher_set(teacher_item(p, "28", StudentTask::sum_msd)).items.empty());
  const meta::ParsedRollout rollout = parse_teacher_rollout(teacher_item(p, "28", StudentTask::sum_msd), StudentTask::sum_msd);
  ASSERT_TRUE(rollout.problem.has_value()) << rollout.rejection;
  EXPECT_EQ(rollout.problem->problem, p.statement());
  EXPECT_EQ(rollout.problem->answer, "82") << "the teacher's pair reaches the student in the student's order";
  EXPECT_EQ(exact_match_reward()(*rollout.problem, student_answer("82\n")), 1.0);
}

// Format 7: the teacher writes a + b = c; the student gets c - a and must answer b.
TEST(Prompts, DifferenceStudentAndSumTeacher) {
  const AdditionProblem p{"74", "53"};  // 47 + 35 = 82
  const std::string statement = difference_statement("28", "74");  // 82 - 47
  EXPECT_EQ(statement, "28_______________-74______________");
  EXPECT_EQ(statement.size(), static_cast<size_t>(2 * kWidth + 2));
  EXPECT_TRUE(is_student_statement(statement, StudentTask::difference));
  EXPECT_FALSE(is_student_statement(statement, StudentTask::sum));
  EXPECT_FALSE(is_student_statement(p.statement(), StudentTask::difference));
  EXPECT_EQ(true_student_answer(statement, StudentTask::difference), "53");
  EXPECT_EQ(true_student_answer(difference_statement("1", "2"), StudentTask::difference), std::nullopt) << "1 - 2 has no answer";
  EXPECT_EQ(true_student_answer(difference_statement("55", "55"), StudentTask::difference), "0");
  EXPECT_EQ(true_student_answer(difference_statement("01", "9"), StudentTask::difference), "1") << "10 - 9";
  const StudentProblem solved = true_student_problem(p, StudentTask::difference);
  EXPECT_EQ(solved.statement, statement);
  EXPECT_EQ(solved.answer, "53");
  EXPECT_EQ(solved_item(p, StudentTask::difference), "Q:" + statement + "\nA:53\n");
  // A 17-digit sum fits the first field.
  const AdditionProblem longest{std::string(kWidth, '9'), std::string(kWidth, '9')};
  EXPECT_EQ(true_student_answer(true_student_problem(longest, StudentTask::difference).statement, StudentTask::difference),
            std::string(kWidth, '9'));
  EXPECT_THROW(true_student_problem(AdditionProblem{"1", "2", "3"}, StudentTask::difference), Error);
  // The teacher's item is format 5's; a wrong sum makes a wrong problem.
  EXPECT_EQ(teacher_item(p, "28", StudentTask::difference), teacher_item(p, "28"));
  const meta::ParsedRollout right = parse_teacher_rollout(teacher_item(p, "28"), StudentTask::difference);
  ASSERT_TRUE(right.problem.has_value()) << right.rejection;
  EXPECT_EQ(right.problem->problem, statement);
  EXPECT_EQ(right.problem->answer, "53");
  EXPECT_EQ(checked_reward(StudentTask::difference)(*right.problem, "53\n"), 1.0);
  const meta::ParsedRollout wrong = parse_teacher_rollout(teacher_item(p, "38"), StudentTask::difference);
  ASSERT_TRUE(wrong.problem.has_value());
  EXPECT_EQ(wrong.problem->answer, "53");
  EXPECT_EQ(checked_reward(StudentTask::difference)(*wrong.problem, "53\n"), 0.0) << "83 - 47 is not 35";
  EXPECT_EQ(parse_teacher_rollout(teacher_item(AdditionProblem{"1", "2", "3"}, "6"), StudentTask::difference).rejection,
            "not a two-operand sum");
  // Oracle problems are the student's.
  SplitMix64 rng(5);
  for (const Problem& q : oracle_problems({4, 9}, 200, rng, StudentTask::difference)) {
    ASSERT_EQ(true_student_answer(q.problem, StudentTask::difference), q.answer) << q.problem;
  }
}

// Differences agree with 64-bit arithmetic at every level.
TEST(Domain, DifferencesAgreeWithIntegerArithmetic) {
  SplitMix64 rng(21);
  for (int level = kMinLevel; level <= kMaxLevel; ++level) {
    for (int i = 0; i < 500; ++i) {
      const AdditionProblem p = generate_problem(level, rng);
      const uint64_t a = from_little_endian(p.a), b = from_little_endian(p.b);
      const StudentProblem student = true_student_problem(p, StudentTask::difference);
      ASSERT_EQ(student.answer, to_little_endian(b));
      ASSERT_EQ(true_student_answer(student.statement, StudentTask::difference), to_little_endian(b));
      // Any c - a with c >= a, and nothing for c < a.
      const uint64_t c = from_little_endian(p.answer()) - rng.below(a + b + 1);  // in [0, a + b]
      const auto answer = true_student_answer(difference_statement(to_little_endian(c), p.a), StudentTask::difference);
      if (c >= a) {
        ASSERT_EQ(answer, to_little_endian(c - a));
      } else {
        ASSERT_EQ(answer, std::nullopt);
      }
    }
  }
}

TEST(Prompts, InterleavedTeacherAndSumStudent) {
  const AdditionProblem p{"74", "53"};  // 47 + 35 = 82
  EXPECT_EQ(interleaved_sum_text(p, "28"), "752438__0");
  EXPECT_EQ(interleaved_sum_text(AdditionProblem{"5", "5"}, "01"), "550__1");            // 5 + 5 = 10
  EXPECT_EQ(interleaved_sum_text(AdditionProblem{"99", "1"}, "001"), "9109_0__1");       // 99 + 1 = 100
  EXPECT_THROW(interleaved_sum_text(p, "2"), Error) << "a level-2 sum has 2 or 3 digits";
  EXPECT_THROW(interleaved_sum_text(AdditionProblem{"1", "2", "3"}, "6"), Error);
  EXPECT_EQ(teacher_item(p, "28", StudentTask::interleaved), "W:752438__0\n");
  EXPECT_STREQ(teacher_answer_tag(StudentTask::interleaved), "W:");
  // The student's side is format 5's.
  EXPECT_EQ(solved_item(p, StudentTask::interleaved), solved_item(p));
  EXPECT_EQ(true_student_answer(p.statement(), StudentTask::interleaved), "28");
  EXPECT_TRUE(is_student_statement(p.statement(), StudentTask::interleaved));
  EXPECT_EQ(parse_student_task("interleaved"), StudentTask::interleaved);
  const meta::ParsedRollout right = parse_teacher_rollout("W:752438__0\n", StudentTask::interleaved);
  ASSERT_TRUE(right.problem.has_value()) << right.rejection;
  EXPECT_EQ(right.problem->problem, p.statement());
  EXPECT_EQ(right.problem->answer, "28");
  EXPECT_EQ(checked_reward(StudentTask::interleaved)(*right.problem, "28\n"), 1.0);
  const meta::ParsedRollout wrong = parse_teacher_rollout("W:752439__0\n", StudentTask::interleaved);
  ASSERT_TRUE(wrong.problem.has_value());
  EXPECT_EQ(wrong.problem->answer, "29");
  EXPECT_EQ(wrong.problem->extra_json, R"({"answer_correct":false,"level":2})");
  EXPECT_EQ(checked_reward(StudentTask::interleaved)(*wrong.problem, "29\n"), 0.0) << "47 + 35 is not 92";
  // The carry triple: a "0" carry is no digit of the sum, a "1" is.
  const auto carried = parse_interleaved_sum("550__1");
  ASSERT_TRUE(carried.has_value());
  EXPECT_EQ(carried->stated_sum, "01");
  EXPECT_EQ(parse_interleaved_sum(" 550__0 ")->stated_sum, "0");
  EXPECT_EQ(parse_interleaved_sum("9109_0__1")->problem.statement(), (AdditionProblem{"99", "1"}.statement()));
  // Malformed: no carry triple, a carry triple before the end, a digit after an operand ended, an
  // empty operand, a non-digit sum slot, a length not in triples, too many triples.
  for (const std::string& bad : std::vector<std::string>{"7524", "752438", "__0752438__0", "7_21_20_3__0", "7121_2_33__0", "_53__0", "5_5__0", "55x__0",
                                "752438__0_", "", std::string(3 * kWidth, '1') + "11111__1"}) {
    EXPECT_FALSE(parse_interleaved_sum(bad).has_value()) << bad;
  }
  EXPECT_TRUE(parse_interleaved_sum(std::string(3 * kWidth, '1') + "__1").has_value()) << "level 16";
  const TeacherSet set = parse_teacher_set("W:752438__0\nQ:x\nW:550__1\nW:55\n\nA:3\n", StudentTask::interleaved);
  ASSERT_EQ(set.items.size(), 2u);
  EXPECT_TRUE(set.items[0].correct);
  EXPECT_TRUE(set.items[1].correct);
  EXPECT_EQ(set.malformed_lines, 3);
  EXPECT_EQ(parse_teacher_rollout("W:752438__0\nW:550__1\n", StudentTask::interleaved).rejection, "more than one problem");
  EXPECT_TRUE(parse_teacher_set(teacher_item(p, "28"), StudentTask::interleaved).items.empty()) << "format 5's item is not one";
}

// Interleaved texts read back to their problem and stated sum at every level, and a stated sum is
// correct exactly when it is the integer sum.
TEST(Domain, InterleavedSumsAgreeWithIntegerArithmetic) {
  SplitMix64 rng(31);
  for (int level = kMinLevel; level <= kMaxLevel; ++level) {
    for (int i = 0; i < 500; ++i) {
      AdditionProblem p = generate_problem(level, rng);
      if (i % 2 && level > 1) p.b.resize(1 + rng.below(level - 1));  // uneven operands
      if (p.b.size() > 1 && p.b.back() == '0') p.b.back() = '1';
      const std::string sum = to_little_endian(from_little_endian(p.a) + from_little_endian(p.b));
      const auto read = parse_interleaved_sum(interleaved_sum_text(p, sum));
      ASSERT_TRUE(read.has_value()) << p.statement();
      ASSERT_EQ(read->problem.statement(), p.statement());
      ASSERT_EQ(read->stated_sum, sum);
      ASSERT_TRUE(check_answer(read->problem, read->stated_sum));
      std::string other = sum;  // one digit changed: wrong
      const size_t at = rng.below(other.size() - (other.size() > static_cast<size_t>(level) ? 1 : 0));
      other[at] = static_cast<char>('0' + (other[at] - '0' + 1 + rng.below(9)) % 10);
      const auto wrong = parse_interleaved_sum(interleaved_sum_text(p, other));
      ASSERT_TRUE(wrong.has_value());
      ASSERT_FALSE(check_answer(wrong->problem, wrong->stated_sum)) << interleaved_sum_text(p, other);
    }
  }
}

TEST(Prompts, TeacherParserCountsMalformedLinesAndNeverThrows) {
  auto item = [](const char* a, const char* b, const char* c) { return teacher_item(AdditionProblem{a, b}, c); };
  const std::string q74 = "Q:" + AdditionProblem{"74", "53"}.statement() + "\n";
  const TeacherSet set = parse_teacher_set(item("74", "53", "28") + "\nfoo\n" + item("1", "1", "3") +  // foo: 1
                                           "Q:12+\nA:4\n" +                                          // 2
                                           item("5", "5", "01x") +                                     // 2
                                           q74 + "\n" + "A:28\n" +                                    // 2: not adjacent
                                           "A:28\n" +                                                 // 1
                                           " Q: " + AdditionProblem{"9", "9"}.statement() + " \n A: 81 \n" +
                                           item("99", "1", "001") + q74);                              // 1: no answer
  ASSERT_EQ(set.items.size(), 4u);
  EXPECT_TRUE(set.items[0].correct);
  EXPECT_FALSE(set.items[1].correct);
  EXPECT_EQ(set.items[1].stated_answer, "3");
  EXPECT_TRUE(set.items[2].correct) << "spaces around the tags and the answer are allowed";
  EXPECT_EQ(set.items[2].problem.level(), 1);
  EXPECT_TRUE(set.items[3].correct);
  EXPECT_EQ(set.malformed_lines, 9);
  // The old layout is not an item.
  EXPECT_TRUE(parse_teacher_set(AdditionProblem{"74", "53"}.statement() + "=28\n").items.empty());
  EXPECT_TRUE(parse_teacher_set("").items.empty());
  SplitMix64 rng(3);
  const std::string alphabet = "0123456789+=\n_xQA: ";
  for (int i = 0; i < 3000; ++i) {  // arbitrary text: counted, never a crash
    std::string text;
    const int length = 1 + static_cast<int>(rng.below(80));
    for (int j = 0; j < length; ++j) text.push_back(alphabet[rng.below(alphabet.size())]);
    if (i % 3 == 0) text = item("74", "53", "28").substr(0, rng.below(34)) + text + item("1", "2", "3");
    const TeacherSet any = parse_teacher_set(text);
    EXPECT_GE(any.malformed_lines, 0);
    EXPECT_LE(static_cast<size_t>(any.malformed_lines) + 2 * any.items.size(),
              static_cast<size_t>(std::count(text.begin(), text.end(), '\n')) + 1);
  }
}

// Every problem the corpus shows with its answer: solved documents carry the checker's answer (in
// the student's format, or for the other tasks as the teacher's sum, least significant first); in
// teacher-format sets answers are correct exactly at solved levels (random, and wrong, above).
void check_corpus(StudentTask task) {
  CorpusConfig config;
  config.student_task = task;
  const std::string tag = teacher_answer_tag(task);
  int solved_as_teacher_items = 0;
  config.solved_max_level = 6;
  config.statement_max_level = 12;
  config.teacher_set_fraction = 0.3;
  if (task == StudentTask::difference) config.student_solved_max_level = 3;
  SplitMix64 rng(11);
  int solved = 0, set_items = 0, hard_items = 0, hard_correct = 0, three_operand_items = 0;
  std::vector<int> solved_levels(kMaxLevel + 1, 0), set_levels(kMaxLevel + 1, 0);
  // The highest level at which the corpus shows this kind of problem solved.
  auto solved_max_level = [&](const AdditionProblem& problem) {
    return problem.operands() == 3 ? config.three_operand_solved_max_level : config.solved_max_level;
  };
  for (int d = 0; d < 20000; ++d) {
    config.hard_digit_positions = d % 2 == 0 ? 0 : 8;  // uncapped, and capped below the hard levels 9-12
    if (task != StudentTask::difference) {  // the difference task has two-operand problems only
      config.three_operand_set_fraction = d % 3 == 0 ? 0.5 : 0.0;  // three-operand sets in a third of the draws,
      config.three_operand_solved_max_level = d % 6 == 0 ? 2 : 0;  // solved up to level 2 in half of those
    }
    const std::string doc = sample_document(config, rng);
    if (doc.rfind("Q:", 0) == 0) {
      const size_t newline = doc.find('\n');
      const std::string statement = doc.substr(2, newline - 2), answer = student_answer(doc.substr(newline + 3));
      const auto problem = parse_statement(statement);
      // Only the answer is trained.
      const std::vector<float> target = document_targets(config, doc);
      for (size_t i = 0; i < doc.size(); ++i) ASSERT_EQ(target[i], i >= newline + 3 ? 1.0f : 0.0f) << doc << " at " << i;
      ++solved;
      if (task == StudentTask::difference && !problem) {  // the student's "c-a", answer b, at its solved levels
        ASSERT_EQ(doc.substr(newline + 1, 2), "A:") << doc;
        ASSERT_EQ(true_student_answer(statement, task), answer) << doc;
        ASSERT_LE(static_cast<int>(std::max(answer.size(), statement.find('_', kWidth + 2) - kWidth - 2)), 3) << doc;
        ASSERT_EQ(checked_reward(task)(Problem{"p", statement, "", "{}"}, answer), 1.0) << doc;
        continue;
      }
      ASSERT_TRUE(problem.has_value()) << doc;
      ASSERT_LE(problem->level(), solved_max_level(*problem));
      ++solved_levels[problem->level()];
      const bool teacher_item_solved = task == StudentTask::difference || doc.substr(newline + 1, 2) == "S:";
      if (teacher_item_solved) {  // the teacher's sum, least significant digit first
        ASSERT_NE(task, StudentTask::sum) << doc;
        ASSERT_TRUE(check_answer(*problem, answer)) << doc;
        ASSERT_EQ(doc, teacher_item(*problem, answer, task));
        ++solved_as_teacher_items;
      } else {
        ASSERT_EQ(doc.substr(newline + 1, 2), "A:") << doc;
        ASSERT_EQ(answer, true_student_problem(*problem, task).answer) << doc;
        ASSERT_EQ(doc, solved_item(*problem, task));
        ASSERT_EQ(checked_reward(task)(Problem{"p", problem->statement(), "", "{}"}, answer), 1.0) << doc;
      }
    } else {
      ASSERT_EQ(doc.rfind("Write ", 0), 0u) << doc;
      ASSERT_TRUE(is_teacher_set(doc));
      const TeacherSet set = parse_teacher_set(doc.substr(doc.find('\n') + 1), task);
      ASSERT_LE(static_cast<int64_t>(doc.size()) + 2, max_teacher_set_tokens(config)) << doc;
      // Items are exactly the student's layout: what follows "A:" is checked like a student's answer.
      std::string items;
      for (const auto& item : set.items) items += teacher_item(item.problem, item.stated_answer, task);
      ASSERT_EQ(doc.substr(doc.find('\n') + 1), items);
      // The answers of items above E are not trained (unless train_hard_answers); all else is.
      // Statement digits and the first field's first '_' (the random choices) have the statement weight.
      const std::vector<float> target = document_targets(config, doc);
      const std::vector<uint8_t> any_digit = document_digit_targets(config, doc);
      size_t at = doc.find('\n') + 1;
      for (size_t i = 0; i < at; ++i) ASSERT_EQ(target[i], 1.0f);
      for (const auto& item : set.items) {
        ASSERT_EQ(item.problem.operands(), set.items[0].problem.operands()) << "a set has one kind of problem: " << doc;
        const bool hard = item.problem.level() > solved_max_level(item.problem);
        const std::string text = teacher_item(item.problem, item.stated_answer, task);
        const size_t answer_at = text.find("\n" + tag) + 3, statement_end = text.find('\n');
        for (size_t i = 0; i < text.size(); ++i) {
          const bool longest = item.stated_answer.size() == static_cast<size_t>(item.problem.level()) + 1;
          const bool hard_answer = i >= answer_at && hard && !(longest && i + 1 == text.size());  // that newline is trained
          const bool statement = i >= 2 && i < statement_end &&
                                 ((text[i] >= '0' && text[i] <= '9') || i == text.find('_'));
          const float expected = hard_answer ? 0.0f : statement ? static_cast<float>(config.set_statement_weight) : 1.0f;
          ASSERT_EQ(target[at + i], expected) << doc << " at " << at + i;
          // The first L characters of a hard answer (at most hard_digit_positions) are trained as
          // "some digit" (true of every sum).
          const int positions = config.hard_digit_positions > 0
                                    ? std::min(item.problem.level(), config.hard_digit_positions)
                                    : item.problem.level();
          const bool digit_class = hard && i >= answer_at && i < answer_at + positions;
          ASSERT_EQ(any_digit[at + i], digit_class ? 1 : 0) << doc << " at " << at + i;
          if (digit_class) {
            ASSERT_EQ(target[at + i], 0.0f);
          }
        }
        at += text.size();
      }
      ASSERT_EQ(set.malformed_lines, 0) << doc;
      ASSERT_EQ(doc.substr(0, doc.find('\n') + 1), teacher_prompt(static_cast<int>(set.items.size())));
      for (const auto& item : set.items) {
        ++set_items;
        ++set_levels[item.problem.level()];
        three_operand_items += item.problem.operands() == 3;
        if (item.problem.level() <= solved_max_level(item.problem)) {
          ASSERT_TRUE(item.correct) << item.problem.statement() << "=" << item.stated_answer;
        } else {
          ++hard_items;
          hard_correct += item.correct;
        }
      }
    }
  }
  EXPECT_GT(solved, 10000);
  EXPECT_GT(set_items, 5000);
  EXPECT_EQ(hard_correct, 0) << "a correct answer to a hard problem leaked into the corpus";
  for (int level = 1; level <= config.solved_max_level; ++level) EXPECT_GT(solved_levels[level], 1000) << level;
  for (int level = 1; level <= config.statement_max_level; ++level) EXPECT_GT(set_levels[level], 100) << level;
  EXPECT_GT(hard_items, 1000);
  if (task != StudentTask::difference) {
    EXPECT_GT(three_operand_items, 500);
  }
  if (task != StudentTask::sum) {  // about half of the solved problems, as configured
    EXPECT_GT(solved_as_teacher_items, 0.45 * solved);
    EXPECT_LT(solved_as_teacher_items, 0.55 * solved);
  } else {
    EXPECT_EQ(solved_as_teacher_items, 0);
  }
}

TEST(Corpus, EveryGeneratedProblemAgreesWithTheChecker) { check_corpus(StudentTask::sum); }
TEST(Corpus, EveryGeneratedProblemAgreesWithTheCheckerSumMsd) { check_corpus(StudentTask::sum_msd); }
TEST(Corpus, EveryGeneratedProblemAgreesWithTheCheckerDifference) { check_corpus(StudentTask::difference); }

// Format 8's corpus: solved problems as the student's items (levels 1..E_s) or as the teacher's
// interleaved items (levels 1..E), always correct; sets of interleaved items, correct exactly at
// levels <= E; and the loss weights of every character as docs/testbed.md states them, recomputed
// here from each item's triples.
TEST(Corpus, InterleavedCorpusAgreesWithTheCheckerAndItsWeights) {
  CorpusConfig config;
  config.student_task = StudentTask::interleaved;
  config.solved_max_level = 6;
  config.student_solved_max_level = 4;
  config.teacher_set_fraction = 0.3;
  EXPECT_THROW(([&] { CorpusConfig three = config; three.three_operand_set_fraction = 0.5; three.validate(); })(), Error);
  SplitMix64 rng(12);
  int student_items = 0, teacher_items = 0, set_items = 0, hard_items = 0, hard_correct = 0;
  std::vector<int> set_levels(kMaxLevel + 1, 0);
  const float w = static_cast<float>(config.set_statement_weight);
  for (int d = 0; d < 20000; ++d) {
    config.hard_digit_positions = d % 2 == 0 ? 0 : 8;
    const std::string doc = sample_document(config, rng);
    const std::vector<float> target = document_targets(config, doc);
    const std::vector<uint8_t> any_digit = document_digit_targets(config, doc);
    ASSERT_EQ(target.size(), doc.size());
    if (doc.rfind("Q:", 0) == 0) {  // the student's item, as in format 5
      const size_t newline = doc.find('\n');
      const auto problem = parse_statement(doc.substr(2, newline - 2));
      ASSERT_TRUE(problem.has_value()) << doc;
      ASSERT_LE(problem->level(), config.student_solved_max_level) << doc;
      ASSERT_EQ(doc, solved_item(*problem, StudentTask::interleaved));
      for (size_t i = 0; i < doc.size(); ++i) ASSERT_EQ(target[i], i >= newline + 3 ? 1.0f : 0.0f) << doc << " at " << i;
      ++student_items;
      continue;
    }
    const bool set = is_teacher_set(doc);
    const size_t first = set ? doc.find('\n') + 1 : 0;
    if (set) {
      for (size_t i = 0; i < first; ++i) ASSERT_EQ(target[i], 1.0f);
    } else {
      ASSERT_EQ(doc.rfind("W:", 0), 0u) << doc;
    }
    const TeacherSet parsed = parse_teacher_set(doc.substr(first), StudentTask::interleaved);
    ASSERT_EQ(parsed.malformed_lines, 0) << doc;
    ASSERT_TRUE(set || parsed.items.size() == 1) << doc;
    size_t at = first;
    for (const TeacherItem& item : parsed.items) {
      const int level = item.problem.level();
      const bool solved = level <= config.solved_max_level;
      ASSERT_EQ(item.correct, solved) << doc;  // hard answers are random and never right
      const std::string text = teacher_item(item.problem, item.stated_answer, StudentTask::interleaved);
      ASSERT_EQ(doc.substr(at, text.size()), text) << doc;
      const bool hard = set && !solved;
      const size_t positions = config.hard_digit_positions > 0 ? std::min<size_t>(level + 1, config.hard_digit_positions) : level + 1;
      for (size_t k = 0; k < text.size(); ++k) {
        const size_t slot = k - 2;  // after "W:"
        const bool tag = k < 2, newline = k + 1 == text.size(), sum_digit = !tag && !newline && slot % 3 == 2;
        const bool carry_b = !tag && !newline && slot == 3 * static_cast<size_t>(level) + 1;
        float expected = 1.0f;
        if (!set) {
          expected = sum_digit || newline ? 1.0f : 0.0f;  // answer-only loss
        } else if (!tag && !newline && !sum_digit) {
          expected = carry_b ? 1.0f : w;  // operand slots are random choices; the carry triple's second '_' follows
        } else if (sum_digit && hard) {
          expected = 0.0f;
        }
        ASSERT_EQ(target[at + k], expected) << doc << " at " << at + k;
        ASSERT_EQ(any_digit[at + k], hard && sum_digit && slot / 3 < positions ? 1 : 0) << doc << " at " << at + k;
      }
      at += text.size();
      if (set) {
        ++set_items;
        ++set_levels[level];
        hard_items += !solved;
        hard_correct += !solved && item.correct;
      } else {
        ASSERT_TRUE(item.correct) << doc;
        ++teacher_items;
      }
    }
    ASSERT_EQ(at, doc.size()) << doc;
  }
  EXPECT_GT(student_items, 5000);
  EXPECT_GT(teacher_items, 5000);
  EXPECT_GT(hard_items, 1000);
  EXPECT_EQ(hard_correct, 0);
  for (int level = 1; level <= kMaxLevel; ++level) EXPECT_GT(set_levels[level], 100) << level;
}

// Rows hold teacher sets whole, first, with their <|eos|>; everything after them is solved problems.
TEST(Corpus, PackedRowsNeverCutATeacherSet) {
  CorpusConfig config;  // the defaults
  config.teacher_set_fraction = 0.2;
  const CharVocab vocab;
  const int64_t length = 256;
  ASSERT_LE(max_teacher_set_tokens(config), length + 1);
  int sets = 0, four_item_sets = 0, rows_with_sets = 0;
  std::vector<int> sizes(config.max_set_size + 1, 0);
  for (int64_t r = 0; r < 400; ++r) {
    const PackedRow row = packed_row(config, vocab, 9, 0, r, length);
    ASSERT_EQ(row.tokens.size(), static_cast<size_t>(length + 1));
    // Split at <|bos|>: documents; the last one may be cut.
    std::vector<std::pair<size_t, size_t>> docs;  // [begin, end) after <|bos|>
    for (size_t i = 0; i < row.tokens.size(); ++i) {
      if (row.tokens[i] == CharVocab::kBos) docs.push_back({i + 1, row.tokens.size()});
      if (row.tokens[i] == CharVocab::kEos) docs.back().second = i;
    }
    bool seen_solved = false, row_has_set = false;
    for (const auto& [begin, end] : docs) {
      const std::string text = vocab.decode(std::vector<int32_t>(row.tokens.begin() + begin, row.tokens.begin() + end));
      if (!is_teacher_set(text)) {
        seen_solved = true;
        continue;
      }
      ASSERT_FALSE(seen_solved) << "a teacher set after a solved problem";
      ASSERT_LT(end, row.tokens.size()) << "teacher set cut: " << text;
      ASSERT_EQ(row.tokens[end], CharVocab::kEos);
      const TeacherSet set = parse_teacher_set(text.substr(text.find('\n') + 1));
      ASSERT_EQ(set.malformed_lines, 0);
      ASSERT_EQ(text.substr(0, text.find('\n') + 1), teacher_prompt(static_cast<int>(set.items.size())));
      const std::vector<float> target = document_targets(config, text);
      for (size_t i = 0; i < target.size(); ++i) ASSERT_EQ(row.target[begin + i], target[i]);
      const std::vector<uint8_t> any_digit = document_digit_targets(config, text);
      for (size_t i = 0; i < any_digit.size(); ++i) ASSERT_EQ(row.any_digit[begin + i], any_digit[i]);
      ++sizes[set.items.size()];
      four_item_sets += set.items.size() == 4;
      ++sets;
      row_has_set = true;
    }
    rows_with_sets += row_has_set;
  }
  EXPECT_GT(rows_with_sets, 200);
  for (int n = 1; n <= config.max_set_size; ++n) EXPECT_GT(sizes[n], 40) << n;
  EXPECT_GT(four_item_sets, 40);
  EXPECT_GT(sets, 300);
}

TEST(Corpus, PackedRowsAreDeterministicAndFramed) {
  CorpusConfig config;
  const CharVocab vocab;
  const PackedRow row = packed_row(config, vocab, 5, 3, 1, 256);
  ASSERT_EQ(row.tokens.size(), 257u);
  ASSERT_EQ(row.target.size(), 257u);
  EXPECT_EQ(row.tokens.front(), CharVocab::kBos);
  EXPECT_EQ(row.tokens, packed_row(config, vocab, 5, 3, 1, 256).tokens);
  EXPECT_NE(row.tokens, packed_row(config, vocab, 5, 3, 2, 256).tokens);
  EXPECT_NE(row.tokens, packed_row(config, vocab, 5, 4, 1, 256).tokens);
  // Solved documents are trained on their answers only: the trained text after each "A:" is the
  // checker's answer, and no statement digit of a solved document is a target.
  const std::string text = vocab.decode(row.tokens);
  size_t trained = 0;
  for (size_t i = 0; i < row.tokens.size(); ++i) trained += row.target[i] > 0;
  EXPECT_LT(trained, row.tokens.size());
  EXPECT_GT(trained, 0u);
  for (size_t i = 0; i + 1 < row.tokens.size(); ++i) {
    if (row.tokens[i] == CharVocab::kBos && vocab.decode({row.tokens[i + 1]}) == "Q") {
      EXPECT_EQ(row.target[i + 1], 0) << "statement of a solved document is trained at " << i + 1;
    }
  }
  config.answer_only_loss = false;
  config.train_hard_answers = true;
  config.set_statement_weight = 1;
  const PackedRow full = packed_row(config, vocab, 5, 3, 1, 256);
  EXPECT_EQ(full.tokens, row.tokens);
  for (float t : full.target) EXPECT_EQ(t, 1.0f);
}

}  // namespace
}  // namespace soar::testbed
