#include "model/config.h"

#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/json.h"
#include "core/read_file.h"

namespace soar {
namespace {

using nlohmann::json;

// Keys this file interprets; everything else in config.json is carried through in extra_json.
const char* const kKnownKeys[] = {
    "model_type", "architectures", "vocab_size", "hidden_size", "intermediate_size",
    "num_hidden_layers", "num_attention_heads", "num_key_value_heads", "head_dim",
    "max_position_embeddings", "rms_norm_eps", "rope_theta", "rope_scaling", "rope_parameters",
    "attention_bias", "mlp_bias", "tie_word_embeddings", "bos_token_id", "eos_token_id",
    "pad_token_id", "torch_dtype", "dtype", "hidden_act"};

struct Reader {
  const json& object;
  const std::string& source;

  const json* find(const char* key) const {
    auto it = object.find(key);
    return it == object.end() || it->is_null() ? nullptr : &*it;
  }
  int64_t integer(const char* key) const {
    const json* value = find(key);
    if (value == nullptr) fail(source, ": missing field '", key, "'");
    return integer_value(*value, key);
  }
  int64_t integer_or(const char* key, int64_t fallback) const {
    const json* value = find(key);
    return value == nullptr ? fallback : integer_value(*value, key);
  }
  int64_t integer_value(const json& value, const char* key) const {
    if (!value.is_number_integer()) fail(source, ": field '", key, "' must be an integer, found ", value.dump());
    return value.get<int64_t>();
  }
  double number_or(const char* key, double fallback) const {
    const json* value = find(key);
    if (value == nullptr) return fallback;
    if (!value->is_number()) fail(source, ": field '", key, "' must be a number, found ", value->dump());
    return value->get<double>();
  }
  bool boolean_or(const char* key, bool fallback) const {
    const json* value = find(key);
    if (value == nullptr) return fallback;
    if (!value->is_boolean()) fail(source, ": field '", key, "' must be true or false, found ", value->dump());
    return value->get<bool>();
  }
  std::string string_or(const char* key, const std::string& fallback) const {
    const json* value = find(key);
    if (value == nullptr) return fallback;
    if (!value->is_string()) fail(source, ": field '", key, "' must be a string, found ", value->dump());
    return value->get<std::string>();
  }
};

RopeConfig read_rope(const Reader& config) {
  RopeConfig rope;
  // transformers 5 keeps theta and scaling together in rope_parameters; 4.x used rope_theta plus
  // an optional rope_scaling object with "type" or "rope_type".
  const json* parameters = config.find("rope_parameters");
  const char* where = "rope_parameters";
  if (parameters == nullptr) {
    parameters = config.find("rope_scaling");
    where = "rope_scaling";
  }
  rope.theta = config.number_or("rope_theta", rope.theta);
  if (parameters == nullptr) return rope;
  if (!parameters->is_object()) fail(config.source, ": field '", where, "' must be an object");
  Reader scaling{*parameters, config.source};
  rope.theta = scaling.number_or("rope_theta", rope.theta);
  rope.type = scaling.string_or("rope_type", scaling.string_or("type", "default"));
  if (rope.type == "llama3") {
    rope.factor = scaling.number_or("factor", 8.0);
    rope.low_freq_factor = scaling.number_or("low_freq_factor", 1.0);
    rope.high_freq_factor = scaling.number_or("high_freq_factor", 4.0);
    rope.original_max_position_embeddings = scaling.integer_or("original_max_position_embeddings", 8192);
  } else if (rope.type != "default") {
    fail(config.source, ": field '", where, ".rope_type' = '", rope.type,
         "' is not supported (supported: default, llama3)");
  }
  return rope;
}

std::vector<int64_t> read_token_ids(const Reader& config, const char* key) {
  const json* value = config.find(key);
  if (value == nullptr) return {};
  if (value->is_number_integer()) return {value->get<int64_t>()};
  if (!value->is_array()) fail(config.source, ": field '", key, "' must be an integer or a list of integers");
  std::vector<int64_t> ids;
  for (const json& id : *value) ids.push_back(config.integer_value(id, key));
  return ids;
}

// The parameters of the model a config describes (CausalLMImpl's named_parameters), in N: double in
// validate(), to bound the count before int64 arithmetic (exact below the bound) computes it.
template <class N>
N count_parameters(const ModelConfig& c) {
  const N hidden = N(c.hidden_size), heads = N(c.num_attention_heads), kv_heads = N(c.num_key_value_heads),
          head_dim = N(c.head_dim), intermediate = N(c.intermediate_size);
  N q = heads * head_dim, kv = kv_heads * head_dim;
  N attention = hidden * q + 2 * hidden * kv + q * hidden;
  if (c.qkv_bias) attention += q + 2 * kv;
  if (c.o_proj_bias) attention += hidden;
  if (c.qk_norm) attention += 2 * head_dim;
  N mlp = 3 * hidden * intermediate + (c.mlp_bias ? 2 * intermediate + hidden : 0);
  N layer = attention + mlp + 2 * hidden;
  N embeddings = N(c.vocab_size) * hidden * (c.tie_word_embeddings ? 1 : 2);
  return N(c.num_hidden_layers) * layer + embeddings + hidden;
}

}  // namespace

ModelConfig ModelConfig::from_json_text(const std::string& text, const std::string& source) {
  json object = parse_json(text, source);
  if (!object.is_object()) fail(source, ": expected a JSON object at the top level");
  Reader config{object, source};

  ModelConfig c;
  std::string model_type = config.string_or("model_type", "");
  if (model_type == "llama") {
    c.family = ModelFamily::Llama;
  } else if (model_type == "qwen2") {
    c.family = ModelFamily::Qwen2;
  } else if (model_type == "qwen3") {
    c.family = ModelFamily::Qwen3;
  } else {
    fail(source, ": field 'model_type' = '", model_type, "' is not supported (supported: llama, qwen2, qwen3)");
  }
  std::string activation = config.string_or("hidden_act", "silu");
  if (activation != "silu") fail(source, ": field 'hidden_act' = '", activation, "' is not supported (only silu)");
  if (config.boolean_or("use_sliding_window", false)) {
    fail(source, ": field 'use_sliding_window' = true is not supported (full attention only)");
  }

  c.vocab_size = config.integer("vocab_size");
  c.hidden_size = config.integer("hidden_size");
  c.intermediate_size = config.integer("intermediate_size");
  c.num_hidden_layers = config.integer("num_hidden_layers");
  c.num_attention_heads = config.integer("num_attention_heads");
  c.num_key_value_heads = config.integer_or("num_key_value_heads", c.num_attention_heads);
  c.head_dim = c.num_attention_heads > 0 ? config.integer_or("head_dim", c.hidden_size / c.num_attention_heads) : 0;
  c.max_position_embeddings = config.integer_or("max_position_embeddings", c.max_position_embeddings);
  c.rms_norm_eps = config.number_or("rms_norm_eps", c.rms_norm_eps);
  c.rope = read_rope(config);
  bool attention_bias = config.boolean_or("attention_bias", false);
  c.qkv_bias = c.family == ModelFamily::Qwen2 ? true : attention_bias;
  c.o_proj_bias = c.family == ModelFamily::Qwen2 ? false : attention_bias;
  c.mlp_bias = config.boolean_or("mlp_bias", false);
  c.qk_norm = c.family == ModelFamily::Qwen3;
  c.tie_word_embeddings = config.boolean_or("tie_word_embeddings", false);
  if (const json* bos = config.find("bos_token_id")) c.bos_token_id = config.integer_value(*bos, "bos_token_id");
  if (const json* pad = config.find("pad_token_id")) c.pad_token_id = config.integer_value(*pad, "pad_token_id");
  c.eos_token_ids = read_token_ids(config, "eos_token_id");
  c.dtype = config.string_or("dtype", config.string_or("torch_dtype", "float32"));

  json extra = json::object();
  for (const auto& [key, value] : object.items()) {
    bool known = false;
    for (const char* k : kKnownKeys) known = known || key == k;
    if (!known) extra[key] = value;
  }
  c.extra_json = extra.dump();
  c.validate(source);
  return c;
}

ModelConfig ModelConfig::from_file(const std::filesystem::path& config_json) {
  return from_json_text(read_whole_file(config_json), config_json.string());
}

void ModelConfig::validate(const std::string& source) const {
  auto positive = [&](int64_t value, const char* field) {
    if (value <= 0) fail(source, ": field '", field, "' must be positive, found ", value);
  };
  positive(vocab_size, "vocab_size");
  positive(hidden_size, "hidden_size");
  positive(intermediate_size, "intermediate_size");
  positive(num_hidden_layers, "num_hidden_layers");
  positive(num_attention_heads, "num_attention_heads");
  positive(num_key_value_heads, "num_key_value_heads");
  positive(head_dim, "head_dim");
  positive(max_position_embeddings, "max_position_embeddings");
  if (head_dim % 2 != 0) fail(source, ": field 'head_dim' must be even for RoPE, found ", head_dim);
  if (num_attention_heads % num_key_value_heads != 0) {
    fail(source, ": num_attention_heads (", num_attention_heads, ") must be a multiple of num_key_value_heads (",
         num_key_value_heads, ")");
  }
  // Also keeps every size product below int64's range (no overflow anywhere downstream).
  if (double parameters = count_parameters<double>(*this); parameters > kMaxParameters) {
    fail(source, ": the sizes describe a model of ", parameters, " parameters (more than ", kMaxParameters, ")");
  }
  if (!(rms_norm_eps > 0)) fail(source, ": field 'rms_norm_eps' must be positive");
  if (!(rope.theta > 0)) fail(source, ": rope theta must be positive");
  if (rope.type == "llama3" && (rope.factor <= 0 || rope.low_freq_factor <= 0 ||
                                rope.high_freq_factor <= rope.low_freq_factor ||
                                rope.original_max_position_embeddings <= 0)) {
    fail(source, ": llama3 rope scaling needs factor > 0, 0 < low_freq_factor < high_freq_factor and "
                 "original_max_position_embeddings > 0");
  }
  if (dtype != "float32" && dtype != "bfloat16" && dtype != "float16") {
    fail(source, ": field 'dtype' = '", dtype, "' is not supported (float32, bfloat16, float16)");
  }
}

std::string ModelConfig::model_type() const {
  switch (family) {
    case ModelFamily::Llama: return "llama";
    case ModelFamily::Qwen2: return "qwen2";
    case ModelFamily::Qwen3: return "qwen3";
  }
  return "llama";
}

std::string ModelConfig::architecture() const {
  switch (family) {
    case ModelFamily::Llama: return "LlamaForCausalLM";
    case ModelFamily::Qwen2: return "Qwen2ForCausalLM";
    case ModelFamily::Qwen3: return "Qwen3ForCausalLM";
  }
  return "LlamaForCausalLM";
}

std::string ModelConfig::to_json_text() const {
  json out = json::parse(extra_json);
  out["model_type"] = model_type();
  out["architectures"] = {architecture()};
  out["vocab_size"] = vocab_size;
  out["hidden_size"] = hidden_size;
  out["intermediate_size"] = intermediate_size;
  out["num_hidden_layers"] = num_hidden_layers;
  out["num_attention_heads"] = num_attention_heads;
  out["num_key_value_heads"] = num_key_value_heads;
  out["head_dim"] = head_dim;
  out["max_position_embeddings"] = max_position_embeddings;
  out["rms_norm_eps"] = rms_norm_eps;
  out["hidden_act"] = "silu";
  json rope_parameters = {{"rope_type", rope.type}, {"rope_theta", rope.theta}};
  if (rope.type == "llama3") {
    rope_parameters["factor"] = rope.factor;
    rope_parameters["low_freq_factor"] = rope.low_freq_factor;
    rope_parameters["high_freq_factor"] = rope.high_freq_factor;
    rope_parameters["original_max_position_embeddings"] = rope.original_max_position_embeddings;
  }
  out["rope_parameters"] = rope_parameters;
  if (family != ModelFamily::Qwen2) out["attention_bias"] = qkv_bias;
  if (family == ModelFamily::Llama) out["mlp_bias"] = mlp_bias;
  out["tie_word_embeddings"] = tie_word_embeddings;
  out["bos_token_id"] = bos_token_id ? json(*bos_token_id) : json(nullptr);
  out["pad_token_id"] = pad_token_id ? json(*pad_token_id) : json(nullptr);
  if (eos_token_ids.size() == 1) {
    out["eos_token_id"] = eos_token_ids[0];
  } else if (eos_token_ids.empty()) {
    out["eos_token_id"] = nullptr;
  } else {
    out["eos_token_id"] = eos_token_ids;
  }
  out["dtype"] = dtype;
  return out.dump(2) + "\n";
}

void ModelConfig::save(const std::filesystem::path& config_json) const {
  write_text_atomically(config_json, to_json_text());
}

int64_t ModelConfig::parameter_count() const { return count_parameters<int64_t>(*this); }

}  // namespace soar
