// The Llama-family decoder (Llama 3.x, Qwen2/2.5, Qwen3) as a libtorch module whose parameter names
// are exactly Hugging Face's ("model.layers.0.self_attn.q_proj.weight", ...), so checkpoints map
// one to one. One class for every scale: the testbed's tiny model is just a small config.
#pragma once

#include <ATen/ATen.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/pimpl.h>

#include <cstdint>
#include <tuple>

#include "model/config.h"
#include "model/kv_cache.h"
#include "model/layers.h"
#include "model/rope.h"
#include "model/shared_prefix.h"

namespace soar {

// Where a forward pass reads and writes the KV cache. Without a cache: plain causal attention.
// With `slot` (host): new keys go to slots [slot, slot + T) and attention covers [0, slot + T).
// With `slot_index` (device, [1]): one new token goes to that slot and attention covers the first
// `attend_slots` slots under the cache's validity mask — static shapes, so the step can be a CUDA
// graph (one per attend_slots bucket).
struct CacheAccess {
  KVCache* cache = nullptr;
  int64_t slot = 0;
  at::Tensor slot_index;
  int64_t attend_slots = 0;
};

class AttentionImpl : public torch::nn::Module {
 public:
  AttentionImpl(const ModelConfig& config, const at::TensorOptions& options);
  // x [B, T, H]; mask [B, 1, T, S]: bool (true = may attend) or additive (0 / -inf in x's dtype),
  // S as `access` says; undefined = causal attention without a cache. `fused` (no grad, CUDA): with
  // a cache, RoPE + the cache write run as one CUDA kernel, and a decoding step (one token, device
  // slot) also its attention.
  at::Tensor forward(const at::Tensor& x, const RopeTables& rope, const at::Tensor& mask, const CacheAccess& access,
                     int64_t layer, bool fused = false);
  // x [1, T, H]: the flattened tokens of a SharedPrefixBatch (model/shared_prefix.h).
  at::Tensor forward_shared_prefix(const at::Tensor& x, const RopeTables& rope, const SharedPrefixLayout& layout);

  Linear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, o_proj{nullptr};
  RMSNorm q_norm{nullptr}, k_norm{nullptr};  // Qwen3 only

  // Makes q/k/v_proj's weights (and biases) views into one stacked tensor, so that forwards
  // without grad run one matmul instead of three; see CausalLMImpl::stack_projections.
  bool stack_projections();

 private:
  // q, k with RoPE applied and v, each [B, heads or kv_heads, T, D].
  std::tuple<at::Tensor, at::Tensor, at::Tensor> project_and_rotate(const at::Tensor& x, const RopeTables& rope);

  int64_t heads_, kv_heads_, head_dim_;
  at::Tensor qkv_weight_, qkv_bias_;  // stacked storage of the three projections, or undefined
};
TORCH_MODULE(Attention);

class MlpImpl : public torch::nn::Module {
 public:
  MlpImpl(const ModelConfig& config, const at::TensorOptions& options);
  // `fused`: without grad, on stacked projections, the SiLU gate is one fused kernel.
  at::Tensor forward(const at::Tensor& x, bool fused = false);
  bool stack_projections();  // gate_proj and up_proj, as AttentionImpl::stack_projections
  Linear gate_proj{nullptr}, up_proj{nullptr}, down_proj{nullptr};

 private:
  at::Tensor gate_up_weight_, gate_up_bias_;
};
TORCH_MODULE(Mlp);

class DecoderLayerImpl : public torch::nn::Module {
 public:
  DecoderLayerImpl(const ModelConfig& config, const at::TensorOptions& options);
  at::Tensor forward(const at::Tensor& x, const RopeTables& rope, const at::Tensor& mask, const CacheAccess& access,
                     int64_t layer);
  at::Tensor forward_shared_prefix(const at::Tensor& x, const RopeTables& rope, const SharedPrefixLayout& layout);
  Attention self_attn{nullptr};
  Mlp mlp{nullptr};
  RMSNorm input_layernorm{nullptr}, post_attention_layernorm{nullptr};
};
TORCH_MODULE(DecoderLayer);

// The transformer body ("model." in HF names): embeddings, layers, final norm.
class DecoderImpl : public torch::nn::Module {
 public:
  DecoderImpl(const ModelConfig& config, const at::TensorOptions& options);
  Embedding embed_tokens{nullptr};
  torch::nn::ModuleList layers{nullptr};
  RMSNorm norm{nullptr};
};
TORCH_MODULE(Decoder);

class CausalLMImpl : public torch::nn::Module {
 public:
  // Allocates every parameter in `parameters` (dtype, device; default float32 on the CPU) without
  // setting its value: initialize_weights, copy_parameters_from or load_model gives the values.
  explicit CausalLMImpl(ModelConfig config, const at::TensorOptions& parameters = at::kFloat);

  const ModelConfig& config() const { return config_; }
  at::ScalarType dtype() const;
  at::Device device() const;

  // Full-sequence forward for training and scoring. input_ids [B, T] int64. attention_mask [B, T]
  // (nonzero = real token; undefined = all real); padding may sit anywhere, typically on the left.
  // positions [B, T] int64, or undefined to count real tokens (as generation does). With neither a
  // mask nor positions, attention is plain causal (fused kernels): right for batches padded only
  // on the right, whose padding outputs the caller ignores.
  // Returns the final normalised hidden states [B, T, hidden].
  at::Tensor hidden_states(const at::Tensor& input_ids, const at::Tensor& attention_mask = {},
                           const at::Tensor& positions = {});
  // The same for rows that continue shared prefixes (an RL group's samples of one prompt), each
  // prefix computed once: the final normalised hidden states of the suffix tokens [N, S, hidden].
  // Grad or not; ATen operations only (no fused kernels, no activation checkpointing).
  at::Tensor hidden_states_shared_prefix(const SharedPrefixBatch& batch);
  // Projects hidden states to vocabulary logits (in the model's dtype).
  at::Tensor logits(const at::Tensor& hidden);
  at::Tensor forward(const at::Tensor& input_ids, const at::Tensor& attention_mask = {},
                     const at::Tensor& positions = {}) {
    return logits(hidden_states(input_ids, attention_mask, positions));
  }

  // Incremental forward over a preallocated cache: appends input_ids [B, T] (new_mask [B, T] marks
  // real tokens; undefined = all real) and returns hidden states [B, T, hidden]. Inference only.
  at::Tensor hidden_states_cached(const at::Tensor& input_ids, KVCache& cache, const at::Tensor& new_mask = {});

  // One decoding step with static shapes and no host synchronisation, capturable as a CUDA graph:
  // tokens [B, 1] go to the cache's device slot (every row gets a real token), attention covers the
  // first `attend_slots` slots (which must include the new one; <= 0: the whole capacity) under the
  // validity mask, and the device slot and positions advance by one. The caller advances the host
  // count with cache.claim_slots(1). Returns hidden states [B, 1, hidden].
  at::Tensor decode_static(const at::Tensor& tokens, KVCache& cache, int64_t attend_slots = 0);

  // Stores the projections that read the same input (q/k/v, gate/up) of every layer as views
  // into one tensor per layer: the parameters keep their names, values and separate gradients,
  // and forwards without grad (sampling) run one matmul per group. No extra memory. Moving the
  // model (to()) gives parameters separate storage again; call this again after. Returns whether
  // anything was (re)stacked, i.e. whether parameter addresses changed.
  bool stack_projections();

  // Activation checkpointing for training: each decoder layer keeps only its input and recomputes
  // its activations during backward (about one more forward pass of compute for ~1/30 of the
  // activation memory). Only affects forwards with grad enabled and no KV cache.
  void set_activation_checkpointing(bool enabled) { activation_checkpointing_ = enabled; }
  bool activation_checkpointing() const { return activation_checkpointing_; }

  // Forwards without grad on a CUDA device, or in float32 on the CPU, run fused kernels
  // (model/fused_ops.h): residual add + RMSNorm across layer boundaries, the SiLU gate, and in
  // decode_static RoPE + cache write and grouped-query attention over only the filled slots. On by
  // default; off = the ATen path.
  void set_fused_kernels(bool enabled) { fused_kernels_ = enabled; }
  bool fused_kernels() const { return fused_kernels_; }

  // The unembedding matrix [vocab, hidden]: lm_head, or the input embeddings when tied.
  at::Tensor output_weight() const;

  // Deterministic initialisation for training from scratch: N(0, 0.02) matrices, zero biases, unit norms.
  void initialize_weights(uint64_t seed);
  // Copies every parameter value from a model of the same config ("policies are values").
  void copy_parameters_from(CausalLMImpl& other);

  Decoder model{nullptr};
  Linear lm_head{nullptr};  // null when embeddings are tied

 private:
  // RoPE tables for `positions` [B, T] in x's dtype, on x's device.
  RopeTables rope_for(const at::Tensor& positions, const at::Tensor& x);
  at::Tensor run_layers(at::Tensor x, const at::Tensor& positions, const at::Tensor& mask, const CacheAccess& access);
  at::Tensor run_layers_fused(at::Tensor residual, const RopeTables& rope, const at::Tensor& mask, const CacheAccess& access);
  ModelConfig config_;
  at::Tensor inverse_frequencies_;
  bool activation_checkpointing_ = false;
  bool fused_kernels_ = true;
};
TORCH_MODULE(CausalLM);

// A new model with the same config, device, dtype and parameter values: cloning a policy is a
// parameter copy, not a reload from disk. The copy shares no storage with `model`.
CausalLM copy_of(CausalLMImpl& model);

}  // namespace soar
