// The student rewards on hand-made completions: the SOAR paper's shaped math reward (its appendix
// B.3: 120 boxed and verified, 20 boxed and the gold answer inside the boxed answer, 10 boxed
// otherwise, 0 unboxed), the accuracy it is measured with, and the names that select them.
#include <gtest/gtest.h>

#include "core/error.h"
#include "rl/reward.h"

namespace soar {
namespace {

double shaped(const std::string& gold, const std::string& completion) {
  return shaped_math_reward()(Problem{"1", "q", gold}, completion);
}

TEST(ShapedMathReward, EachBranchOfThePapersTable) {
  // 120: boxed and the verifier accepts it (also in another form).
  EXPECT_EQ(shaped("42", "6 * 7 = 42, so The final answer is: \\boxed{42}."), 120.0);
  EXPECT_EQ(shaped("\\frac{1}{2}", "It is \\boxed{0.5}"), 120.0);
  EXPECT_EQ(shaped("x^2+2x+1", "\\boxed{(x+1)^2}"), 120.0);
  // 20: boxed, not verified, but the gold answer appears in the extracted (boxed) answer.
  EXPECT_EQ(shaped("12", "\\boxed{12 + 1}"), 20.0);
  EXPECT_EQ(shaped("3", "\\boxed{x = 3 \\text{ or } x = 5}"), 20.0);
  // 10: boxed, wrong, the gold answer nowhere in the box (even if it appears outside it).
  EXPECT_EQ(shaped("42", "I first thought 42, but \\boxed{41}"), 10.0);
  EXPECT_EQ(shaped("7", "\\boxed{}"), 10.0);
  // 0: no \boxed{} at all, however right the text is.
  EXPECT_EQ(shaped("42", "The answer is 42."), 0.0);
  EXPECT_EQ(shaped("42", "\\boxed{42"), 0.0);  // never closed: no boxed answer
  EXPECT_EQ(shaped("42", ""), 0.0);
  // The last box counts (the verifier's extraction too).
  EXPECT_EQ(shaped("5", "\\boxed{4} no wait \\boxed{5}"), 120.0);
  EXPECT_EQ(shaped("5", "\\boxed{5} no wait \\boxed{4}"), 10.0);
}

TEST(ShapedMathReward, AccuracyIsTheVerifiersBinaryVerdict) {
  const Problem p{"1", "q", "12"};
  EXPECT_EQ(reward_by_name("math-shaped")(p, "\\boxed{12 + 1}"), 20.0);
  EXPECT_EQ(correctness_by_name("math-shaped")(p, "\\boxed{12 + 1}"), 0.0);  // 20 is not a success
  EXPECT_EQ(correctness_by_name("math-shaped")(p, "\\boxed{12}"), 1.0);
  EXPECT_EQ(correctness_by_name("exact")(p, "\\boxed{12}"), 1.0);
  EXPECT_THROW(reward_by_name("shaped"), Error);
}

}  // namespace
}  // namespace soar
