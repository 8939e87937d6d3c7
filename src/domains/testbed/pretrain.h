// Pretraining the testbed's base model from scratch: next-token loss on packed corpus rows,
// AdamW with linear warm-up and cosine decay, gradient clipping. Deterministic from the seed (for
// a given thread count: MKL's reductions depend on it), with periodic atomic checkpoints and exact
// resume. A finished run whose recorded config equals the requested one is reused, not redone.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "model/causal_lm.h"
#include "model/config.h"
#include "domains/testbed/corpus.h"

namespace soar::testbed {

struct PretrainConfig {
  CorpusConfig corpus;
  // Model: a Llama-family decoder; every number is a config.json field.
  int64_t hidden_size = 128;
  int64_t num_layers = 4;
  int64_t num_heads = 4;
  int64_t intermediate_size = 384;
  int64_t max_positions = 512;
  // Optimisation.
  int64_t steps = 800;
  // 32 x 256 = 8,192 tokens per step. Rows of 256 hold a whole 4-problem teacher set (<= 196 tokens).
  int64_t batch_rows = 32;
  int64_t sequence_length = 256;
  double learning_rate = 3e-3;
  double min_lr_ratio = 0.1;
  int64_t warmup_steps = 30;
  double weight_decay = 0.01;
  double adam_beta1 = 0.9, adam_beta2 = 0.95;
  double max_grad_norm = 1.0;
  // Each packed document attends only to itself (block-diagonal causal mask, positions from 0 at
  // its <|bos|>), as at inference, where a prompt starts the sequence. Off: the whole row, causal.
  bool document_attention = true;
  uint64_t seed = 1;
  int threads = 1;  // part of the identity of a result: it changes floating-point reduction order

  void validate() const;
  // Every field, as the JSON recorded in the run directory; equal JSON = same result.
  std::string to_json() const;
  std::string cache_key() const;  // 16 hex digits of a hash of to_json()
};

ModelConfig testbed_model_config(const PretrainConfig& config);

double learning_rate_at(const PretrainConfig& config, int64_t step);

// Logits [B, T, vocab] of packed rows input_ids [B, T] where every <|bos|> starts a document that
// attends only to itself, with positions counted from its <|bos|> (tokens before a row's first
// <|bos|> form a document of their own).
at::Tensor document_logits(CausalLMImpl& model, const at::Tensor& input_ids);

struct PretrainProgress {
  int64_t step = 0;          // steps done
  int64_t start_step = 0;    // the step this invocation started at (after a resume, its checkpoint's)
  double loss = 0;           // mean over the steps since the last report
  double learning_rate = 0;
  double tokens_per_second = 0;
};

struct PretrainOptions {
  int64_t checkpoint_every = 200;  // steps; 0 = only at the end
  int64_t log_every = 20;
  int64_t stop_after = 0;          // > 0: stop (with a checkpoint) after this many steps in total; for tests and resume
  std::function<void(const PretrainProgress&)> on_progress;
};

struct PretrainResult {
  std::filesystem::path model_dir;  // OUT/model: config.json, model.safetensors, tokenizer.json
  bool reused = false;              // a finished run with the same config was found
  bool finished = false;            // false when stopped early by stop_after
  int64_t steps_done = 0;
  double final_loss = 0;            // mean loss of the last report window (0 when reused)
};

// Runs (or resumes, or reuses) the pretraining in `out`: OUT/pretrain.json (the config),
// OUT/metrics.jsonl, OUT/checkpoint/ while running, OUT/model/ when done. A directory holding a
// different config is an error naming both keys, never silently overwritten.
PretrainResult pretrain(const PretrainConfig& config, const std::filesystem::path& out, const PretrainOptions& options);

}  // namespace soar::testbed
