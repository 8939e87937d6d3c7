// The decoding step's tuned cuBLASLt matmul (model/tuned_matmul.h via fused::linear) against a
// float64 product: as close as torch's own bf16/fp16 matmul on the same inputs, the same bits on
// every later call (one choice per shape), usable inside CUDA graph capture, and every shape it
// timed reported. Skipped where no GPU is visible.
#include <ATen/ATen.h>
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <gtest/gtest.h>

#include <iostream>

#include "model/fused_ops.h"
#include "model/tuned_matmul.h"

namespace soar {
namespace {

class TunedMatmul : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA GPU visible";
  }
};

// max |y - exact| over max |exact|.
double relative_error(const at::Tensor& y, const at::Tensor& exact) {
  return ((y.to(at::kDouble) - exact).abs().max() / exact.abs().max()).item<double>();
}

TEST_F(TunedMatmul, MatchesFloat64AsCloselyAsTorchAndRepeatsItsBits) {
  struct Shape {
    int64_t rows, cols, depth;
  };
  // Decode shapes of a 3B Llama at batch 256 and small ones, odd sizes included.
  for (at::ScalarType type : {at::kBFloat16, at::kHalf}) {
    for (Shape s : {Shape{256, 5120, 3072}, Shape{256, 3072, 8192}, Shape{1, 384, 256}, Shape{7, 1000, 136}, Shape{64, 24, 512}}) {
      auto options = at::TensorOptions().dtype(type).device(at::kCUDA);
      at::Tensor x = at::randn({s.rows, s.depth}, options), w = at::randn({s.cols, s.depth}, options) * 0.05;
      at::Tensor exact = at::matmul(x.to(at::kDouble), w.to(at::kDouble).t());
      ASSERT_TRUE(tuned_matmul::supports(x, w));
      at::Tensor tuned = tuned_matmul::linear(x, w);
      at::Tensor torch_linear = at::linear(x, w);
      const double tuned_error = relative_error(tuned, exact), torch_error = relative_error(torch_linear, exact);
      std::cout << s.rows << "x" << s.depth << " · " << s.depth << "x" << s.cols << " (" << at::toString(type)
                << "): tuned " << tuned_error << ", torch " << torch_error << "\n";
      // Both round the float32 sum once to 16 bits (2^-8 relative for bf16); split-K may add a
      // rounding of partial sums, hence twice torch's error or one bf16 ulp, whichever is larger.
      EXPECT_LE(tuned_error, std::max(2 * torch_error, 1.0 / 256));
      EXPECT_TRUE(at::equal(tuned, tuned_matmul::linear(x, w))) << "a second call chose another algorithm";
    }
  }
  bool reported = false;
  for (const auto& shape : tuned_matmul::tuned_shapes()) {
    if (shape.rows == 256 && shape.cols == 5120 && shape.depth == 3072) {
      reported = true;
      EXPECT_GE(shape.candidates, 1);
      EXPECT_LE(shape.chosen_us, shape.first_us > 0 ? shape.first_us : shape.chosen_us);
    }
  }
  EXPECT_TRUE(reported);
}

TEST_F(TunedMatmul, RunsInsideGraphCaptureAndTakesOnlyOneTokenRowsThroughFusedLinear) {
  auto options = at::TensorOptions().dtype(at::kBFloat16).device(at::kCUDA);
  at::Tensor x = at::randn({48, 320}, options), w = at::randn({200, 320}, options) * 0.05;
  at::Tensor exact = at::matmul(x.to(at::kDouble), w.to(at::kDouble).t());
  // A shape first seen under capture: not timed there, cuBLASLt's first candidate is recorded.
  c10::cuda::CUDAStream side = c10::cuda::getStreamFromPool();
  at::Tensor captured;
  at::cuda::CUDAGraph graph;
  {
    c10::cuda::CUDAStreamGuard guard(side);
    at::InferenceMode inference;
    graph.capture_begin();
    captured = fused::linear(x.unsqueeze(1), w);  // [48, 1, 320]: a decoding step's layout
    graph.capture_end();
  }
  graph.replay();
  side.synchronize();
  ASSERT_EQ(captured.sizes(), (at::IntArrayRef{48, 1, 200}));
  EXPECT_LE(relative_error(captured.squeeze(1), exact), 1.0 / 256);
  // With a bias, with grad, or past kMaxRows rows fused::linear is torch's linear.
  at::Tensor bias = at::randn({200}, options);
  EXPECT_TRUE(at::equal(fused::linear(x, w, bias), at::linear(x, w, bias)));
  at::Tensor many = at::randn({tuned_matmul::kMaxRows + 1, 320}, options);
  EXPECT_FALSE(tuned_matmul::supports(many, w));
  EXPECT_TRUE(at::equal(fused::linear(many, w), at::linear(many, w)));
}

}  // namespace
}  // namespace soar
