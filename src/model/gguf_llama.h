// A GGUF file of architecture "llama" (llama.cpp's converter output for Llama-family models, e.g.
// SmolLM2) as a soar model: its metadata as a ModelConfig, its tensors under Hugging Face's names,
// dequantised to float32 (gguf_dequantize.h). llama.cpp's converter permutes the rows of the Q and
// K projections for its rotary layout (convert_hf_to_gguf.py, LlamaModel.permute); reading undoes
// it, as transformers' GGUF loader does, so the weights are the Hugging Face model's.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "model/causal_lm.h"
#include "model/checkpoint.h"
#include "model/gguf.h"

namespace soar {

// Throws soar::Error naming the file and the key for a missing or malformed key, another
// architecture, or a feature soar does not run (partial rotary, RoPE scaling).
ModelConfig llama_config_from_gguf(const gguf::File& file);

// "blk.3.attn_q.weight" -> "model.layers.3.self_attn.q_proj.weight"; nullopt for a name that has
// no counterpart in a Llama model.
std::optional<std::string> hf_tensor_name(std::string_view gguf_name);

// Every tensor of the file into a model of llama_config_from_gguf(file), allocated as `options`
// says. Throws soar::Error naming the file and the tensor for a missing, unexpected or misshaped
// tensor, a type soar does not dequantise, or NaN/infinite values.
CausalLM load_gguf_model(const gguf::File& file, const LoadOptions& options = {});

}  // namespace soar
