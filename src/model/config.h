// The model's shape as Hugging Face's config.json describes it, for the Llama family: Llama 3.x,
// Qwen2/2.5 and Qwen3. Both the transformers-4 layout (rope_theta + rope_scaling, torch_dtype) and
// the transformers-5 layout (rope_parameters, dtype) are read; unknown keys are kept so that a
// config saved back is the user's config with only our changes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace soar {

enum class ModelFamily { Llama, Qwen2, Qwen3 };

// Far beyond any model this program can hold; a config past it is a mistake (or a fuzzer).
inline constexpr double kMaxParameters = 1e15;

struct RopeConfig {
  double theta = 10000.0;
  std::string type = "default";  // "default" or "llama3"
  // llama3 frequency scaling (used when type == "llama3")
  double factor = 1.0;
  double low_freq_factor = 1.0;
  double high_freq_factor = 4.0;
  int64_t original_max_position_embeddings = 8192;
};

struct ModelConfig {
  ModelFamily family = ModelFamily::Llama;
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int64_t num_hidden_layers = 0;
  int64_t num_attention_heads = 0;
  int64_t num_key_value_heads = 0;
  int64_t head_dim = 0;
  int64_t max_position_embeddings = 2048;
  double rms_norm_eps = 1e-6;
  RopeConfig rope;
  bool qkv_bias = false;       // Qwen2: always; Llama/Qwen3: attention_bias
  bool o_proj_bias = false;    // Llama/Qwen3: attention_bias; Qwen2: never
  bool mlp_bias = false;
  bool qk_norm = false;        // Qwen3: RMSNorm over head_dim on q and k before RoPE
  bool tie_word_embeddings = false;
  std::optional<int64_t> bos_token_id;
  std::vector<int64_t> eos_token_ids;
  std::optional<int64_t> pad_token_id;
  std::string dtype = "float32";   // the checkpoint's dtype as config.json states it
  std::string extra_json = "{}";   // keys we do not interpret, written back unchanged

  // Throws soar::Error naming `source` and the field for malformed or unsupported configs.
  static ModelConfig from_json_text(const std::string& text, const std::string& source);
  static ModelConfig from_file(const std::filesystem::path& config_json);
  // transformers-5 layout, loadable by transformers unchanged.
  std::string to_json_text() const;
  void save(const std::filesystem::path& config_json) const;

  std::string model_type() const;      // "llama", "qwen2", "qwen3"
  std::string architecture() const;    // "LlamaForCausalLM", ...
  int64_t parameter_count() const;  // of the model CausalLM builds from this config
  void validate(const std::string& source) const;
};

}  // namespace soar
