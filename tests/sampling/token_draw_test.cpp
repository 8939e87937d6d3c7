// The CPU token draw (src/sampling/token_draw.h): Philox4x32-10 against the published known-answer
// vectors (Random123's kat_vectors), the draw against the same draw written as a plain loop that
// computes every element's noise (so skipping never changes a token), frequencies against the
// distribution, masked tokens, thread counts, and bad input. Its equality with the CUDA kernel's
// draw is checked in tests/model/token_sampling_emulation_test.cpp.
#include <gtest/gtest.h>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <cmath>
#include <limits>

#include "core/error.h"
#include "sampling/philox.h"
#include "sampling/token_draw.h"

namespace {

using soar::PhiloxWords;

TEST(Philox, KnownAnswers) {
  EXPECT_EQ(soar::philox4x32_10({0, 0, 0, 0}, {0, 0}), (PhiloxWords{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}));
  EXPECT_EQ(soar::philox4x32_10({0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, {0xffffffff, 0xffffffff}),
            (PhiloxWords{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}));
  EXPECT_EQ(soar::philox4x32_10({0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, {0xa4093822, 0x299f31d0}),
            (PhiloxWords{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}));
}

// The draw with every element's noise computed: the first maximum of x + noise.
int64_t plain_draw(const float* x, int64_t vocab, uint64_t row, uint64_t seed) {
  float best = -std::numeric_limits<float>::infinity();
  int64_t best_index = 0;
  for (int64_t i = 0; i < vocab; ++i) {
    const uint64_t group = static_cast<uint64_t>(i) >> 2;
    const PhiloxWords bits = soar::philox4x32_10(
        {static_cast<uint32_t>(group), static_cast<uint32_t>(group >> 32), static_cast<uint32_t>(row), static_cast<uint32_t>(row >> 32)},
        {static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)});
    const float u = (static_cast<float>(bits[i & 3] >> 9) + 0.5f) * (1.0f / 8388608.0f);
    const float value = x[i] + -std::log(-std::log(u));
    if (value > best) best = value, best_index = i;
  }
  return best_index;
}

TEST(TokenDraw, EqualsThePlainLoop) {
  at::manual_seed(3);
  int64_t checked = 0;
  // Spreads from flat (nothing skipped) to wide (most groups skipped, most survivors bounded);
  // vocabularies with a partial last group of 4.
  for (double spread : {0.5, 3.0, 8.0, 25.0}) {
    for (int64_t vocab : {int64_t{49152}, int64_t{1003}, int64_t{6}, int64_t{1}}) {
      const int64_t rows = vocab > 10000 ? 8 : 64;
      const at::Tensor logits = at::randn({rows, vocab}) * spread;
      for (uint64_t seed : {uint64_t{1}, uint64_t{0x9e3779b97f4a7c15}}) {
        const at::Tensor tokens = soar::draw_tokens(logits, seed);
        for (int64_t r = 0; r < rows; ++r) {
          ASSERT_EQ(tokens[r].item<int64_t>(), plain_draw(logits[r].data_ptr<float>(), vocab, static_cast<uint64_t>(r), seed))
              << "spread " << spread << " vocab " << vocab << " row " << r << " seed " << seed;
          ++checked;
        }
      }
    }
  }
  EXPECT_EQ(checked, 4 * 2 * (8 + 64 * 3));
}

TEST(TokenDraw, FollowsTheDistribution) {
  // 40,000 rows (each its own counter) from a 5-token distribution: frequencies within 4 standard errors.
  const std::vector<double> p = {0.4, 0.25, 0.2, 0.1, 0.05};
  const int64_t rows = 40000;
  const at::Tensor logits = at::log(at::tensor(std::vector<float>(p.begin(), p.end()))).expand({rows, 5}).contiguous();
  const at::Tensor counts = at::bincount(soar::draw_tokens(logits, 42), {}, 5).to(at::kDouble) / rows;
  for (int i = 0; i < 5; ++i) {
    EXPECT_NEAR(counts[i].item<double>(), p[i], 4 * std::sqrt(p[i] * (1 - p[i]) / rows)) << "token " << i;
  }
  // A peaked row, where most noise is skipped: token 0 at 10, 2,000 others at 0; the others
  // together have probability 2000 / (e^10 + 2000) = 0.0833.
  const int64_t vocab = 2001, peaked_rows = 20000;
  at::Tensor peaked = at::zeros({peaked_rows, vocab});
  peaked.select(1, 0).fill_(10.0f);
  const double tail = 2000.0 / (std::exp(10.0) + 2000.0);
  const double drawn_tail = (soar::draw_tokens(peaked, 7) != 0).to(at::kDouble).mean().item<double>();
  EXPECT_NEAR(drawn_tail, tail, 4 * std::sqrt(tail * (1 - tail) / peaked_rows));
}

TEST(TokenDraw, NeverDrawsMaskedTokens) {
  at::Tensor logits = at::randn({256, 40}) * 5;
  logits.narrow(1, 0, 20).fill_(-std::numeric_limits<float>::infinity());
  logits.narrow(1, 39, 1).fill_(-std::numeric_limits<float>::infinity());
  const at::Tensor tokens = soar::draw_tokens(logits, 5);
  EXPECT_TRUE(at::all((tokens >= 20) & (tokens < 39)).item<bool>());
}

TEST(TokenDraw, SameTokensAtAnyThreadCountAndForTheSameSeed) {
  const at::Tensor logits = at::randn({64, 4096}) * 4;
  const int threads = at::get_num_threads();
  at::set_num_threads(1);
  const at::Tensor one = soar::draw_tokens(logits, 11);
  at::set_num_threads(2);
  const at::Tensor two = soar::draw_tokens(logits, 11);
  at::set_num_threads(threads);
  EXPECT_TRUE(at::equal(one, two));
  EXPECT_FALSE(at::equal(one, soar::draw_tokens(logits, 12)));
}

TEST(TokenDraw, RefusesWhatItCannotDrawFrom) {
  EXPECT_THROW(soar::draw_tokens(at::randn({2, 8}, at::kDouble), 1), soar::Error);
  EXPECT_THROW(soar::draw_tokens(at::randn({8}), 1), soar::Error);
  EXPECT_THROW(soar::draw_tokens(at::randn({2, 0}), 1), soar::Error);
}

}  // namespace
