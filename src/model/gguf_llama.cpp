#include "model/gguf_llama.h"

#include <c10/util/accumulate.h>

#include <charconv>
#include <set>

#include "core/device.h"
#include "core/error.h"
#include "model/gguf_dequantize.h"

namespace soar {
namespace {

struct Reader {
  const gguf::File& file;

  const gguf::Value& at(const std::string& key) const { return file.at(key); }
  int64_t integer(const std::string& key) const { return at(key).as_integer(file.where(key)); }
  std::optional<int64_t> optional_integer(const std::string& key) const {
    const gguf::Value* value = file.find(key);
    return value ? std::optional(value->as_integer(file.where(key))) : std::nullopt;
  }
  double number_or(const std::string& key, double fallback) const {
    const gguf::Value* value = file.find(key);
    return value ? value->as_number(file.where(key)) : fallback;
  }
};

// GGUF suffix after "blk.N." -> HF suffix after "model.layers.N.".
constexpr std::pair<std::string_view, std::string_view> kLayerTensors[] = {
    {"attn_norm.weight", "input_layernorm.weight"},    {"attn_q.weight", "self_attn.q_proj.weight"},
    {"attn_k.weight", "self_attn.k_proj.weight"},      {"attn_v.weight", "self_attn.v_proj.weight"},
    {"attn_output.weight", "self_attn.o_proj.weight"}, {"ffn_norm.weight", "post_attention_layernorm.weight"},
    {"ffn_gate.weight", "mlp.gate_proj.weight"},       {"ffn_up.weight", "mlp.up_proj.weight"},
    {"ffn_down.weight", "mlp.down_proj.weight"},
};

// Undoes llama.cpp's permute(w, heads): rows [head, 2, half] were stored as [head, half, 2].
at::Tensor unpermute_rows(const at::Tensor& w, int64_t heads) {
  const int64_t rows = w.size(0);
  return w.reshape({heads, rows / heads / 2, 2, -1}).transpose(1, 2).reshape(w.sizes()).contiguous();
}

}  // namespace

ModelConfig llama_config_from_gguf(const gguf::File& file) {
  const Reader gguf{file};
  const std::string& architecture = gguf.at("general.architecture").as_string(file.where("general.architecture"));
  if (architecture != "llama")
    fail(file.where("general.architecture"), ": architecture '", architecture, "' is not supported (llama only)");

  ModelConfig c;
  c.family = ModelFamily::Llama;
  c.num_hidden_layers = gguf.integer("llama.block_count");
  c.hidden_size = gguf.integer("llama.embedding_length");
  c.intermediate_size = gguf.integer("llama.feed_forward_length");
  c.num_attention_heads = gguf.integer("llama.attention.head_count");
  c.num_key_value_heads = gguf.optional_integer("llama.attention.head_count_kv").value_or(c.num_attention_heads);
  c.max_position_embeddings = gguf.integer("llama.context_length");
  c.rms_norm_eps =
      gguf.at("llama.attention.layer_norm_rms_epsilon").as_number(file.where("llama.attention.layer_norm_rms_epsilon"));
  c.rope.theta = gguf.number_or("llama.rope.freq_base", 10000.0);
  c.head_dim = c.num_attention_heads > 0 ? c.hidden_size / c.num_attention_heads : 0;
  if (auto key_length = gguf.optional_integer("llama.attention.key_length")) c.head_dim = *key_length;
  if (auto value_length = gguf.optional_integer("llama.attention.value_length");
      value_length && *value_length != c.head_dim)
    fail(file.where("llama.attention.value_length"), ": ", *value_length, " differs from the key length ", c.head_dim);
  if (auto rotary = gguf.optional_integer("llama.rope.dimension_count"); rotary && *rotary != c.head_dim)
    fail(file.where("llama.rope.dimension_count"), ": RoPE over ", *rotary, " of ", c.head_dim,
         " head dims is not supported (full rotary only)");
  if (const gguf::Value* scaling = file.find("llama.rope.scaling.type")) {
    const std::string& type = scaling->as_string(file.where("llama.rope.scaling.type"));
    if (type != "none") fail(file.where("llama.rope.scaling.type"), ": RoPE scaling '", type, "' is not supported");
  }

  const gguf::TensorInfo* embedding = file.find_tensor("token_embd.weight");
  if (auto vocab = gguf.optional_integer("llama.vocab_size")) {
    c.vocab_size = *vocab;
  } else if (const gguf::Value* tokens = file.find("tokenizer.ggml.tokens")) {
    c.vocab_size = int64_t(tokens->as_array(file.where("tokenizer.ggml.tokens")).size());
  } else if (embedding != nullptr && embedding->dims.size() == 2) {
    c.vocab_size = embedding->dims[1];
  }
  // llama.cpp ties the output to the embedding when the file has no output.weight.
  c.tie_word_embeddings = file.find_tensor("output.weight") == nullptr;
  if (auto bos = gguf.optional_integer("tokenizer.ggml.bos_token_id")) c.bos_token_id = *bos;
  if (auto eos = gguf.optional_integer("tokenizer.ggml.eos_token_id")) c.eos_token_ids = {*eos};
  if (auto pad = gguf.optional_integer("tokenizer.ggml.padding_token_id")) c.pad_token_id = *pad;
  c.dtype = "float32";  // what the tensors are dequantised to
  c.validate(file.path().string());
  return c;
}

std::optional<std::string> hf_tensor_name(std::string_view name) {
  if (name == "token_embd.weight") return "model.embed_tokens.weight";
  if (name == "output_norm.weight") return "model.norm.weight";
  if (name == "output.weight") return "lm_head.weight";
  if (!name.starts_with("blk.")) return std::nullopt;
  name.remove_prefix(4);
  if (name.empty() || name[0] < '0' || name[0] > '9') return std::nullopt;  // from_chars takes a sign
  int64_t layer = -1;
  const auto [end, error] = std::from_chars(name.data(), name.data() + name.size(), layer);
  // Digits only, no sign or leading zero: one spelling per layer.
  if (error != std::errc() || end == name.data() || *end != '.' || (name[0] == '0' && end - name.data() > 1))
    return std::nullopt;
  const std::string_view suffix = name.substr(end - name.data() + 1);
  for (const auto& [gguf_suffix, hf_suffix] : kLayerTensors)
    if (suffix == gguf_suffix) return cat("model.layers.", layer, ".", hf_suffix);
  return std::nullopt;
}

CausalLM load_gguf_model(const gguf::File& file, const LoadOptions& options) {
  const ModelConfig config = llama_config_from_gguf(file);
  const std::string where = file.path().string();
  // Before anything is allocated: metadata describing more parameters than the file stores values
  // does not belong to these tensors.
  int64_t stored = 0;
  for (const auto& tensor : file.tensors()) stored += tensor.elements();
  if (stored < config.parameter_count())
    fail(where, ": the file stores ", stored, " values, fewer than the ", config.parameter_count(),
         " parameters its metadata describes");
  const at::ScalarType dtype = options.resolved_dtype();
  check_model_fits(config, dtype, options.device, available_memory_bytes(options.device));

  CausalLM model(config, at::TensorOptions().dtype(dtype).device(options.device));
  auto parameters = model->named_parameters();
  std::set<std::string> filled;
  at::NoGradGuard no_grad;
  for (const gguf::TensorInfo& tensor : file.tensors()) {
    const std::optional<std::string> name = hf_tensor_name(tensor.name);
    at::Tensor* parameter = name ? parameters.find(*name) : nullptr;
    if (parameter == nullptr)
      fail(where, ": tensor '", tensor.name, "' is not part of a llama model",
           name ? cat(" with this metadata (no parameter ", *name, ")") : std::string());
    if (!parameter->sizes().equals(tensor.shape()))
      fail(where, ": tensor '", tensor.name, "' has shape ", c10::IntArrayRef(tensor.shape()), ", the metadata needs ",
           parameter->sizes());
    at::Tensor values = at::empty(tensor.shape(), at::kFloat);
    gguf::dequantize(tensor, {values.data_ptr<float>(), size_t(values.numel())}, where);
    if (tensor.name.ends_with(".attn_q.weight")) values = unpermute_rows(values, config.num_attention_heads);
    if (tensor.name.ends_with(".attn_k.weight")) values = unpermute_rows(values, config.num_key_value_heads);
    if (!at::isfinite(values).all().item<bool>())
      fail(where, ": tensor '", tensor.name, "' holds NaN or infinite values");
    parameter->copy_(values);
    filled.insert(*name);
  }
  for (const auto& item : parameters)
    if (!filled.contains(item.key())) fail(where, ": no tensor for parameter ", item.key(), " of a llama model");
  return model;
}

}  // namespace soar
