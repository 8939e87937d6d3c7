// Pathological inputs must return quickly: each is timed, and the test fails above 500 ms (the
// target is 50 ms on the 2-core dev machine; docs/verifier.md records the measured times; the
// margin absorbs sanitizer builds and loaded CI machines).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <string>

#include "verify/verify.h"

namespace {

using soar::verify::Verdict;

std::string repeat(const std::string& s, int n) {
  std::string out;
  out.reserve(s.size() * static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

struct Case {
  const char* name;
  std::string gold;
  std::string input;
  bool completion;
};

TEST(VerifyAdversarial, EachReturnsQuickly) {
  soar::verify::set_undecidable_log({});
  std::string braces = repeat("{", 100000) + "1" + repeat("}", 100000);
  std::string digits(1 << 20, '7');
  std::string fracs = repeat("\\frac{1}{", 5000) + "2" + repeat("}", 5000);
  std::string fracs_ok = repeat("\\frac{1}{1+", 30) + "x" + repeat("}", 30);
  std::string set_a = "\\{", set_b = "\\{";
  for (int k = 1; k <= 60; ++k) {
    set_a += (k > 1 ? "," : "") + std::string("\\sqrt{x+") + std::to_string(k) + "}";
    set_b += (k > 1 ? "," : "") + std::string("\\sqrt{x+") + std::to_string(61 - k + (k == 30)) + "}";
  }
  set_a += "\\}";
  set_b += "\\}";
  const Case cases[] = {
      {"60-item sets of radicals", set_a, set_b, false},
      // Found by the fuzzer: expand() splitting b^(x + 10^20) recursed until the stack overflowed.
      {"fuzz: symbolic exponent with 10^20", "(x1)^{20}", "(30+x)^{(9+1)^{20} (3+xx)^{20}2}", false},
      {"fuzz: 0^{-0} (GiNaC throws and leaks)", "0^{-0}", "0.5", false},
      {"(cube root of a 20000-digit number)^64", "1", "(\\sqrt[3]{10^{19999}+1})^{64}", false},
      {"2^{x+10^{20}} expansion", "2^{x+10^{20}}", "2^x", false},
      {"2^(10^10) answer", "1", "2^(10^10)", false},
      {"2^{10^{10}} vs 4^{5*10^9}", "2^{10^{10}}", "4^{5\\cdot10^{9}}", false},
      {"2^{10^{10}} vs 3^{10^{10}}", "2^{10^{10}}", "3^{10^{10}}", false},
      {"power tower 9^9^9^9", "1", "9^{9^{9^{9}}}", false},
      {"10!!!!!!!", "5", "10!!!!!!!", false},
      {"(10^6)! vs (10^6+1)!", "(10^{6})!", "(10^{6}+1)!", false},
      {"binom(10^6, 5*10^5)", "1", "\\binom{1000000}{500000}", false},
      {"1/2004! vs 1/2006!", "\\frac{1}{2004!}", "\\frac{1}{2006!}", false},
      {"5000! vs 5000!+1", "5000!", "5000!+1", false},
      {"100k nested braces (completion)", "1", "\\boxed{" + braces + "}", true},
      {"100k nested braces (answer)", "1", braces, false},
      {"1 MB of digits (completion)", "7", digits, true},
      {"1 MB of digits boxed", "7", "\\boxed{" + digits + "}", true},
      {"1 MB of digits (answer)", "7", digits, false},
      {"5000-deep \\frac", "1", fracs, false},
      {"30-deep \\frac with x", fracs_ok, fracs_ok + "+0", false},
      {"150-deep \\frac (within length)", "1", repeat("\\frac{1}{", 150) + "2" + repeat("}", 150), false},
      {"1000 unary minus signs", "1", repeat("-", 1000) + "1", false},
      {"(x+y+z+w)^{64} expansion", "(x+y+z+w)^{64}", "(w+x+y+z)^{64}+1", false},
      {"(x+1)^{60} vs expanded-ish", "(x+1)^{60}", "(1+x)^{30}(x+1)^{30}", false},
      {"100k '(' ", "1", std::string(100000, '('), false},
      {"50k unbalanced \\boxed{", "1", repeat("\\boxed{", 50000), true},
      {"1 MB of 'answer is'", "1", repeat("The answer is ", 70000), true},
      {"200 \\pm", "1", repeat("\\pm 1", 200), false},
      {"deep sqrt", "2", repeat("\\sqrt{", 90) + "2" + repeat("}", 90), false},
      {"x^x^x... 500", "x", repeat("x^", 500) + "x", false},
      {"1000-item set", "\\{1\\}", "\\{" + repeat("1,", 999) + "1\\}", false},
      {"10^{100000} vs +1", "10^{100000}", "10^{100000}+1", false},
      // The last-math extraction of prose (no box, no marker): unclosed spans, endless lists and
      // expressions, and unreadable spans that send verify() looking further left.
      {"1 MB of unclosed \\(", "1", repeat("\\( x ", 170000), true},
      {"1 MB of unclosed \\[", "1", repeat("\\[", 500000), true},
      {"1 MB of unclosed $$", "1", repeat("$$ x", 250000), true},
      {"1 MB of $1$, $2$, ... spans", "1", repeat("$1$, ", 200000), true},
      {"1 MB list '1, 2 and 3, '", "1", repeat("1, 2 and 3, ", 90000), true},
      {"1 MB expression 'x + 1 * '", "1", repeat("x + 1 * ", 130000), true},
      {"1 MB of '(' tokens", "1", repeat("( 1 ", 250000), true},
      {"unreadable spans, retried left", "1", repeat("so $\\ldots$ when $x=1$ and ", 40000), true},
      {"1 MB of prose words", "1", repeat("the value is when ", 60000), true},
      // Found by the fuzzer after the prose reading: normal() expanding a (sum)^20 denominator, and
      // the multinomial estimate of a power cancelling to 1 term for a base of 3.9e17 terms.
      {"fuzz: normal() of a (sum)^20 denominator", "5",
       "no nus mer(x+1)^1\n\\( x \\( y $$ z \\[ 1 $ {20}\n(1s {20}/\n(1s he\nno nus mer(x+1)^{20}\n(1s hus "
       "mer(x+1))re+x)^{20}",
       true},
      {"fuzz: multinomial estimate cancelling", "5",
       "no nus mer(x+1)^{20}\n(1s hus mer(x+1)^{20}\n(1s hus mer(x+1)U{20}\n(1s he\nno nus mer(x+1)^{20}\n(1s "
       "hure+x)re+x)^{20}re+x)re+x)^{20}",
       true},
  };
  double worst = 0;
  for (const auto& c : cases) {
    auto t0 = std::chrono::steady_clock::now();
    auto r = c.completion ? soar::verify::verify(c.gold, c.input) : soar::verify::compare_answers(c.gold, c.input);
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    worst = std::max(worst, ms);
    std::printf("  %-36s %8.3f ms  %-11s %s\n", c.name, ms, soar::verify::to_string(r.verdict), r.reason.substr(0, 70).c_str());
    EXPECT_LT(ms, 500.0) << c.name;
  }
  std::printf("worst adversarial case: %.3f ms\n", worst);
}

TEST(VerifyAdversarial, BudgetVerdictsAreCountedAndLogged) {
  int logged = 0;
  soar::verify::set_undecidable_log([&](std::string_view line) {
    ++logged;
    EXPECT_NE(line.find("answer"), std::string_view::npos);
  });
  auto before = soar::verify::stats();
  auto r = soar::verify::compare_answers("2^{10^{10}}", "4^{5\\cdot10^{9}}");
  EXPECT_EQ(r.verdict, Verdict::Undecidable) << r.reason;
  auto after = soar::verify::stats();
  EXPECT_EQ(after.undecidable, before.undecidable + 1);
  EXPECT_EQ(after.total(), before.total() + 1);
  EXPECT_EQ(logged, 1);
  soar::verify::set_undecidable_log({});
}

}  // namespace
