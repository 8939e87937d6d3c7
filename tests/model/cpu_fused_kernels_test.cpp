// The fused CPU kernels (src/model/cpu_fused_kernels.h, through fused_ops.h) against independent
// references: float64 attention with a masked softmax, ATen's RMSNorm, SiLU and RoPE as the
// model's unfused path computes them, the vector e^x against std::exp; the same bits at 1 and 2
// threads; the model's decoding logits with and without the fused kernels on the same weights;
// and the checks that refuse bad operands.
#include <gtest/gtest.h>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "core/error.h"
#include "model/causal_lm.h"
#include "model/cpu_vectors.h"
#include "model/fused_ops.h"
#include "model/kv_cache.h"
#include "model/rope.h"
#include "model_test_support.h"

namespace {

using namespace soar;

// Units in the last place between a and b (both finite, same sign).
int64_t ulps(float a, float b) {
  int32_t ia, ib;
  std::memcpy(&ia, &a, 4);
  std::memcpy(&ib, &b, 4);
  return std::abs(static_cast<int64_t>(ia) - static_cast<int64_t>(ib));
}

TEST(CpuVectors, ExpIsWithinTwoUlpOfStdExp) {
  int64_t worst = 0;
  for (float x = -87.0f; x <= 88.0f; x += 0.0137f) {
    cpu::Floats v = cpu::broadcast(x);
    const float got = cpu::exp(v)[3];
    worst = std::max(worst, ulps(got, std::exp(x)));
  }
  EXPECT_LE(worst, 2);
  EXPECT_EQ(cpu::exp(cpu::broadcast(0.0f))[0], 1.0f);
  EXPECT_TRUE(std::isnan(cpu::exp(cpu::broadcast(std::nanf("")))[0]));
}

TEST(CpuVectors, LaneSumAddsEveryLane) {
  cpu::Floats v;
  for (int64_t i = 0; i < cpu::kLanes; ++i) v[i] = static_cast<float>(1 << i);
  EXPECT_EQ(cpu::lane_sum(v), 65535.0f);
}

TEST(CpuFused, AvailableForFloat32OnTheCpuOnly) {
  EXPECT_TRUE(fused::available(at::zeros({2}, at::kFloat)));
  EXPECT_FALSE(fused::available(at::zeros({2}, at::kDouble)));
  EXPECT_FALSE(fused::available(at::zeros({2}, at::kBFloat16)));
  EXPECT_TRUE(fused::decode_attention_supports(32, at::kCPU));
  EXPECT_FALSE(fused::decode_attention_supports(24, at::kCPU));
  EXPECT_FALSE(fused::decode_attention_supports(272, at::kCPU));
  EXPECT_FALSE(fused::decode_attention_supports(160, at::kCPU));
  EXPECT_TRUE(fused::decode_attention_supports(256, at::kCPU));
}

// The residual bit for bit (one rounding of the sum); the normed rows as transformers' RMSNorm
// computes them in ATen, within float32 summation-order differences.
TEST(CpuFused, AddRmsNormMatchesAten) {
  at::manual_seed(1);
  for (int64_t cols : {576, 100, 7}) {
    for (bool with_delta : {false, true}) {
      at::Tensor residual = at::randn({5, 3, cols}), delta = with_delta ? at::randn({5, 3, cols}) : at::Tensor();
      at::Tensor weight = at::randn({cols});
      at::Tensor expected_residual = with_delta ? residual + delta : residual.clone();
      at::Tensor normed = fused::add_rms_norm(residual, delta, weight, 1e-5);
      at::Tensor expected = weight * (expected_residual * at::rsqrt(expected_residual.pow(2).mean(-1, true) + 1e-5));
      EXPECT_TRUE(at::equal(residual, expected_residual)) << cols;
      EXPECT_LE((normed - expected).abs().max().item<double>(), 1e-5) << cols;
    }
  }
}

TEST(CpuFused, SiluMulMatchesAten) {
  at::manual_seed(2);
  for (int64_t cols : {1536, 352, 9}) {
    at::Tensor gate_up = at::randn({4, 2, 2 * cols}) * 6;
    gate_up.view(-1)[0] = -200.0f;  // beyond the vector e^x's clamp: silu is ~0 there
    gate_up.view(-1)[1] = 200.0f;
    at::Tensor out = fused::silu_mul(gate_up);
    at::Tensor expected = at::silu(gate_up.narrow(-1, 0, cols)) * gate_up.narrow(-1, cols, cols);
    ASSERT_EQ(out.sizes(), expected.sizes());
    EXPECT_TRUE(at::allclose(out, expected, 1e-6, 1e-30)) << cols << ": max |diff| " << (out - expected).abs().max().item<double>();
  }
}

// RoPE + cache write against apply_rope and plain copies: the same roundings, so bit for bit. One
// token at a slot tensor (decoding) and five at a host slot (prefill).
TEST(CpuFused, RopeCacheWriteEqualsAtenRope) {
  const int64_t batch = 4, heads = 6, kv_heads = 2, capacity = 20, first_slot = 13;
  at::manual_seed(3);
  for (int64_t head_dim : {64, 40}) {
    for (int64_t tokens : {1, 5}) {
      at::Tensor qkv = at::randn({batch, tokens, (heads + 2 * kv_heads) * head_dim});
      at::Tensor positions = at::randint(1000, {batch, tokens}, at::kLong);
      ModelConfig config;
      config.head_dim = head_dim;
      config.rope = {500000.0, "llama3", 32.0, 1.0, 4.0, 8192};
      RopeTables rope = rope_tables(rope_inverse_frequencies(config), positions, at::kFloat);
      at::Tensor keys = at::randn({batch, kv_heads, capacity, head_dim}), values = at::randn_like(keys);
      at::Tensor expected_keys = keys.clone(), expected_values = values.clone();
      at::Tensor slot = tokens == 1 ? at::full({1}, first_slot, at::kLong) : at::Tensor();
      at::Tensor q = fused::rope_cache_write(qkv, rope, keys, values, slot, tokens == 1 ? 0 : first_slot, heads, kv_heads);

      at::Tensor heads_first = qkv.view({batch, tokens, heads + 2 * kv_heads, head_dim}).transpose(1, 2);
      at::Tensor expected_q = apply_rope(heads_first.narrow(1, 0, heads), rope);
      expected_keys.narrow(2, first_slot, tokens).copy_(apply_rope(heads_first.narrow(1, heads, kv_heads), rope));
      expected_values.narrow(2, first_slot, tokens).copy_(heads_first.narrow(1, heads + kv_heads, kv_heads));
      const std::string where = "head_dim " + std::to_string(head_dim) + " tokens " + std::to_string(tokens);
      EXPECT_TRUE(at::equal(q, expected_q)) << where << ": max |diff| " << (q - expected_q).abs().max().item<double>();
      EXPECT_TRUE(at::equal(keys, expected_keys)) << where;
      EXPECT_TRUE(at::equal(values, expected_values)) << where;
    }
  }
}

at::Tensor float64_attention(const at::Tensor& q, const at::Tensor& keys, const at::Tensor& values, const at::Tensor& valid,
                             int64_t read) {
  const int64_t batch = keys.size(0), kv_heads = keys.size(1), head_dim = keys.size(3), group = q.size(1) / kv_heads;
  at::Tensor q64 = q.to(at::kDouble).view({batch, kv_heads, group, head_dim});
  at::Tensor k64 = keys.to(at::kDouble).narrow(2, 0, read), v64 = values.to(at::kDouble).narrow(2, 0, read);
  at::Tensor scores = at::matmul(q64, k64.transpose(2, 3)) / std::sqrt(static_cast<double>(head_dim));
  at::Tensor keep = valid.narrow(1, 0, read).view({batch, 1, 1, read});
  scores = scores.masked_fill(keep.logical_not(), -std::numeric_limits<double>::infinity());
  return at::matmul(scores.softmax(-1), v64).view({batch, kv_heads * group, head_dim});
}

// Query groups of 1, 3 and 5, head sizes 16 to 256, invalid slots, and both bounds on the slots
// read (the newest slot, and max_slots below it).
TEST(CpuFused, DecodeAttentionMatchesFloat64) {
  const int64_t batch = 5, kv_heads = 2, capacity = 300, newest = 257;
  at::manual_seed(4);
  for (int64_t head_dim : {16, 32, 48, 64, 80, 96, 112, 128, 256}) {
    for (int64_t group : {1, 3, 5}) {
      for (int64_t max_slots : {capacity, int64_t{100}}) {
        at::Tensor q = at::randn({batch, kv_heads * group, head_dim}) * 3;
        at::Tensor keys = at::randn({batch, kv_heads, capacity, head_dim}), values = at::randn_like(keys);
        at::Tensor valid = at::rand({batch, capacity}) > 0.3;
        valid.select(1, 0).fill_(true);
        valid.select(1, newest).fill_(true);
        valid.narrow(1, newest + 1, capacity - newest - 1).fill_(true);  // beyond the newest slot: never read
        keys.narrow(2, newest + 1, capacity - newest - 1).fill_(1e6);
        at::Tensor slot = at::full({1}, newest, at::kLong);
        at::Tensor out = fused::decode_attention(q, keys, values, valid, slot, max_slots);
        at::Tensor expected = float64_attention(q, keys, values, valid, std::min(newest + 1, max_slots));
        const double error = ((out.to(at::kDouble) - expected).norm() / expected.norm()).item<double>();
        EXPECT_LT(error, 1e-6) << "head_dim " << head_dim << " group " << group << " max_slots " << max_slots;
      }
    }
  }
}

TEST(CpuFused, DecodeAttentionOfARowWithNoValidSlotIsZero) {
  at::Tensor q = at::randn({2, 2, 32}), keys = at::randn({2, 1, 8, 32}), values = at::randn_like(keys);
  at::Tensor valid = at::ones({2, 8}, at::kBool);
  valid[1].fill_(false);
  at::Tensor out = fused::decode_attention(q, keys, values, valid, at::full({1}, 5, at::kLong), 0);
  EXPECT_TRUE(at::equal(out[1], at::zeros_like(out[1])));
  EXPECT_TRUE(out[0].abs().sum().item<double>() > 0);
}

TEST(CpuFused, SameBitsAtOneAndTwoThreads) {
  at::manual_seed(5);
  at::Tensor q = at::randn({16, 9, 64}), keys = at::randn({16, 3, 170, 64}), values = at::randn_like(keys);
  at::Tensor valid = at::rand({16, 170}) > 0.2, slot = at::full({1}, 163, at::kLong);
  at::Tensor residual = at::randn({64, 576}), delta = at::randn({64, 576}), weight = at::randn({576});
  at::Tensor gate_up = at::randn({64, 3072});
  const int threads = at::get_num_threads();
  std::vector<at::Tensor> results[2];
  for (int t : {1, 2}) {
    at::set_num_threads(t);
    at::Tensor r = residual.clone();
    results[t - 1] = {fused::decode_attention(q, keys, values, valid, slot, 0), fused::add_rms_norm(r, delta, weight, 1e-5), r,
                      fused::silu_mul(gate_up)};
  }
  at::set_num_threads(threads);
  for (size_t i = 0; i < results[0].size(); ++i) EXPECT_TRUE(at::equal(results[0][i], results[1][i])) << i;
}

TEST(CpuFused, RefusesBadOperandsByName) {
  at::Tensor keys = at::randn({2, 1, 8, 32}), values = at::randn_like(keys), valid = at::ones({2, 8}, at::kBool);
  at::Tensor q = at::randn({2, 2, 32});
  auto message = [](auto&& call) {
    try {
      call();
    } catch (const soar::Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message([&] { fused::decode_attention(q, keys, values, valid, at::full({1}, 8, at::kLong), 0); }).find("slot is outside"),
            std::string::npos);
  EXPECT_NE(message([&] { fused::decode_attention(q, keys, values, valid, at::full({1}, 3, at::kInt), 0); }).find("int64 scalar"),
            std::string::npos);
  EXPECT_NE(message([&] { fused::decode_attention(q.to(at::kDouble), keys, values, valid, at::full({1}, 3, at::kLong), 0); })
                .find("q must be"),
            std::string::npos);
  at::Tensor odd = at::randn({2, 1, 8, 24});
  EXPECT_NE(message([&] { fused::decode_attention(at::randn({2, 2, 24}), odd, odd, valid, at::full({1}, 3, at::kLong), 0); })
                .find("head_dim must be 16, 32"),
            std::string::npos);
  EXPECT_NE(message([&] { fused::silu_mul(at::randn({3, 5})); }).find("even last dimension"), std::string::npos);
  at::Tensor residual = at::randn({3, 8});
  EXPECT_NE(message([&] { fused::add_rms_norm(residual, {}, at::randn({7}), 1e-5); }).find("weight must match"), std::string::npos);
  at::Tensor qkv = at::randn({2, 1, 4 * 32});
  RopeTables rope{at::ones({2, 1, 32}), at::zeros({2, 1, 32})};
  EXPECT_NE(message([&] { fused::rope_cache_write(qkv, rope, keys, values, at::full({1}, 8, at::kLong), 0, 2, 1); })
                .find("do not fit"),
            std::string::npos);
}

// The fused kernels against the ATen path on the same weights (whose parity with transformers
// model_parity_test shows): query groups of 1, 3 and 7, head sizes 32, 64 and 128, left padding,
// 30 decoding steps; also a forward without cache (the fused norms and SiLU gate).
TEST(CpuFused, ModelLogitsMatchTheAtenPath) {
  struct Shape {
    int64_t heads, kv_heads, head_dim;
  };
  for (Shape shape : {Shape{6, 2, 64}, Shape{14, 2, 32}, Shape{4, 4, 128}}) {
    ModelConfig config;
    config.vocab_size = 300, config.hidden_size = 192, config.intermediate_size = 320, config.num_hidden_layers = 2;
    config.num_attention_heads = shape.heads, config.num_key_value_heads = shape.kv_heads, config.head_dim = shape.head_dim;
    config.max_position_embeddings = 1024, config.rms_norm_eps = 1e-5, config.qkv_bias = shape.heads == 14;
    config.rope = {500000.0, "llama3", 32.0, 1.0, 4.0, 8192};
    CausalLM model(config);
    model->initialize_weights(3);
    {
      at::NoGradGuard no_grad;
      for (auto& p : model->parameters()) p.mul_(2.5);  // sharper attention than N(0, 0.02) gives
    }
    const std::vector<std::vector<int64_t>> prompts = {{5, 17, 42, 7, 99, 3, 250, 8, 9, 10, 11}, {11, 12}, {200, 1, 2, 3, 4}};
    at::manual_seed(6);
    at::Tensor forced = at::randint(config.vocab_size, {3, 30}, at::kLong);
    const std::string name = std::to_string(shape.heads) + "/" + std::to_string(shape.kv_heads) + " heads, head_dim " +
                             std::to_string(shape.head_dim);
    at::Tensor aten = test::cached_decode_logits(*model, false, prompts, forced, at::kCPU);
    at::Tensor fused = test::cached_decode_logits(*model, true, prompts, forced, at::kCPU);
    EXPECT_LE((fused - aten).abs().max().item<double>(), 1e-4) << name << " (logits up to " << aten.abs().max().item<double>() << ")";
    EXPECT_GT(aten.abs().max().item<double>(), 1.0) << name;  // logits large enough for the bound to mean something

    at::InferenceMode inference;
    at::Tensor ids = at::randint(config.vocab_size, {2, 9}, at::kLong);
    model->set_fused_kernels(false);
    at::Tensor plain = model->hidden_states(ids, {}, {});
    model->set_fused_kernels(true);
    EXPECT_LE((model->hidden_states(ids, {}, {}) - plain).abs().max().item<double>(), 1e-4) << name;
  }
}

}  // namespace
