// Llama 3.2 configurations the benchmarks use (random init: no downloaded checkpoint needed).
#pragma once

#include "model/config.h"

namespace soar::bench {

inline ModelConfig llama_3_2_3b() {
  ModelConfig c;
  c.vocab_size = 128256, c.hidden_size = 3072, c.intermediate_size = 8192, c.num_hidden_layers = 28;
  c.num_attention_heads = 24, c.num_key_value_heads = 8, c.head_dim = 128, c.max_position_embeddings = 131072;
  c.rms_norm_eps = 1e-5, c.tie_word_embeddings = true;
  c.rope = {500000.0, "llama3", 32.0, 1.0, 4.0, 8192};
  return c;
}

inline ModelConfig llama_3_2_1b() {
  ModelConfig c = llama_3_2_3b();
  c.hidden_size = 2048, c.num_hidden_layers = 16, c.num_attention_heads = 32, c.head_dim = 64;
  return c;
}

}  // namespace soar::bench
