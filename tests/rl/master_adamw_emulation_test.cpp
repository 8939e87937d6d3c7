// The master-weight AdamW kernel's source (src/rl/master_adamw.cuh), compiled for the host and run
// through an emulated warp (tests/support/cuda_emulation.h), against ATen's fused AdamW on the CPU
// (the reference the GPU test uses on the device): its 4-wide path and its one-element path, with a
// tail and a grid that wraps. Runs in CI, so that a change to the kernel is checked before a GPU is
// lent.
#include <ATen/ATen.h>  // before the emulation, whose macros are for kernel source only
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "cuda_emulation.h"
// The kernel after the emulation, which it needs.
#include "rl/master_adamw.cuh"

namespace {

TEST(MasterAdamWEmulation, MatchesAtenFusedAdamW) {
  const double lr = 1e-3, beta1 = 0.9, beta2 = 0.99, eps = 1e-8, weight_decay = 0.1;
  const int64_t step = 3;
  at::manual_seed(1);
  for (bool vectorized : {true, false}) {
    // 4-wide groups and a tail of 3; enough elements that 2 blocks of 256 threads wrap around.
    for (int64_t n : {int64_t{1003}, int64_t{4 * 512 * 2 + 5}}) {
      at::Tensor master = at::randn({n}) * 0.02, exp_avg = at::randn({n}) * 1e-3, exp_avg_sq = at::rand({n}) * 1e-6;
      const at::Tensor initial = master.clone();
      at::Tensor grad = (at::randn({n}) * 1e-2).to(at::kBFloat16);
      at::Tensor param = at::full({n}, std::numeric_limits<float>::quiet_NaN(), at::TensorOptions().dtype(at::kBFloat16));
      at::Tensor inverse_clip = at::full({1}, 4.0);  // clip factor 0.25
      at::Tensor ref_master = master.clone(), ref_avg = exp_avg.clone(), ref_avg_sq = exp_avg_sq.clone();
      at::_fused_adamw_({ref_master}, {grad.to(at::kFloat)}, {ref_avg}, {ref_avg_sq}, {}, {at::full({}, static_cast<double>(step))}, lr,
                        beta1, beta2, weight_decay, eps, false, false, inverse_clip);

      const soar::MasterAdamWStep args{static_cast<float>(lr), static_cast<float>(beta1), static_cast<float>(beta2),
                                       static_cast<float>(eps), static_cast<float>(weight_decay),
                                       static_cast<float>(1 - std::pow(beta1, step)),
                                       static_cast<float>(std::sqrt(1 - std::pow(beta2, step))), inverse_clip.data_ptr<float>()};
      soar::emulation::launch(2, 256, [&] {
        soar::master_adamw_kernels::master_adamw_kernel(
            static_cast<const __nv_bfloat16*>(grad.data_ptr()), master.data_ptr<float>(), exp_avg.data_ptr<float>(),
            exp_avg_sq.data_ptr<float>(), static_cast<__nv_bfloat16*>(param.data_ptr()), n, vectorized, args);
      });
      auto relative = [](const at::Tensor& a, const at::Tensor& b) { return ((a - b).abs().max() / b.abs().max()).item<double>(); };
      const std::string where = std::string(vectorized ? "4-wide" : "one element at a time") + " n " + std::to_string(n);
      EXPECT_LT(relative(master, ref_master), 1e-6) << where;
      EXPECT_LT(relative(exp_avg, ref_avg), 1e-6) << where;
      EXPECT_LT(relative(exp_avg_sq, ref_avg_sq), 1e-6) << where;
      EXPECT_TRUE(at::equal(param, master.to(at::kBFloat16))) << where << ": every bf16 weight written, rounded from its master";
      EXPECT_TRUE(at::equal(master == initial, ref_master == initial)) << where << ": the same updates below float32 resolution";
      EXPECT_LT((master == initial).to(at::kFloat).mean().item<double>(), 0.5) << where;
    }
  }
}

}  // namespace
