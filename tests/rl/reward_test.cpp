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

// Final messages of real models from CHAMP (champ-dataset 1.0.0, ids in the comments), with its golds.
TEST(ShapedMathReward, RealCompletionsFromChamp) {
  // P_Combinatorics_1|PaLM 2 Medium|Problem C w/o H: boxed inside $...$, verified.
  EXPECT_EQ(shaped("239",
                   "There are $\\boxed{239}$ strings of length $6$ with adjacent digits differing by less "
                   "than or equal to $1$."),
            120.0);
  // P_Inequality_50|GPT-4 Turbo|Misleading C w/o H: the box, not the condition after it.
  EXPECT_EQ(shaped("0",
                   "The minimum value of the expression \\( a^3 + b^3 + c^3 - (a^2b + b^2c + c^2a) \\) for "
                   "\\( a, b, c > 0 \\) is \\( \\boxed{0} \\), achieved when \\( a = b = c \\)."),
            120.0);
  // P_Inequality_4|PaLM 2 Medium|5-Shot: gold 2 appears in the boxed \sqrt{2}, which is not 2: 20.
  EXPECT_EQ(shaped("2", "The smallest value of $\\frac{x^2+2}{\\sqrt{x^2+1}}$ for real $x$ is $\\boxed{\\sqrt{2}}$."),
            20.0);
  // P_Sequence_11|PaLM 2 Medium|No C w/ H: gold 1 appears in the boxed 100: 20 (the paper's rule is textual).
  EXPECT_EQ(shaped("1",
                   "The integer part of the sum $\\frac{1}{x_1+1} + \\cdots + \\frac{1}{x_{100}+1}$ is "
                   "$\\boxed{100}$."),
            20.0);
  // P_Inequality_16|PaLM 2 Medium|Direct C w/o H: boxed 3, gold 3/2 not inside it: 10.
  EXPECT_EQ(shaped("3/2",
                   "The minimum value of $a/(b+c)+b/(a+c)+c/(a+b)$ is $\\boxed{3}$, which is achieved when "
                   "$a=b=c$."),
            10.0);
  // P_Combinatorics_1|GPT-3.5|0-Shot style: no box however right the sentence is: 0.
  EXPECT_EQ(shaped("239", "There are 239 valid strings of length 6 that have adjacent digits differing by at most 1."),
            0.0);
  // Several boxes listed as one answer are one extracted answer (the verifier's extraction).
  EXPECT_EQ(shaped("\\{1, 19\\}", "The values are $\\boxed{1}$ and $\\boxed{19}$."), 120.0);
  EXPECT_EQ(shaped("19", "The values are $\\boxed{1}$ and $\\boxed{19}$."), 20.0);
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
