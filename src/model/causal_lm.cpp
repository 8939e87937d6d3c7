#include "model/causal_lm.h"

#include <ATen/core/Generator.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/autograd.h>

#include <limits>

#include "core/error.h"
#include "model/attention_ops.h"
#include "model/fused_ops.h"

namespace soar {
namespace {

// Makes the parameters `parts` (same dtype and device, same trailing shape) views into one new
// tensor stacked along dim 0, keeping their values, and returns it. set_data keeps each
// parameter's identity (optimizer state, autograd leaf): only where its values live changes.
at::Tensor stack_storage(const std::vector<at::Tensor>& parts) {
  at::NoGradGuard no_grad;
  c10::InferenceMode normal_tensors(false);  // parameters must stay usable for training
  std::vector<at::Tensor> values;
  for (const at::Tensor& p : parts) values.push_back(p.detach());
  at::Tensor stacked = at::cat(values, 0);
  int64_t row = 0;
  for (at::Tensor part : parts) {
    const int64_t rows = part.size(0);
    part.set_data(stacked.narrow(0, row, rows));
    row += rows;
  }
  return stacked;
}

// Whether `parts` are still consecutive views of `stacked`, as stack_storage left them.
bool is_stacked(const at::Tensor& stacked, const std::vector<at::Tensor>& parts) {
  if (!stacked.defined()) return false;
  const char* next = static_cast<const char*>(stacked.data_ptr());
  for (const at::Tensor& p : parts) {
    if (p.data_ptr() != next || p.scalar_type() != stacked.scalar_type()) return false;
    next += p.nbytes();
  }
  return true;
}

// (Re)stacks weights and, when present, biases; true when anything changed.
bool restack(at::Tensor& weight, at::Tensor& bias, const std::vector<Linear>& linears) {
  std::vector<at::Tensor> weights, biases;
  for (const auto& linear : linears) {
    weights.push_back(linear->weight);
    if (linear->bias.defined()) biases.push_back(linear->bias);
  }
  if (!biases.empty() && biases.size() != linears.size()) return false;  // mixed: leave them separate
  const bool with_bias = !biases.empty();
  if (is_stacked(weight, weights) && (!with_bias || is_stacked(bias, biases))) return false;
  weight = stack_storage(weights);
  bias = with_bias ? stack_storage(biases) : at::Tensor();
  return true;
}

// Position ids that count real tokens, so left padding does not shift positions.
at::Tensor positions_from_mask(const at::Tensor& mask) {
  return (mask.to(at::kLong).cumsum(1) - 1).clamp_min(0);
}

// A decoder layer whose activations are recomputed in backward (PyTorch's reentrant checkpoint):
// forward runs without grad and keeps only the layer's input; backward reruns the layer with grad
// and backpropagates through it, which accumulates the layer's parameter gradients directly.
// The layers are deterministic (no dropout), so the recomputation reproduces the forward.
struct CheckpointedLayer : torch::autograd::Function<CheckpointedLayer> {
  // Everything but the layer's input travels outside autograd's tensor arguments (the mask may be
  // undefined, which custom functions do not accept as a tensor input; none of it needs a gradient).
  struct Context {
    DecoderLayerImpl* layer;
    RopeTables rope;
    at::Tensor mask;
    int64_t index;
  };

  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& x, const Context& context) {
    ctx->save_for_backward({x});
    ctx->saved_data["layer"] = reinterpret_cast<int64_t>(context.layer);
    ctx->saved_data["index"] = context.index;
    ctx->saved_data["cos"] = context.rope.cos;
    ctx->saved_data["signed_sin"] = context.rope.signed_sin;
    ctx->saved_data["mask"] = context.mask;
    return context.layer->forward(x, context.rope, context.mask, {}, context.index);
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad_outputs) {
    auto* layer = reinterpret_cast<DecoderLayerImpl*>(ctx->saved_data["layer"].toInt());
    at::Tensor x = ctx->get_saved_variables()[0].detach().requires_grad_(true);
    at::Tensor mask = ctx->saved_data["mask"].toOptional<at::Tensor>().value_or(at::Tensor());
    at::Tensor out;
    {
      at::AutoGradMode grad(true);
      out = layer->forward(x, {ctx->saved_data["cos"].toTensor(), ctx->saved_data["signed_sin"].toTensor()}, mask, {},
                           ctx->saved_data["index"].toInt());
    }
    torch::autograd::backward({out}, {grad_outputs[0]});
    return {x.grad(), at::Tensor()};
  }
};

}  // namespace

AttentionImpl::AttentionImpl(const ModelConfig& c, const at::TensorOptions& options)
    : heads_(c.num_attention_heads), kv_heads_(c.num_key_value_heads), head_dim_(c.head_dim) {
  q_proj = register_module("q_proj", Linear(c.hidden_size, heads_ * head_dim_, c.qkv_bias, options));
  k_proj = register_module("k_proj", Linear(c.hidden_size, kv_heads_ * head_dim_, c.qkv_bias, options));
  v_proj = register_module("v_proj", Linear(c.hidden_size, kv_heads_ * head_dim_, c.qkv_bias, options));
  o_proj = register_module("o_proj", Linear(heads_ * head_dim_, c.hidden_size, c.o_proj_bias, options));
  if (c.qk_norm) {
    q_norm = register_module("q_norm", RMSNorm(head_dim_, c.rms_norm_eps, options));
    k_norm = register_module("k_norm", RMSNorm(head_dim_, c.rms_norm_eps, options));
  }
}

bool AttentionImpl::stack_projections() { return restack(qkv_weight_, qkv_bias_, {q_proj, k_proj, v_proj}); }

std::tuple<at::Tensor, at::Tensor, at::Tensor> AttentionImpl::project_and_rotate(const at::Tensor& x, const RopeTables& rope) {
  const int64_t batch = x.size(0), length = x.size(1);
  at::Tensor q, k, v;
  bool rotated = false;  // q, k already [B, heads, T, D] with RoPE applied
  if (!at::GradMode::is_enabled() && is_stacked(qkv_weight_, {q_proj->weight, k_proj->weight, v_proj->weight})) {
    // One matmul over the stacked weights (the biases are stacked with them or absent).
    at::Tensor qkv = soar::linear(x, qkv_weight_, qkv_bias_);
    v = qkv.narrow(-1, (heads_ + kv_heads_) * head_dim_, kv_heads_ * head_dim_).view({batch, length, kv_heads_, head_dim_});
    if (!q_norm) {
      // q and k are adjacent: one rotation over both head groups.
      at::Tensor qk = qkv.narrow(-1, 0, (heads_ + kv_heads_) * head_dim_).view({batch, length, heads_ + kv_heads_, head_dim_});
      qk = apply_rope(qk.transpose(1, 2), rope);
      q = qk.narrow(1, 0, heads_);
      k = qk.narrow(1, heads_, kv_heads_);
      rotated = true;
    } else {
      q = qkv.narrow(-1, 0, heads_ * head_dim_).view({batch, length, heads_, head_dim_});
      k = qkv.narrow(-1, heads_ * head_dim_, kv_heads_ * head_dim_).view({batch, length, kv_heads_, head_dim_});
    }
  } else {
    q = q_proj->forward(x).view({batch, length, heads_, head_dim_});
    k = k_proj->forward(x).view({batch, length, kv_heads_, head_dim_});
    v = v_proj->forward(x).view({batch, length, kv_heads_, head_dim_});
  }
  if (!rotated) {  // [B, T, heads, D] -> [B, heads, T, D], q/k norms first (Qwen3)
    if (q_norm) {
      q = q_norm->forward(q);
      k = k_norm->forward(k);
    }
    q = apply_rope(q.transpose(1, 2), rope);
    k = apply_rope(k.transpose(1, 2), rope);
  }
  return {q, k, v.transpose(1, 2)};
}

at::Tensor AttentionImpl::forward(const at::Tensor& x, const RopeTables& rope, const at::Tensor& mask,
                                  const CacheAccess& access, int64_t layer, bool fused) {
  const int64_t batch = x.size(0), length = x.size(1);
  const bool stacked = is_stacked(qkv_weight_, {q_proj->weight, k_proj->weight, v_proj->weight});
  // With a cache, the fused path runs one matmul, then RoPE on q and k + the cache write of k and v
  // as one kernel (q comes back [B, heads, T, D]); a decoding step (device slot) then also runs
  // the attention kernel (over the filled slots only, each kv head's keys read once for its whole
  // query group).
  const bool fused_cache_write = fused && access.cache != nullptr && !q_norm && stacked;
  const bool fused_decode = fused_cache_write && length == 1 && access.slot_index.defined() &&
                            fused::decode_attention_supports(head_dim_, x.device());
  at::Tensor q, k, v;
  if (fused_decode || (fused_cache_write && !access.slot_index.defined())) {
    KVCache& cache = *access.cache;
    at::Tensor qkv = soar::linear(x, qkv_weight_, qkv_bias_);
    q = fused::rope_cache_write(qkv, rope, cache.keys(layer), cache.values(layer), access.slot_index, access.slot, heads_, kv_heads_);
    if (fused_decode) {
      at::Tensor out = fused::decode_attention(q.view({batch, heads_, head_dim_}), cache.keys(layer), cache.values(layer),
                                               cache.valid(), access.slot_index, access.attend_slots);
      return o_proj->forward(out.view({batch, 1, heads_ * head_dim_}));
    }
    k = cache.keys(layer).narrow(2, 0, access.slot + length);
    v = cache.values(layer).narrow(2, 0, access.slot + length);
  } else {
    std::tie(q, k, v) = project_and_rotate(x, rope);
    if (KVCache* cache = access.cache) {
      if (access.slot_index.defined()) {
        cache->keys(layer).index_copy_(2, access.slot_index, k);
        cache->values(layer).index_copy_(2, access.slot_index, v);
        k = cache->keys(layer).narrow(2, 0, access.attend_slots);
        v = cache->values(layer).narrow(2, 0, access.attend_slots);
      } else {
        cache->keys(layer).narrow(2, access.slot, length).copy_(k);
        cache->values(layer).narrow(2, access.slot, length).copy_(v);
        k = cache->keys(layer).narrow(2, 0, access.slot + length);
        v = cache->values(layer).narrow(2, 0, access.slot + length);
      }
    }
  }
  const int64_t repeats = heads_ / kv_heads_;
  at::Tensor out;
  if (!mask.defined()) {
    out = causal_attention(q, k, v);  // every token real, no cache: the fused (flash) kernels
  } else if (length == 1 && repeats > 1) {
    // One query per row: the `repeats` query heads sharing a kv head attend as a group of queries
    // to that head's keys, so the cache is never copied to repeat it (the mask broadcasts).
    at::Tensor grouped = q.reshape({batch, kv_heads_, repeats, head_dim_});
    out = at::scaled_dot_product_attention(grouped, k, v, mask).reshape({batch, heads_, 1, head_dim_});
  } else {
    out = at::scaled_dot_product_attention(q, repeat_kv(k, repeats), repeat_kv(v, repeats), mask);
  }
  return o_proj->forward(out.transpose(1, 2).reshape({batch, length, heads_ * head_dim_}));
}

at::Tensor AttentionImpl::forward_shared_prefix(const at::Tensor& x, const RopeTables& rope, const SharedPrefixLayout& layout) {
  auto [q, k, v] = project_and_rotate(x, rope);
  return o_proj->forward(shared_prefix_attention(q, k, v, layout));
}

MlpImpl::MlpImpl(const ModelConfig& c, const at::TensorOptions& options) {
  gate_proj = register_module("gate_proj", Linear(c.hidden_size, c.intermediate_size, c.mlp_bias, options));
  up_proj = register_module("up_proj", Linear(c.hidden_size, c.intermediate_size, c.mlp_bias, options));
  down_proj = register_module("down_proj", Linear(c.intermediate_size, c.hidden_size, c.mlp_bias, options));
}

bool MlpImpl::stack_projections() { return restack(gate_up_weight_, gate_up_bias_, {gate_proj, up_proj}); }

at::Tensor MlpImpl::forward(const at::Tensor& x, bool fused) {
  if (!at::GradMode::is_enabled() && is_stacked(gate_up_weight_, {gate_proj->weight, up_proj->weight})) {
    at::Tensor gate_up = soar::linear(x, gate_up_weight_, gate_up_bias_);
    if (fused) return down_proj->forward(fused::silu_mul(gate_up));
    const int64_t size = gate_up.size(-1) / 2;
    return down_proj->forward(at::silu(gate_up.narrow(-1, 0, size)) * gate_up.narrow(-1, size, size));
  }
  return down_proj->forward(at::silu(gate_proj->forward(x)) * up_proj->forward(x));
}

DecoderLayerImpl::DecoderLayerImpl(const ModelConfig& c, const at::TensorOptions& options) {
  self_attn = register_module("self_attn", Attention(c, options));
  mlp = register_module("mlp", Mlp(c, options));
  input_layernorm = register_module("input_layernorm", RMSNorm(c.hidden_size, c.rms_norm_eps, options));
  post_attention_layernorm = register_module("post_attention_layernorm", RMSNorm(c.hidden_size, c.rms_norm_eps, options));
}

at::Tensor DecoderLayerImpl::forward(const at::Tensor& x, const RopeTables& rope, const at::Tensor& mask,
                                     const CacheAccess& access, int64_t layer) {
  at::Tensor h = x + self_attn->forward(input_layernorm->forward(x), rope, mask, access, layer);
  return h + mlp->forward(post_attention_layernorm->forward(h));
}

at::Tensor DecoderLayerImpl::forward_shared_prefix(const at::Tensor& x, const RopeTables& rope,
                                                   const SharedPrefixLayout& layout) {
  at::Tensor h = x + self_attn->forward_shared_prefix(input_layernorm->forward(x), rope, layout);
  return h + mlp->forward(post_attention_layernorm->forward(h));
}

DecoderImpl::DecoderImpl(const ModelConfig& c, const at::TensorOptions& options) {
  embed_tokens = register_module("embed_tokens", Embedding(c.vocab_size, c.hidden_size, options));
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) layers->push_back(DecoderLayer(c, options));
  norm = register_module("norm", RMSNorm(c.hidden_size, c.rms_norm_eps, options));
}

CausalLMImpl::CausalLMImpl(ModelConfig config, const at::TensorOptions& parameters) : config_(std::move(config)) {
  config_.validate("model config");
  model = register_module("model", Decoder(config_, parameters));
  if (!config_.tie_word_embeddings) {
    lm_head = register_module("lm_head", Linear(config_.hidden_size, config_.vocab_size, false, parameters));
  }
  inverse_frequencies_ = rope_inverse_frequencies(config_);
}

bool CausalLMImpl::stack_projections() {
  bool changed = false;
  for (int64_t i = 0; i < config_.num_hidden_layers; ++i) {
    auto* layer = model->layers->ptr<DecoderLayerImpl>(i).get();
    changed = layer->self_attn->stack_projections() || changed;
    changed = layer->mlp->stack_projections() || changed;
  }
  return changed;
}

at::ScalarType CausalLMImpl::dtype() const { return model->embed_tokens->weight.scalar_type(); }
at::Device CausalLMImpl::device() const { return model->embed_tokens->weight.device(); }

at::Tensor CausalLMImpl::output_weight() const {
  return lm_head ? lm_head->weight : model->embed_tokens->weight;
}

at::Tensor CausalLMImpl::logits(const at::Tensor& hidden) {
  return soar::linear(hidden, output_weight());
}

RopeTables CausalLMImpl::rope_for(const at::Tensor& positions, const at::Tensor& x) {
  // Kept in float32 on the activations' device (moved once, before any CUDA graph capture).
  if (inverse_frequencies_.device() != x.device()) inverse_frequencies_ = inverse_frequencies_.to(x.device());
  return rope_tables(inverse_frequencies_, positions, x.scalar_type());
}

at::Tensor CausalLMImpl::run_layers(at::Tensor x, const at::Tensor& positions, const at::Tensor& mask,
                                    const CacheAccess& access) {
  RopeTables rope = rope_for(positions, x);
  // The additive form (0 / -inf) SDPA would otherwise build from a bool mask in every layer.
  at::Tensor attention_bias = mask;
  if (mask.defined() && mask.scalar_type() == at::kBool) {
    attention_bias = at::zeros(mask.sizes(), x.options()).masked_fill_(mask.logical_not(), -std::numeric_limits<double>::infinity());
  }
  if (fused_kernels_ && !at::GradMode::is_enabled() && fused::available(x)) return run_layers_fused(x, rope, attention_bias, access);
  const bool checkpoint = activation_checkpointing_ && at::GradMode::is_enabled() && access.cache == nullptr;
  for (int64_t i = 0; i < config_.num_hidden_layers; ++i) {
    DecoderLayerImpl* layer = model->layers->ptr<DecoderLayerImpl>(i).get();
    x = checkpoint ? CheckpointedLayer::apply(x, CheckpointedLayer::Context{layer, rope, attention_bias, i})
                   : layer->forward(x, rope, attention_bias, access, i);
  }
  return model->norm->forward(x);
}

at::Tensor CausalLMImpl::run_layers_fused(at::Tensor residual, const RopeTables& rope, const at::Tensor& mask,
                                          const CacheAccess& access) {
  // The residual stream is updated in place; each layer's two "add the block's output, normalise
  // for the next block" pairs are one kernel, the second one reaching into the next layer's input
  // norm (or the final norm). Same arithmetic as DecoderLayerImpl::forward, fewer launches.
  residual = residual.contiguous();
  const int64_t layers = config_.num_hidden_layers;
  auto layer_at = [&](int64_t i) { return model->layers->ptr<DecoderLayerImpl>(i).get(); };
  RMSNormImpl& first_norm = *layer_at(0)->input_layernorm;
  at::Tensor normed = fused::add_rms_norm(residual, {}, first_norm.weight, first_norm.eps());
  for (int64_t i = 0; i < layers; ++i) {
    DecoderLayerImpl* layer = layer_at(i);
    at::Tensor attended = layer->self_attn->forward(normed, rope, mask, access, i, /*fused=*/true);
    normed = fused::add_rms_norm(residual, attended.contiguous(), layer->post_attention_layernorm->weight,
                                 layer->post_attention_layernorm->eps());
    at::Tensor mlp_out = layer->mlp->forward(normed, /*fused=*/true);
    RMSNormImpl& next_norm = i + 1 < layers ? *layer_at(i + 1)->input_layernorm : *model->norm;
    normed = fused::add_rms_norm(residual, mlp_out.contiguous(), next_norm.weight, next_norm.eps());
  }
  return normed;
}

at::Tensor CausalLMImpl::hidden_states(const at::Tensor& input_ids, const at::Tensor& attention_mask,
                                       const at::Tensor& positions) {
  if (input_ids.dim() != 2) fail("input_ids must be [batch, length], got ", input_ids.dim(), " dimensions");
  const int64_t batch = input_ids.size(0), length = input_ids.size(1);
  const auto device = input_ids.device();
  if (!attention_mask.defined() && !positions.defined()) {
    // All tokens real (or padding only on the right, whose outputs the caller ignores): no mask
    // tensor, so attention runs as plain causal attention in the fused kernels.
    at::Tensor pos = at::arange(length, at::TensorOptions().dtype(at::kLong).device(device)).unsqueeze(0).expand({batch, length});
    return run_layers(model->embed_tokens->forward(input_ids), pos, {}, {});
  }
  at::Tensor valid = attention_mask.defined() ? attention_mask.to(at::kBool)
                                              : at::ones({batch, length}, at::TensorOptions().dtype(at::kBool).device(device));
  at::Tensor pos = positions.defined() ? positions : positions_from_mask(valid);
  // Query i may see key j <= i that is a real token; every query also sees itself so that rows of
  // padding stay finite (their outputs are ignored).
  at::Tensor causal = at::ones({length, length}, at::TensorOptions().dtype(at::kBool).device(device)).tril();
  at::Tensor diagonal = at::eye(length, at::TensorOptions().dtype(at::kBool).device(device));
  at::Tensor mask = (causal.unsqueeze(0) & valid.unsqueeze(1)) | diagonal.unsqueeze(0);
  return run_layers(model->embed_tokens->forward(input_ids), pos, mask.unsqueeze(1), {});
}

at::Tensor CausalLMImpl::hidden_states_shared_prefix(const SharedPrefixBatch& batch) {
  SharedPrefixInput input = flatten_shared_prefix(batch, dtype());
  const SharedPrefixLayout& layout = input.layout;
  at::Tensor x = model->embed_tokens->forward(input.tokens);
  RopeTables rope = rope_for(input.positions, x);
  for (int64_t i = 0; i < config_.num_hidden_layers; ++i) {
    x = model->layers->ptr<DecoderLayerImpl>(i)->forward_shared_prefix(x, rope, layout);
  }
  const int64_t prefix_tokens = layout.prefixes * layout.prefix_length;
  return model->norm->forward(x.narrow(1, prefix_tokens, layout.rows * layout.suffix_length))
      .view({layout.rows, layout.suffix_length, config_.hidden_size});
}

at::Tensor CausalLMImpl::hidden_states_cached(const at::Tensor& input_ids, KVCache& cache, const at::Tensor& new_mask) {
  if (input_ids.dim() != 2 || input_ids.size(0) != cache.batch_size()) {
    fail("input_ids must be [", cache.batch_size(), ", length] to match the KV cache");
  }
  const int64_t length = input_ids.size(1);
  const auto device = input_ids.device();
  at::Tensor valid_new = new_mask.defined() ? new_mask.to(at::kBool)
                                            : at::ones({cache.batch_size(), length}, at::TensorOptions().dtype(at::kBool).device(device));
  const int64_t slot = cache.claim_slots(length);
  at::Tensor positions = cache.next_position().unsqueeze(1) + positions_from_mask(valid_new);
  cache.next_position() += valid_new.to(at::kLong).sum(1);
  cache.valid().narrow(1, slot, length).copy_(valid_new);

  const int64_t total = slot + length;
  at::Tensor key_index = at::arange(total, at::TensorOptions().dtype(at::kLong).device(device));
  at::Tensor query_index = at::arange(slot, total, at::TensorOptions().dtype(at::kLong).device(device));
  at::Tensor causal = key_index.unsqueeze(0) <= query_index.unsqueeze(1);    // [T, S]
  at::Tensor self = key_index.unsqueeze(0) == query_index.unsqueeze(1);
  at::Tensor keys_valid = cache.valid().narrow(1, 0, total).unsqueeze(1);    // [B, 1, S]
  at::Tensor mask = (causal.unsqueeze(0) & keys_valid) | self.unsqueeze(0);  // [B, T, S]
  return run_layers(model->embed_tokens->forward(input_ids), positions, mask.unsqueeze(1), {&cache, slot, {}});
}

at::Tensor CausalLMImpl::decode_static(const at::Tensor& tokens, KVCache& cache, int64_t attend_slots) {
  if (attend_slots <= 0 || attend_slots > cache.capacity()) attend_slots = cache.capacity();
  at::Tensor slot = cache.slot_tensor();
  cache.valid().index_fill_(1, slot, true);
  at::Tensor positions = cache.next_position().unsqueeze(1).clone();
  at::Tensor mask = cache.valid().narrow(1, 0, attend_slots).unsqueeze(1).unsqueeze(1);  // [B, 1, 1, S]
  CacheAccess access{&cache, 0, slot, attend_slots};
  at::Tensor hidden = run_layers(model->embed_tokens->forward(tokens), positions, mask, access);
  cache.next_position().add_(1);
  slot.add_(1);
  return hidden;
}

void CausalLMImpl::initialize_weights(uint64_t seed) {
  at::NoGradGuard no_grad;
  auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  for (auto& item : named_parameters()) {
    const std::string& name = item.key();
    at::Tensor& p = item.value();
    at::Tensor init;
    if (name.ends_with("norm.weight")) {
      init = at::ones(p.sizes(), at::kFloat);
    } else if (name.ends_with(".bias")) {
      init = at::zeros(p.sizes(), at::kFloat);
    } else {
      init = at::empty(p.sizes(), at::kFloat).normal_(0.0, 0.02, generator);
    }
    p.copy_(init);
  }
}

void CausalLMImpl::copy_parameters_from(CausalLMImpl& other) {
  at::NoGradGuard no_grad;
  auto mine = named_parameters();
  auto theirs = other.named_parameters();
  if (mine.size() != theirs.size()) fail("cannot copy parameters between models of different shapes");
  for (auto& item : mine) {
    const at::Tensor* source = theirs.find(item.key());
    if (source == nullptr || !source->sizes().equals(item.value().sizes())) {
      fail("cannot copy parameter ", item.key(), ": the models differ");
    }
    item.value().copy_(*source);
  }
}

CausalLM copy_of(CausalLMImpl& model) {
  CausalLM copy(model.config(), at::TensorOptions().dtype(model.dtype()).device(model.device()));
  copy->copy_parameters_from(model);
  return copy;
}

}  // namespace soar
