// The engine on a CUDA device: parity with transformers (fp32 exact-ish, bf16 within a measured
// tolerance), CUDA-graph greedy decoding against the full forward, the RL learning test, and
// memory planning. Built with the cuda preset; skipped where no GPU is visible.
#include <ATen/ATen.h>
#include <ATen/Context.h>
#include <gtest/gtest.h>

#include "core/device.h"
#include "core/error.h"
#include "model/checkpoint.h"
#include "../model/model_test_support.h"
#include "../rl/toy_task.h"

namespace soar {
namespace {

using test::load_reference;
using test::max_abs_diff_where;
using test::model_reference_dir;

class Gpu : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA GPU visible";
    at::globalContext().setAllowTF32CuBLAS(false);  // fp32 parity needs true fp32 matmuls
  }
};

class GpuFamilies : public Gpu, public ::testing::WithParamInterface<std::string> {};

TEST_P(GpuFamilies, Float32LogitsMatchTransformers) {
  auto ref = load_reference(GetParam());
  CausalLM model = load_model(model_reference_dir() / GetParam() / "model", {.dtype = at::kFloat, .device = at::kCUDA});
  at::NoGradGuard no_grad;
  at::Tensor logits = model->forward(ref["input_ids"].cuda(), ref["attention_mask"].cuda(), ref["position_ids"].cuda()).cpu();
  double diff = max_abs_diff_where(logits, ref["logits"], ref["attention_mask"]);
  std::cout << GetParam() << " fp32 cuda vs transformers: max |diff| " << diff << "\n";
  EXPECT_LE(diff, 1e-4);
}

TEST_P(GpuFamilies, Bfloat16LogitsWithinTransformersOwnBfloat16Error) {
  auto ref = load_reference(GetParam());
  CausalLM model = load_model(model_reference_dir() / GetParam() / "model", {.dtype = at::kBFloat16, .device = at::kCUDA});
  at::NoGradGuard no_grad;
  at::Tensor logits = model->forward(ref["input_ids"].cuda(), ref["attention_mask"].cuda(), ref["position_ids"].cuda()).cpu();
  at::Tensor mask = ref["attention_mask"];
  // Tolerance measured, not guessed: transformers' own bf16 model differs from its fp32 model by
  // `gap` on these inputs; our bf16 on the GPU must be as close to the fp32 reference.
  double gap = max_abs_diff_where(ref["logits_bf16"], ref["logits"], mask);
  double diff = max_abs_diff_where(logits, ref["logits"], mask);
  std::cout << GetParam() << " bf16 cuda vs transformers fp32: " << diff << " (transformers' bf16 gap " << gap << ")\n";
  EXPECT_LE(diff, 1.5 * gap);
}

TEST_P(GpuFamilies, CudaGraphGreedyDecodeEqualsArgmaxOfFullForward) {
  CausalLM model = load_model(model_reference_dir() / GetParam() / "model", {.dtype = at::kFloat, .device = at::kCUDA});
  const std::vector<std::vector<int32_t>> prompts = {{5, 17, 42, 7, 99, 3, 250}, {11, 12}, {300, 1, 2, 3, 4}};
  const int64_t steps = 256;
  Sampler sampler(*model);  // CUDA defaults: static decode, CUDA graphs, delayed sync
  auto completions = sampler.generate(prompts, {.temperature = 0, .max_new_tokens = steps});
  at::NoGradGuard no_grad;
  for (size_t i = 0; i < prompts.size(); ++i) {
    ASSERT_EQ(completions[i].tokens.size(), static_cast<size_t>(steps));
    std::vector<int64_t> sequence(prompts[i].begin(), prompts[i].end());
    int mismatches = 0, ties = 0;
    for (int64_t t = 0; t < steps; ++t) {
      at::Tensor ids = at::tensor(sequence, at::kLong).unsqueeze(0).cuda();
      at::Tensor logits = model->forward(ids).select(1, -1)[0];
      const int64_t ours = completions[i].tokens[t];
      if (logits.argmax().item<int64_t>() != ours) {
        // Where two logits are within float rounding of each other, either token is the argmax:
        // kernels that sum in a different order (the graph's decode step vs the full forward) may
        // pick either. Anything else is a real mismatch.
        double gap = (logits.max() - logits[ours]).item<double>();
        if (gap <= 1e-4) {
          ++ties;
        } else {
          ++mismatches;
          std::cout << "prompt " << i << " step " << t << ": ours " << ours << " is " << gap << " below the max\n";
        }
      }
      sequence.push_back(ours);  // teacher-force our tokens: compare every step
    }
    std::cout << GetParam() << " prompt " << i << ": " << steps << " greedy tokens, " << ties << " float ties\n";
    EXPECT_EQ(mismatches, 0) << "prompt " << i;
    EXPECT_LE(ties, 4) << "prompt " << i << ": more near-ties than chance explains";
  }
}

INSTANTIATE_TEST_SUITE_P(Families, GpuFamilies, ::testing::Values("llama3", "qwen2", "qwen3"));

TEST_F(Gpu, RlRaisesRewardOnAToyTask) {
  ToyTaskResult result = run_toy_task(at::kCUDA);
  EXPECT_LT(result.before, 0.2);
  EXPECT_GT(result.after, 0.8);
}

TEST_F(Gpu, RlRaisesRewardOnAToyTaskInBf16WithMasterWeightsAndFusedAdamW) {
  ToyTaskResult result = run_toy_task(at::kCUDA, at::kBFloat16);
  EXPECT_LT(result.before, 0.2);
  EXPECT_GT(result.after, 0.8);
}

TEST_F(Gpu, RequestThatCannotFitFailsBeforeAllocating) {
  CausalLM model = load_model(model_reference_dir() / "llama3" / "model", {.dtype = at::kBFloat16, .device = at::kCUDA});
  Sampler sampler(*model);
  int64_t before = available_memory_bytes(at::kCUDA);
  try {
    sampler.check_fits(2'000'000'000, 512);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("sequences of this length fit"), std::string::npos) << e.what();
  }
  EXPECT_GE(available_memory_bytes(at::kCUDA), before - (64 << 20));
}

}  // namespace
}  // namespace soar
