// Batched generation over the model's preallocated KV cache: prompts of different lengths in one
// batch (left-padded), temperature / top-p / top-k / greedy, EOS and stop strings, a finish reason
// and the log-probability of every sampled token.
#pragma once

#include <ATen/ATen.h>

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "model/causal_lm.h"

namespace soar {

struct SamplingParams {
  double temperature = 1.0;  // 0 = greedy (argmax)
  double top_p = 1.0;        // nucleus sampling; 1 = off
  int64_t top_k = 0;         // 0 = off
  int64_t max_new_tokens = 256;
  std::vector<int32_t> eos_token_ids;
  std::vector<std::string> stop_strings;  // needs a detokenizer
  uint64_t seed = 0;
};

enum class FinishReason { Eos, Stop, Length };
const char* finish_reason_name(FinishReason reason);

struct Completion {
  std::vector<int32_t> tokens;   // generated tokens, including the EOS or the token that completed a stop string
  std::vector<float> logprobs;   // log p(token) under softmax(logits / T) (T = 1 when greedy), float32
  std::string text;              // detokenized, cut before a stop string; empty without a detokenizer
  FinishReason finish = FinishReason::Length;
};

using Detokenizer = std::function<std::string(std::span<const int32_t>)>;

// How the decoding loop runs. Defaults depend on the model's device: on a GPU every step has static
// shapes (the cache's slot on the device), is replayed as a CUDA graph, and the host looks at the
// generated tokens only every `sync_interval` steps; on the CPU the host checks every step, and the
// step is static too where the model's fused kernels run (float32), so that the fused attention
// reads the filled slots only; elsewhere each step attends over the filled part of the cache.
struct SamplerOptions {
  std::optional<bool> static_decode;
  std::optional<bool> cuda_graphs;  // needs static_decode and a CUDA build
  int64_t sync_interval = 0;        // 0 = 16 on a GPU, 1 on the CPU
  int64_t attend_bucket = 64;       // static decode attends over the filled slots rounded up to this (0: whole cache)
  bool profile = false;             // time the stages of every generate() (Sampler::last_profile)
};

// Where one generate() spent its time: device time of the work each stage queued (CUDA events
// around it; wall time on the CPU), and the wall time of the whole call. What the stages leave of
// `total_s` is the device idling while the host captured graphs, synchronised or launched work.
struct GenerateProfile {
  double total_s = 0;
  double prefill_s = 0;  // prompt forward into the KV cache
  double decode_s = 0;   // decoding steps (graph replays, captures, eager steps)
  double sample_s = 0;   // drawing tokens from the logits
  int64_t steps = 0;
  int64_t graph_captures = 0;
};

class DecodeStep;

// Keeps its KV cache and, on a GPU, the CUDA graphs captured on it from one generate() to the
// next while the batch size and total length stay the same (as in an RL loop), so later calls
// neither allocate nor capture. The graphs read the model's weights where they are: updating them
// in place (as the trainer does) keeps the graphs valid; weights that moved (to(), a reload)
// are noticed and the graphs captured again. generate() stacks the model's projections
// (CausalLMImpl::stack_projections) so that each layer's q/k/v and gate/up are one matmul.
class Sampler {
 public:
  // `detokenize` turns generated tokens into text (for stop strings and Completion::text); may be empty.
  Sampler(CausalLMImpl& model, Detokenizer detokenize = {}, SamplerOptions options = {});
  ~Sampler();
  Sampler(const Sampler&) = delete;  // the kept decoding step refers to this sampler's profile
  Sampler& operator=(const Sampler&) = delete;

  // Generates one completion per prompt. Throws soar::Error before allocating when a prompt is
  // empty, longer than the model's context, or the batch does not fit in memory (saying what fits).
  std::vector<Completion> generate(const std::vector<std::vector<int32_t>>& prompts, const SamplingParams& params);

  // Bytes the KV cache, activations and logits of a request take.
  int64_t bytes_required(int64_t batch_size, int64_t max_total_length) const;
  // Throws soar::Error, saying how many sequences would fit, when a request exceeds free memory;
  // generate() calls it before allocating.
  void check_fits(int64_t batch_size, int64_t max_total_length) const;

  // The stages of the last generate() (zeros unless SamplerOptions::profile).
  const GenerateProfile& last_profile() const { return profile_; }

 private:
  CausalLMImpl& model_;
  Detokenizer detokenize_;
  bool static_decode_;
  bool cuda_graphs_;
  int64_t sync_interval_;
  int64_t attend_bucket_;
  bool profiling_;
  GenerateProfile profile_;
  std::unique_ptr<KVCache> cache_;       // kept for the next call of the same shape
  std::unique_ptr<DecodeStep> decode_;   // its decoding step and captured graphs
  std::vector<const void*> weight_addresses_;  // where the graphs read the weights from
};

// Draws one token per row from logits [B, V] (float32) and returns {tokens [B] int64, logprobs [B]}.
// Exposed for tests. On the CPU, the one-pass Gumbel-max draw of token_draw.h, keyed by a seed
// taken from the generator; elsewhere the exponential race (argmax p / E, E ~ Exp(1)), which needs
// no cumulative sum and no host synchronisation.
std::pair<at::Tensor, at::Tensor> sample_tokens(const at::Tensor& logits, const SamplingParams& params, at::Generator& generator);

}  // namespace soar
