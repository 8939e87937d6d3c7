// The one-pass CUDA token draw (fused::sample_tokens) against float64 references on the CPU:
// greedy = the first argmax, log-probabilities = log_softmax, draw frequencies = softmax (chi-square
// on 200k draws, including a peaked distribution where most elements skip their noise), and the
// draw depends on the seed and the row alone. Skipped where no GPU is visible.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>
#include <iostream>

#include "model/fused_ops.h"

namespace soar {
namespace {

class TokenSampling : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA GPU visible";
  }
};

at::Tensor seed_tensor(int64_t seed) { return at::full({1}, seed, at::TensorOptions().dtype(at::kLong).device(at::kCUDA)); }

// Chi-square critical value for `df` degrees of freedom at p = 1e-4 (Wilson-Hilferty).
double chi_square_critical(int64_t df) {
  const double z = 3.719, k = static_cast<double>(df);
  return k * std::pow(1.0 - 2.0 / (9.0 * k) + z * std::sqrt(2.0 / (9.0 * k)), 3.0);
}

// Draws `rows` tokens from copies of one row of logits; the chi-square statistic of the counts of
// `tracked` tokens (and of all others together) against softmax(logits / temperature) in float64.
double chi_square_of_draws(const at::Tensor& row, double temperature, int64_t rows, const std::vector<int64_t>& tracked) {
  at::Tensor logits = row.unsqueeze(0).repeat({rows, 1}).contiguous();
  auto [tokens, logprobs] = fused::sample_tokens(logits, temperature, seed_tensor(12345));
  at::Tensor counts = at::bincount(tokens.cpu(), {}, row.size(0)).to(at::kDouble);
  at::Tensor probs = (row.to(at::kDouble).cpu() / temperature).softmax(0);
  double chi = 0, tracked_count = 0, tracked_prob = 0;
  for (int64_t t : tracked) {
    const double expected = probs[t].item<double>() * rows, seen = counts[t].item<double>();
    chi += (seen - expected) * (seen - expected) / expected;
    tracked_count += seen;
    tracked_prob += probs[t].item<double>();
  }
  const double rest_expected = (1.0 - tracked_prob) * rows, rest_seen = rows - tracked_count;
  chi += (rest_seen - rest_expected) * (rest_seen - rest_expected) / rest_expected;
  return chi;
}

TEST_F(TokenSampling, GreedyIsTheFirstArgmaxWithLogSoftmaxLogprob) {
  for (at::ScalarType dtype : {at::kFloat, at::kBFloat16, at::kHalf}) {
    for (int64_t vocab : {int64_t{128256}, int64_t{1003}, int64_t{50}}) {
      at::Tensor logits = (at::randn({37, vocab}, at::TensorOptions().device(at::kCUDA)) * 3).to(dtype);
      auto [tokens, logprobs] = fused::sample_tokens(logits, 0.0, {});
      at::Tensor x = logits.to(at::kDouble).cpu();
      at::Tensor first_max = (x == x.amax(1, true)).to(at::kInt).argmax(1);  // first index attaining the max
      EXPECT_TRUE(at::equal(tokens.cpu(), first_max)) << c10::toString(dtype) << " vocab " << vocab;
      at::Tensor expected = x.log_softmax(1).gather(1, first_max.unsqueeze(1)).squeeze(1);
      const double error = (logprobs.cpu().to(at::kDouble) - expected).abs().max().item<double>();
      EXPECT_LT(error, 2e-5) << c10::toString(dtype) << " vocab " << vocab;
    }
  }
}

TEST_F(TokenSampling, LogprobsAreLogSoftmaxAtTheDrawnTokens) {
  for (at::ScalarType dtype : {at::kFloat, at::kBFloat16}) {
    for (double temperature : {1.0, 0.7}) {
      for (int64_t vocab : {int64_t{128256}, int64_t{1003}}) {
        at::Tensor logits = (at::randn({64, vocab}, at::TensorOptions().device(at::kCUDA)) * 2).to(dtype);
        auto [tokens, logprobs] = fused::sample_tokens(logits, temperature, seed_tensor(3));
        ASSERT_TRUE((tokens >= 0).all().item<bool>() && (tokens < vocab).all().item<bool>());
        at::Tensor expected = (logits.to(at::kDouble).cpu() / temperature).log_softmax(1).gather(1, tokens.cpu().unsqueeze(1)).squeeze(1);
        const double error = (logprobs.cpu().to(at::kDouble) - expected).abs().max().item<double>();
        EXPECT_LT(error, 2e-5) << c10::toString(dtype) << " temperature " << temperature << " vocab " << vocab;
      }
    }
  }
}

TEST_F(TokenSampling, DrawFrequenciesFollowTheSoftmax) {
  const int64_t rows = 200000;
  auto cuda = at::TensorOptions().device(at::kCUDA);
  // Ten tokens, float32 and bf16, two temperatures: every token tracked.
  at::Tensor small = at::tensor({1.0, 0.5, -0.3, 2.0, 0.0, -1.0, 1.5, 0.2, -2.0, 0.8}, cuda);
  for (at::ScalarType dtype : {at::kFloat, at::kBFloat16}) {
    for (double temperature : {1.0, 0.6}) {
      const double chi = chi_square_of_draws(small.to(dtype), temperature, rows, {0, 1, 2, 3, 4, 5, 6, 7, 8});
      EXPECT_LT(chi, chi_square_critical(9)) << c10::toString(dtype) << " temperature " << temperature;
      std::cout << "10 tokens " << c10::toString(dtype) << " T=" << temperature << ": chi-square " << chi << " (9 df)\n";
    }
  }
  // A peaked row of 4,096 (two tokens hold ~99 % of the mass, so nearly every other element skips
  // its noise) and a flat one (random logits, the 16 largest tracked), in bf16 (16-byte packs).
  at::Tensor peaked = at::randn({4096}, cuda);
  peaked[5] = 12.0;
  peaked[900] = 10.0;
  double chi = chi_square_of_draws(peaked.to(at::kBFloat16), 1.0, rows, {5, 900});
  EXPECT_LT(chi, chi_square_critical(2)) << "peaked";
  std::cout << "peaked 4096: chi-square " << chi << " (2 df)\n";
  at::Tensor flat = at::randn({4096}, cuda).to(at::kBFloat16);
  at::Tensor top = std::get<1>(flat.to(at::kFloat).topk(16)).cpu();
  std::vector<int64_t> tracked(top.data_ptr<int64_t>(), top.data_ptr<int64_t>() + 16);
  chi = chi_square_of_draws(flat, 1.0, rows, tracked);
  EXPECT_LT(chi, chi_square_critical(16)) << "flat";
  std::cout << "flat 4096: chi-square " << chi << " (16 df)\n";
}

TEST_F(TokenSampling, DrawDependsOnTheSeedAndRowOnly) {
  at::Tensor logits = at::randn({48, 1003}, at::TensorOptions().device(at::kCUDA)).to(at::kBFloat16);
  auto [a, a_logprobs] = fused::sample_tokens(logits, 1.0, seed_tensor(99));
  auto [b, b_logprobs] = fused::sample_tokens(logits, 1.0, seed_tensor(99));
  EXPECT_TRUE(at::equal(a, b));
  auto [first_rows, unused] = fused::sample_tokens(logits.narrow(0, 0, 5).contiguous(), 1.0, seed_tensor(99));
  EXPECT_TRUE(at::equal(first_rows, a.narrow(0, 0, 5)));
  auto [c, c_logprobs] = fused::sample_tokens(logits, 1.0, seed_tensor(100));
  EXPECT_GT((a != c).sum().item<int64_t>(), 24);  // near-uniform over 1,003 tokens: almost every row differs
}

TEST_F(TokenSampling, RejectsBadInput) {
  at::Tensor logits = at::randn({4, 10}, at::TensorOptions().device(at::kCUDA));
  EXPECT_THROW(fused::sample_tokens(logits, 1.0, {}), std::exception);  // sampling needs a seed
  EXPECT_THROW(fused::sample_tokens(logits.t(), 0.0, {}), std::exception);  // not contiguous
  EXPECT_THROW(fused::sample_tokens(logits.cpu(), 0.0, {}), std::exception);
}

}  // namespace
}  // namespace soar
