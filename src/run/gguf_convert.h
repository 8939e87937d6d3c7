// `soar convert --gguf`: a GGUF file (llama architecture, gpt2 tokenizer) as a Hugging Face model
// directory that soar and transformers both load: config.json, model.safetensors,
// generation_config.json, tokenizer.json and tokenizer_config.json (with the chat template).
#pragma once

#include <ATen/ATen.h>

#include <filesystem>

namespace soar {

// Writes the directory `out` (created if missing; every file written atomically). The weights are
// the file's tensors dequantised to float32, saved as `dtype` (float32, bfloat16 or float16).
// Throws soar::Error naming the file and the field for anything soar cannot read or run.
void convert_gguf(const std::filesystem::path& gguf_file, const std::filesystem::path& out, at::ScalarType dtype);

}  // namespace soar
