// Untrusted text of any shape gets a verdict, never an exception or a crash; limits in Options are
// honoured; the counters add up.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "verify/verify.h"

namespace {

using soar::verify::Verdict;

TEST(VerifyBadInput, RandomBytesNeverThrow) {
  soar::verify::set_undecidable_log({});
  std::mt19937 rng(7);
  const std::string alphabet = "0123456789+-*/^_{}()[]\\,.=<>!|$ xyzabcfrcsqtpiboxed\n#*:";
  for (int i = 0; i < 3000; ++i) {
    std::string s;
    int len = static_cast<int>(rng() % 80);
    for (int k = 0; k < len; ++k)
      s.push_back(i % 3 == 0 ? static_cast<char>(rng() % 256) : alphabet[rng() % alphabet.size()]);
    EXPECT_NO_THROW({
      soar::verify::verify("5", s);
      soar::verify::compare_answers(s, "5");
      soar::verify::compare_answers(s, s);
      soar::verify::extract_answer(s);
    }) << s;
  }
}

TEST(VerifyBadInput, EmbeddedNulAndInvalidUtf8) {
  std::string nul("\\boxed{5\0}", 10);
  EXPECT_NE(soar::verify::verify("5", nul).verdict, Verdict::Correct);
  EXPECT_EQ(soar::verify::compare_answers("5", "\xff\xfe").verdict, Verdict::Unparseable);
  EXPECT_EQ(soar::verify::compare_answers("\xe2\x88", "5").verdict, Verdict::Unparseable);
}

TEST(VerifyBadInput, OptionLimitsAreHonoured) {
  soar::verify::set_undecidable_log({});
  soar::verify::Options tight;
  tight.limits.max_answer_chars = 8;
  EXPECT_EQ(soar::verify::compare_answers("5", "123456789").verdict, Verdict::Incorrect);
  EXPECT_EQ(soar::verify::compare_answers("5", "123456789", tight).verdict, Verdict::Undecidable);
  tight = {};
  tight.limits.max_depth = 5;
  EXPECT_EQ(soar::verify::compare_answers("1", "((((((1))))))", tight).verdict, Verdict::Undecidable);
  EXPECT_EQ(soar::verify::compare_answers("1", "((((((1))))))").verdict, Verdict::Correct);
  tight = {};
  tight.limits.max_result_digits = 100;
  EXPECT_EQ(soar::verify::compare_answers("2^{1000}", "2^{1000}+1").verdict, Verdict::Incorrect);
  EXPECT_EQ(soar::verify::compare_answers("2^{1000}", "2^{999}\\cdot 2", tight).verdict, Verdict::Undecidable);
  tight = {};
  tight.limits.max_completion_bytes = 10;
  EXPECT_EQ(soar::verify::verify("5", "The answer is 5", tight).verdict, Verdict::Undecidable);
  tight = {};
  tight.fallback_to_last_math = false;
  EXPECT_EQ(soar::verify::verify("5", "we get 5").verdict, Verdict::Correct);
  EXPECT_EQ(soar::verify::verify("5", "we get 5", tight).verdict, Verdict::Unparseable);
}

TEST(VerifyBadInput, CountersAddUp) {
  soar::verify::reset_stats();
  soar::verify::compare_answers("1", "1");
  soar::verify::compare_answers("1", "2");
  soar::verify::compare_answers("1", ")(");
  soar::verify::verify("1", "no number");
  auto s = soar::verify::stats();
  EXPECT_EQ(s.correct, 1u);
  EXPECT_EQ(s.incorrect, 1u);
  EXPECT_EQ(s.unparseable, 2u);
  EXPECT_EQ(s.total(), 4u);
}

TEST(VerifyBadInput, ExtractionPriorities) {
  EXPECT_EQ(soar::verify::extract_answer("#### 3\n\\boxed{4}"), "4");
  EXPECT_EQ(soar::verify::extract_answer("The answer is 7.\n#### 8"), "8");
  EXPECT_EQ(soar::verify::extract_answer("so 3 then 9"), "9");
  soar::verify::Options no_fallback;
  no_fallback.fallback_to_last_math = false;
  EXPECT_EQ(soar::verify::extract_answer("so 3 then 9", no_fallback), std::nullopt);
  EXPECT_EQ(soar::verify::extract_answer("\\boxed{\\frac{1}{\\sqrt{2}}}"), "\\frac{1}{\\sqrt{2}}");
  EXPECT_EQ(soar::verify::extract_answer("**73**"), "73");
}

}  // namespace
