// The one-pass token draw's kernel source (src/model/token_sampling.cuh), compiled for the host and
// run through an emulated warp (cuda_emulation.h), against the draw written as a plain loop: the
// first maximum over all elements of logit / temperature + Gumbel noise (the kernel's noise of
// element i: Philox4x32-10 keyed by the seed at counter (i / 4, row)), and its log-softmax in
// float64. The kernel visits each element once in an order of its own, skips the noise of elements
// that cannot win and merges per-thread states; the loop does none of that, so equal tokens show
// that the traversal (16-byte packs loaded 4 ahead, never run on a GPU when this was written, and
// the element-wise tail) visits every element exactly once and that skipping never changes a draw.
#include "cuda_emulation.h"
// The kernel after the emulation, which it needs.
#include "model/token_sampling.cuh"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "sampling/token_draw.h"

namespace {

namespace sampling = soar::kernels::sampling;
using soar::kernels::TokenSampling;

struct Result {
  std::vector<int64_t> tokens;
  std::vector<float> logprobs;
};

template <class T, int E>
Result run_kernel(const std::vector<T>& logits, int64_t rows, int64_t vocab, float inverse_temperature, int64_t seed) {
  Result r{std::vector<int64_t>(static_cast<size_t>(rows), -1), std::vector<float>(static_cast<size_t>(rows), NAN)};
  const TokenSampling a{logits.data(), rows, vocab, inverse_temperature, &seed, r.tokens.data(), r.logprobs.data()};
  soar::emulation::launch(static_cast<unsigned>(rows), sampling::kSamplingThreads, [&] { sampling::sample_tokens_kernel<T, E>(a); });
  return r;
}

// The draw as a plain loop over the row, and log_softmax at the drawn token in float64.
template <class T>
std::pair<int64_t, double> expected_draw(const T* row_logits, int64_t row, int64_t vocab, float inverse_temperature, int64_t seed) {
  const bool greedy = inverse_temperature <= 0.0f;
  const float scale = greedy ? 1.0f : inverse_temperature;
  const uint2 key = make_uint2(static_cast<unsigned>(seed), static_cast<unsigned>(static_cast<uint64_t>(seed) >> 32));
  int64_t best = -1;
  float best_value = -INFINITY;
  double top = -INFINITY;
  for (int64_t i = 0; i < vocab; ++i) {
    const float x = static_cast<float>(row_logits[i]) * scale;
    top = std::max(top, static_cast<double>(x));
    float value = x;
    if (!greedy) {
      const uint4 counter = make_uint4(static_cast<unsigned>(i >> 2), static_cast<unsigned>(i >> 34), static_cast<unsigned>(row),
                                       static_cast<unsigned>(static_cast<uint64_t>(row) >> 32));
      const uint4 bits = curand_Philox4x32_10(counter, key);
      const unsigned word[4] = {bits.x, bits.y, bits.z, bits.w};
      value = x + sampling::gumbel_noise(word[i & 3]);
    }
    if (value > best_value) best_value = value, best = i;
  }
  double total = 0;
  for (int64_t i = 0; i < vocab; ++i) total += std::exp(static_cast<double>(static_cast<float>(row_logits[i]) * scale) - top);
  const double logprob = static_cast<double>(static_cast<float>(row_logits[best]) * scale) - top - std::log(total);
  return {best, logprob};
}

// Rows of logits: flat (nothing can be skipped) or peaked (one element 12 above the rest, so most
// elements skip their noise), with the peak at a row-dependent place.
template <class T>
std::vector<T> make_logits(int64_t rows, int64_t vocab, bool peaked, std::mt19937& rng) {
  std::normal_distribution<float> normal;
  std::vector<T> logits(static_cast<size_t>(rows * vocab));
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t i = 0; i < vocab; ++i) logits[static_cast<size_t>(r * vocab + i)] = T(normal(rng));
    if (peaked) logits[static_cast<size_t>(r * vocab + (r * 7919) % vocab)] = T(12.0f);
  }
  return logits;
}

template <class T>
void check(const char* type) {
  constexpr int kPack = 16 / sizeof(T);
  std::mt19937 rng(sizeof(T));
  // Whole 16-byte packs: the Llama 3 vocabulary (a partial last round of 4 x 512 packs), fewer packs
  // than threads, a round and a bit; then lengths with a tail only the element-wise kernel runs.
  for (int64_t vocab : {int64_t{128256}, int64_t{48}, int64_t{4 * 512 * kPack + 3 * kPack}, int64_t{1003}, int64_t{50}}) {
    for (bool peaked : {false, true}) {
      const int64_t rows = 3;
      std::vector<T> logits = make_logits<T>(rows, vocab, peaked, rng);
      for (float inverse_temperature : {0.0f, 1.0f, 1.0f / 0.7f}) {
        const int64_t seed = 12345 + vocab;
        const bool packed = vocab % kPack == 0;
        Result result = packed ? run_kernel<T, kPack>(logits, rows, vocab, inverse_temperature, seed)
                               : run_kernel<T, 1>(logits, rows, vocab, inverse_temperature, seed);
        const std::string where = std::string(type) + " vocab " + std::to_string(vocab) + (peaked ? " peaked" : " flat") +
                                  " 1/T " + std::to_string(inverse_temperature);
        for (int64_t r = 0; r < rows; ++r) {
          const auto [token, logprob] = expected_draw(&logits[static_cast<size_t>(r * vocab)], r, vocab, inverse_temperature, seed);
          EXPECT_EQ(result.tokens[static_cast<size_t>(r)], token) << where << " row " << r;
          EXPECT_NEAR(result.logprobs[static_cast<size_t>(r)], logprob, 2e-5 * (1 + std::abs(logprob))) << where << " row " << r;
        }
        if (packed) {  // the element-wise kernel on the same row: the same draw (it does not depend on the launch shape)
          Result elementwise = run_kernel<T, 1>(logits, rows, vocab, inverse_temperature, seed);
          EXPECT_EQ(elementwise.tokens, result.tokens) << where;
        }
      }
    }
  }
}

TEST(TokenSamplingEmulation, DrawEqualsThePlainLoop) {
  check<float>("float32");
  check<__nv_bfloat16>("bf16");
  check<__half>("fp16");
}

// The CPU draw (src/sampling/token_draw.h) on the kernel's scaled logits: the same tokens, so a seed
// draws the same on both devices.
TEST(TokenSamplingEmulation, CpuDrawIsTheKernelsDraw) {
  std::mt19937 rng(11);
  for (int64_t vocab : {int64_t{49152}, int64_t{1003}, int64_t{50}}) {
    for (bool peaked : {false, true}) {
      const int64_t rows = 8;
      std::vector<float> logits = make_logits<float>(rows, vocab, peaked, rng);
      for (float inverse_temperature : {1.0f, 1.0f / 0.7f}) {
        const int64_t seed = 777 + vocab;
        const Result kernel = vocab % 4 == 0 ? run_kernel<float, 4>(logits, rows, vocab, inverse_temperature, seed)
                                             : run_kernel<float, 1>(logits, rows, vocab, inverse_temperature, seed);
        // The kernel's scaling, x = logit * (1/T) in float32 (the float widens to double exactly).
        const at::Tensor scaled = at::from_blob(logits.data(), {rows, vocab}).mul(static_cast<double>(inverse_temperature));
        const at::Tensor tokens = soar::draw_tokens(scaled, static_cast<uint64_t>(seed));
        for (int64_t r = 0; r < rows; ++r) {
          EXPECT_EQ(tokens[r].item<int64_t>(), kernel.tokens[static_cast<size_t>(r)])
              << "vocab " << vocab << (peaked ? " peaked" : " flat") << " 1/T " << inverse_temperature << " row " << r;
        }
      }
    }
  }
}

}  // namespace
