// The decoding step's few-row projections (src/model/streaming_linear.h) against a float64
// reference and ATen's at::linear: every row count the streaming kernel takes, weight shapes with
// and without a k % 16 tail, with and without bias; the swapped-operand GEMM for a few more rows;
// the same bits at any thread count; and the operands both must leave to ATen.
#include <gtest/gtest.h>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/core/grad_mode.h>

#include <tuple>

#include "model/streaming_linear.h"

namespace {

at::Tensor reference(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b) {
  at::Tensor y = at::linear(x.to(at::kDouble), w.to(at::kDouble), b.defined() ? b.to(at::kDouble) : at::Tensor());
  return y.to(at::kFloat);
}

TEST(StreamingLinear, MatchesFloat64ReferenceOnEveryRowCountAndShape) {
  at::InferenceMode inference;
  at::manual_seed(7);
  // (n, k): k a multiple of 16 (SmolLM2's 576 and 1536), k with a tail, k below one vector.
  for (auto [n, k] : {std::tuple<int64_t, int64_t>{960, 576}, {576, 1536}, {37, 100}, {5, 7}, {1, 1}}) {
    for (int64_t rows = 1; rows <= soar::kStreamingRows && rows * k <= soar::kStreamingFloats; ++rows) {
      for (bool with_bias : {false, true}) {
        const at::Tensor x = at::randn({rows, k}), w = at::randn({n, k});
        const at::Tensor b = with_bias ? at::randn({n}) : at::Tensor();
        ASSERT_TRUE(soar::streams(x, w, b));
        const at::Tensor y = soar::linear(x, w, b);
        ASSERT_EQ(y.sizes(), (std::vector<int64_t>{rows, n}));
        const at::Tensor want = reference(x, w, b);
        // float32 sums of k products of unit normals: error ~ k * 2^-24 * sqrt(k) at worst.
        const double tolerance = 1e-6 * k;
        EXPECT_LE((y - want).abs().max().item<double>(), tolerance) << "n " << n << " k " << k << " rows " << rows;
        EXPECT_LE((y - at::linear(x, w, b)).abs().max().item<double>(), 2 * tolerance);
      }
    }
  }
}

TEST(StreamingLinear, SwappedOperandsMatchFloat64Reference) {
  at::InferenceMode inference;
  at::manual_seed(8);
  for (int64_t rows = soar::kStreamingRows + 1; rows <= soar::kSwappedRows; ++rows) {
    for (bool with_bias : {false, true}) {
      const at::Tensor x = at::randn({rows, 1, 576}), w = at::randn({960, 576});
      const at::Tensor b = with_bias ? at::randn({960}) : at::Tensor();
      ASSERT_TRUE(soar::swaps(x, w, b));
      ASSERT_FALSE(soar::streams(x, w, b));
      const at::Tensor y = soar::linear(x, w, b);
      ASSERT_EQ(y.sizes(), (std::vector<int64_t>{rows, 1, 960}));
      EXPECT_TRUE(y.is_contiguous());
      EXPECT_LE((y - reference(x, w, b)).abs().max().item<double>(), 1e-6 * 576) << "rows " << rows;
    }
  }
  EXPECT_FALSE(soar::swaps(at::randn({8, 1536}), at::randn({16, 1536}), {}));  // k above kSwappedMaxK
  EXPECT_FALSE(soar::swaps(at::randn({soar::kSwappedRows + 1, 64}), at::randn({16, 64}), {}));
  EXPECT_FALSE(soar::swaps(at::randn({2, 64}), at::randn({16, 64}), {}));  // streamed instead
  EXPECT_FALSE(soar::swaps(at::randn({1, 6, 64}), at::randn({16, 64}), {}));  // a prompt's positions
  EXPECT_TRUE(soar::swaps(at::randn({6, 64}), at::randn({16, 64}), {}));      // the output layer's rows
}

TEST(StreamingLinear, KeepsLeadingDimensionsAndTakesStridedRows) {
  at::InferenceMode inference;
  const at::Tensor w = at::randn({48, 64});
  const at::Tensor x = at::randn({2, 1, 64});  // [B, T=1, hidden], as a decoding step's
  const at::Tensor y = soar::linear(x, w);
  ASSERT_EQ(y.sizes(), (std::vector<int64_t>{2, 1, 48}));
  EXPECT_LE((y - reference(x, w, {})).abs().max().item<double>(), 1e-4);
  const at::Tensor wide = at::randn({3, 100});
  const at::Tensor strided = wide.narrow(1, 10, 64);  // rows 100 floats apart
  EXPECT_LE((soar::linear(strided, w) - reference(strided, w, {})).abs().max().item<double>(), 1e-4);
}

TEST(StreamingLinear, SameBitsAtAnyThreadCount) {
  at::InferenceMode inference;
  const at::Tensor x = at::randn({3, 576}), w = at::randn({3072, 576});
  const int threads = at::get_num_threads();
  at::set_num_threads(1);
  const at::Tensor one = soar::linear(x, w);
  at::set_num_threads(2);
  const at::Tensor two = soar::linear(x, w);
  at::set_num_threads(threads);
  EXPECT_TRUE(at::equal(one, two));
}

TEST(StreamingLinear, LeavesToATenWhatItDoesNotTake) {
  const at::Tensor w = at::randn({8, 32});
  {
    at::InferenceMode inference;
    EXPECT_FALSE(soar::streams(at::randn({soar::kStreamingRows + 1, 32}), w, {}));  // too many rows
    EXPECT_FALSE(soar::streams(at::randn({3, 1536}), at::randn({8, 1536}), {}));     // rows too long for L1
    EXPECT_FALSE(soar::streams(at::randn({2, 32}, at::kBFloat16), w.to(at::kBFloat16), {}));
    EXPECT_FALSE(soar::streams(at::randn({2, 8}), at::randn({32, 8}).t(), {}));  // weight not contiguous
    EXPECT_FALSE(soar::streams(at::randn({2, 32}), w, at::randn({16}).narrow(0, 0, 8).as_strided({8}, {2})));
    EXPECT_FALSE(soar::streams(at::randn({2, 31}), w, {}));  // shapes disagree: ATen's own error
    EXPECT_THROW(soar::linear(at::randn({2, 31}), w), c10::Error);
  }
  // With autograd recording, a weight that needs a gradient goes through at::linear (which records).
  const at::Tensor trained = at::randn({8, 32}).requires_grad_(true);
  const at::Tensor x = at::randn({2, 32});
  EXPECT_FALSE(soar::streams(x, trained, {}));
  soar::linear(x, trained).sum().backward();
  ASSERT_TRUE(trained.grad().defined());
  EXPECT_TRUE(at::allclose(trained.grad(), x.sum(0).expand({8, 32})));
  // Without recording (an old policy's log-probs), the same weight streams.
  at::AutoGradMode no_grad(false);
  EXPECT_TRUE(soar::streams(x, trained, {}));
}

}  // namespace
