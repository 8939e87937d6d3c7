#include "model/fused_ops.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/error.h"
#include "model/cpu_fused_kernels.h"
#ifdef SOAR_CUDA
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>

#include "model/token_sampling.h"
#endif

namespace soar::fused {
namespace {

bool cpu_float(const at::Tensor& x) { return x.device().is_cpu() && x.scalar_type() == at::kFloat; }

void require(bool condition, const char* op, const char* what) {
  if (!condition) fail("fused ", op, ": ", what);
}

bool aligned16(const at::Tensor& x) { return reinterpret_cast<uintptr_t>(x.data_ptr()) % 16 == 0; }

// The cache's slot as the kernels read it: an int64 scalar on the cache's device (a GPU kernel
// reads it without a host copy).
void require_slot(const at::Tensor& slot, const at::Tensor& cache, const char* op) {
  require(slot.device() == cache.device() && slot.scalar_type() == at::kLong && slot.numel() == 1 && slot.is_contiguous(), op,
          "slot must be an int64 scalar on the cache's device");
}

#ifdef SOAR_CUDA
bool supported_cuda_dtype(at::ScalarType type) {
  return type == at::kFloat || type == at::kBFloat16 || type == at::kHalf;
}

kernels::Element element(const at::Tensor& x) {
  switch (x.scalar_type()) {
    case at::kBFloat16: return kernels::Element::BFloat16;
    case at::kHalf: return kernels::Element::Half;
    default: return kernels::Element::Float;
  }
}

void* stream_of(const at::Tensor& x) {
  return c10::cuda::getCurrentCUDAStream(x.device().index()).stream();
}
#endif

// Runs `cpu` for a CPU tensor, else `cuda` (which only a CUDA build has) on x's device.
template <class Cpu, class Cuda>
void on_device(const at::Tensor& x, Cpu&& cpu, Cuda&& cuda) {
  if (x.device().is_cpu()) {
    cpu();
    return;
  }
#ifdef SOAR_CUDA
  c10::cuda::CUDAGuard guard(x.device());
  cuda();
#else
  (void)cuda;
  fail("fused kernels on ", x.device().str(), " need a CUDA build");
#endif
}

}  // namespace

bool available(const at::Tensor& x) {
  if (cpu_float(x)) return true;
#ifdef SOAR_CUDA
  return x.is_cuda() && supported_cuda_dtype(x.scalar_type());
#else
  return false;
#endif
}

bool decode_attention_supports(int64_t head_dim, const at::Device& device) {
  if (device.is_cpu()) return cpu_kernels::decode_attention_supports(head_dim);
  return head_dim == 64 || head_dim == 128 || head_dim == 256;
}

at::Tensor add_rms_norm(at::Tensor& residual, const at::Tensor& delta, const at::Tensor& weight, double eps) {
  require(available(residual) && residual.is_contiguous(), "add_rms_norm",
          "residual must be a contiguous tensor the fused kernels take (fused::available)");
  const int64_t cols = residual.size(-1);
  require(weight.scalar_type() == residual.scalar_type() && weight.device() == residual.device() && weight.is_contiguous() &&
              weight.numel() == cols,
          "add_rms_norm", "weight must match the residual's last dimension, dtype and device");
  if (delta.defined()) {
    require(delta.sizes() == residual.sizes() && delta.scalar_type() == residual.scalar_type() &&
                delta.device() == residual.device() && delta.is_contiguous(),
            "add_rms_norm", "delta must be contiguous with the residual's shape, dtype and device");
  }
  at::Tensor normed = at::empty_like(residual);
  const int64_t rows = residual.numel() / std::max<int64_t>(cols, 1);
  on_device(
      residual,
      [&] {
        cpu_kernels::add_rms_norm(residual.data_ptr<float>(), delta.defined() ? delta.data_ptr<float>() : nullptr,
                                  weight.data_ptr<float>(), normed.data_ptr<float>(), rows, cols, static_cast<float>(eps));
      },
      [&] {
#ifdef SOAR_CUDA
        kernels::add_rms_norm(element(residual), residual.data_ptr(), delta.defined() ? delta.data_ptr() : nullptr,
                              weight.data_ptr(), normed.data_ptr(), rows, cols, static_cast<float>(eps), stream_of(residual));
#endif
      });
  return normed;
}

at::Tensor silu_mul(const at::Tensor& gate_up) {
  require(available(gate_up) && gate_up.is_contiguous() && gate_up.dim() >= 1 && gate_up.size(-1) % 2 == 0, "silu_mul",
          "input must be a contiguous tensor the fused kernels take with an even last dimension");
  const int64_t cols = gate_up.size(-1) / 2;
  std::vector<int64_t> sizes = gate_up.sizes().vec();
  sizes.back() = cols;
  at::Tensor out = at::empty(sizes, gate_up.options());
  const int64_t rows = gate_up.numel() / std::max<int64_t>(2 * cols, 1);
  on_device(
      gate_up, [&] { cpu_kernels::silu_mul(gate_up.data_ptr<float>(), out.data_ptr<float>(), rows, cols); },
      [&] {
#ifdef SOAR_CUDA
        kernels::silu_mul(element(gate_up), gate_up.data_ptr(), out.data_ptr(), rows, cols, stream_of(gate_up));
#endif
      });
  return out;
}

at::Tensor rope_cache_write(const at::Tensor& qkv, const RopeTables& rope, at::Tensor& keys, at::Tensor& values,
                            const at::Tensor& slot, int64_t first_slot, int64_t heads, int64_t kv_heads) {
  require(keys.dim() == 4 && keys.sizes() == values.sizes() && keys.is_contiguous() && values.is_contiguous() &&
              keys.device() == values.device(),
          "rope_cache_write", "keys and values must be contiguous [B, kv_heads, capacity, head_dim] on one device");
  const int64_t batch = keys.size(0), head_dim = keys.size(3), capacity = keys.size(2);
  require(keys.size(1) == kv_heads && head_dim % 2 == 0 && head_dim <= 1024, "rope_cache_write", "cache layout does not match the heads");
  require(available(qkv) && qkv.is_contiguous() && qkv.dim() == 3 && qkv.size(0) == batch &&
              qkv.size(2) == (heads + 2 * kv_heads) * head_dim && qkv.scalar_type() == keys.scalar_type() &&
              qkv.device() == keys.device(),
          "rope_cache_write", "qkv must be contiguous [B, T, (heads + 2 kv_heads) head_dim] in the cache's dtype and device");
  const int64_t tokens = qkv.size(1);
  for (const at::Tensor* table : {&rope.cos, &rope.signed_sin}) {
    require(table->is_contiguous() && table->numel() == batch * tokens * head_dim && table->scalar_type() == qkv.scalar_type() &&
                table->device() == qkv.device(),
            "rope_cache_write", "RoPE tables must be contiguous [B, T, head_dim] in the activations' dtype and device");
  }
  if (slot.defined()) {
    require_slot(slot, keys, "rope_cache_write");
    if (slot.device().is_cpu()) {
      const int64_t at_slot = slot.item<int64_t>();
      require(at_slot >= 0 && at_slot + tokens <= capacity, "rope_cache_write", "the new tokens do not fit in the cache");
    }
  } else {
    require(first_slot >= 0 && first_slot + tokens <= capacity, "rope_cache_write", "the new tokens do not fit in the cache");
  }
  at::Tensor q = at::empty({batch, heads, tokens, head_dim}, qkv.options());
  kernels::RopeCacheWrite args{qkv.data_ptr(), rope.cos.data_ptr(), rope.signed_sin.data_ptr(), q.data_ptr(), keys.data_ptr(),
                               values.data_ptr(), slot.defined() ? slot.data_ptr<int64_t>() : nullptr, first_slot,
                               batch, tokens, heads, kv_heads, head_dim, capacity};
  on_device(
      qkv, [&] { cpu_kernels::rope_cache_write(args); },
      [&] {
#ifdef SOAR_CUDA
        kernels::rope_cache_write(element(qkv), args, stream_of(qkv));
#endif
      });
  return q;
}

at::Tensor decode_attention(const at::Tensor& q, const at::Tensor& keys, const at::Tensor& values, const at::Tensor& valid,
                            const at::Tensor& slot, int64_t max_slots) {
  require(keys.dim() == 4 && keys.sizes() == values.sizes() && keys.is_contiguous() && values.is_contiguous() && aligned16(keys) &&
              aligned16(values) && keys.device() == values.device(),
          "decode_attention", "keys and values must be contiguous, 16-byte aligned [B, kv_heads, capacity, head_dim] on one device");
  const int64_t batch = keys.size(0), kv_heads = keys.size(1), capacity = keys.size(2), head_dim = keys.size(3);
  require(decode_attention_supports(head_dim, keys.device()), "decode_attention",
          keys.device().is_cpu() ? "head_dim must be 16, 32, ..., 128 or 256" : "head_dim must be 64, 128 or 256");
  require(available(q) && q.dim() == 3 && q.size(0) == batch && q.size(2) == head_dim && q.size(1) % kv_heads == 0 &&
              q.is_contiguous() && aligned16(q) && q.scalar_type() == keys.scalar_type() && q.device() == keys.device(),
          "decode_attention",
          "q must be contiguous [B, heads, head_dim] in the cache's dtype and device, heads a multiple of kv_heads");
  require(valid.scalar_type() == at::kBool && valid.is_contiguous() && valid.dim() == 2 && valid.size(0) == batch &&
              valid.size(1) == capacity && valid.device() == keys.device(),
          "decode_attention", "valid must be a contiguous bool [B, capacity] on the cache's device");
  require_slot(slot, keys, "decode_attention");
  if (slot.device().is_cpu()) {
    const int64_t newest = slot.item<int64_t>();
    require(newest >= 0 && newest < capacity, "decode_attention", "slot is outside the cache");
  }
  at::Tensor out = at::empty_like(q);
  kernels::DecodeAttention args{q.data_ptr(), keys.data_ptr(), values.data_ptr(), valid.data_ptr<bool>(), slot.data_ptr<int64_t>(),
                                out.data_ptr(), batch, q.size(1), kv_heads, head_dim, capacity,
                                max_slots > 0 ? std::min(max_slots, capacity) : capacity,
                                static_cast<float>(1.0 / std::sqrt(static_cast<double>(head_dim)))};
  on_device(
      q, [&] { cpu_kernels::decode_attention(args); },
      [&] {
#ifdef SOAR_CUDA
        kernels::decode_attention(element(q), args, stream_of(q));
#endif
      });
  return out;
}

#ifdef SOAR_CUDA

std::pair<at::Tensor, at::Tensor> sample_tokens(const at::Tensor& logits, double temperature, const at::Tensor& seed) {
  require(logits.is_cuda() && available(logits) && logits.dim() == 2 && logits.is_contiguous() && logits.size(1) > 0,
          "sample_tokens", "logits must be a contiguous CUDA [rows, vocab] tensor (float32, bf16 or fp16)");
  const bool greedy = temperature <= 0.0;
  if (!greedy) {
    require(seed.defined() && seed.is_cuda() && seed.scalar_type() == at::kLong && seed.numel() == 1 &&
                seed.device() == logits.device(),
            "sample_tokens", "seed must be an int64 scalar on the logits' device");
    require(std::isfinite(1.0 / temperature), "sample_tokens", "temperature is too small");
  }
  c10::cuda::CUDAGuard guard(logits.device());
  const int64_t rows = logits.size(0);
  at::Tensor tokens = at::empty({rows}, logits.options().dtype(at::kLong));
  at::Tensor logprobs = at::empty({rows}, logits.options().dtype(at::kFloat));
  kernels::TokenSampling args{logits.data_ptr(), rows, logits.size(1), greedy ? 0.0f : static_cast<float>(1.0 / temperature),
                              greedy ? nullptr : seed.data_ptr<int64_t>(), tokens.data_ptr<int64_t>(), logprobs.data_ptr<float>()};
  try {
    kernels::sample_tokens(element(logits), args, stream_of(logits));
  } catch (const std::invalid_argument& e) {
    fail(e.what());
  }
  return {tokens, logprobs};
}

void set_decode_attention_variant(int variant) {
  try {
    kernels::set_decode_attention_variant(variant);
  } catch (const std::invalid_argument& e) {
    fail(e.what());
  }
}

#else  // no CUDA build: these two are the GPU's alone

std::pair<at::Tensor, at::Tensor> sample_tokens(const at::Tensor&, double, const at::Tensor&) { fail("fused sample_tokens needs a CUDA build"); }
void set_decode_attention_variant(int) { fail("the decode attention variants need a CUDA build"); }

#endif

}  // namespace soar::fused
