#include "sampling/sampler.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <map>
#include <tuple>

#include "core/device.h"
#include "core/error.h"
#include "model/fused_ops.h"
#include "sampling/token_draw.h"
#ifdef SOAR_CUDA
#include <ATen/cuda/CUDAGeneratorImpl.h>
#include <ATen/cuda/CUDAEvent.h>
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif

namespace soar {
namespace {

// Compact the batch once this fraction of rows has finished: index_select of the cache costs a
// copy, so it is worth it only when enough work is saved.
constexpr double kCompactFraction = 0.25;

at::Generator make_generator(at::Device device, uint64_t seed) {
#ifdef SOAR_CUDA
  if (device.is_cuda()) {
    auto generator = at::cuda::detail::createCUDAGenerator(device.index() < 0 ? 0 : device.index());
    generator.set_current_seed(seed);
    return generator;
  }
#endif
  return at::make_generator<at::CPUGeneratorImpl>(seed);
}

// Keeps the logits of tokens inside top-k / top-p; the rest become -inf.
at::Tensor truncate_distribution(const at::Tensor& scaled, const SamplingParams& params) {
  if (params.top_k <= 0 && params.top_p >= 1.0) return scaled;
  auto [sorted, order] = scaled.sort(-1, /*descending=*/true);
  at::Tensor drop = at::zeros_like(sorted, at::kBool);
  if (params.top_k > 0 && params.top_k < scaled.size(-1)) {
    drop = drop | (at::arange(scaled.size(-1), scaled.options().dtype(at::kLong)) >= params.top_k).unsqueeze(0);
  }
  if (params.top_p < 1.0) {
    at::Tensor probs = sorted.softmax(-1);
    // Drop a token when the mass before it already reaches top_p (the first token always stays).
    at::Tensor before = probs.cumsum(-1) - probs;
    drop = drop | (before >= params.top_p);
  }
  at::Tensor kept = sorted.masked_fill(drop, -std::numeric_limits<float>::infinity());
  return at::empty_like(scaled).scatter_(-1, order, kept);
}

// Times the sampler's stages: CUDA events around the work a stage queues (read once the device
// has finished, so timing adds no synchronisation), or wall time on the CPU.
class StageClock {
 public:
  StageClock(bool enabled, at::Device device) : enabled_(enabled), cuda_(device.is_cuda()) {}

  template <class Work>
  void run(double& total, Work&& work) {
    if (!enabled_) return work();
#ifdef SOAR_CUDA
    if (cuda_) {
      Pending& p = pending_.emplace_back(Pending{std::make_unique<at::cuda::CUDAEvent>(cudaEventDefault),
                                                 std::make_unique<at::cuda::CUDAEvent>(cudaEventDefault), &total});
      p.start->record();
      work();
      p.end->record();
      return;
    }
#endif
    auto start = std::chrono::steady_clock::now();
    work();
    total += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }

  // Adds up the device times (waits for the last event).
  void collect() {
#ifdef SOAR_CUDA
    if (!pending_.empty()) pending_.back().end->synchronize();
    for (Pending& p : pending_) *p.total += p.start->elapsed_time(*p.end) / 1000.0;
    pending_.clear();
#endif
  }

 private:
  bool enabled_, cuda_;
#ifdef SOAR_CUDA
  struct Pending {
    std::unique_ptr<at::cuda::CUDAEvent> start, end;
    double* total;
  };
  std::vector<Pending> pending_;
#endif
};

}  // namespace

// One decoding step after the prefill: dynamic (attend over the filled cache), static (attend over
// the whole capacity, device-side slot), or static replayed as a CUDA graph captured on the third
// step of a batch size (two eager steps first warm up the kernels and libraries it uses). Every
// capture is counted in `captures` (the sampler's profile).
class DecodeStep {
 public:
  DecodeStep(CausalLMImpl& model, KVCache& cache, bool static_decode, bool cuda_graphs, int64_t bucket, int64_t& captures)
      : model_(model), cache_(cache), static_(static_decode), graphs_(cuda_graphs), bucket_(bucket), captures_(captures) {}

  at::Tensor step(const at::Tensor& tokens) {
    if (!static_) return model_.logits(model_.hidden_states_cached(tokens, cache_).select(1, -1));
    cache_.claim_slots(1);  // host count only; the device slot advances inside the step
    // Attend over the filled slots rounded up to a bucket: a few graphs per batch instead of one per
    // length, and no step reads the cache's empty tail.
    const int64_t attend = bucket_ > 0 ? std::min(cache_.capacity(), (cache_.length() + bucket_ - 1) / bucket_ * bucket_)
                                       : cache_.capacity();
#ifdef SOAR_CUDA
    if (graphs_) {
      auto found = graphs_by_length_.find(attend);
      if (found != graphs_by_length_.end()) {
        input_.copy_(tokens);
        found->second.graph->replay();
        return found->second.output;
      }
      if (++eager_steps_ > 2) {
        // Capture on the current stream: generate() runs the whole loop on a side stream (capture
        // cannot use the default stream), so the eager warm-up steps ran on it too.
        if (!input_.defined()) input_ = tokens.clone();
        input_.copy_(tokens);
        Captured& captured = graphs_by_length_[attend];
        captured.graph = std::make_unique<at::cuda::CUDAGraph>();
        captured.graph->capture_begin();
        captured.output = run(input_, attend);
        captured.graph->capture_end();
        ++captures_;
        captured.graph->replay();
        return captured.output;
      }
    }
#endif
    return run(tokens, attend);
  }

 private:
  at::Tensor run(const at::Tensor& tokens, int64_t attend) {
    return model_.logits(model_.decode_static(tokens, cache_, attend).select(1, -1));
  }

  CausalLMImpl& model_;
  KVCache& cache_;
  bool static_, graphs_;
  int64_t bucket_;
  int64_t& captures_;
#ifdef SOAR_CUDA
  struct Captured {
    std::unique_ptr<at::cuda::CUDAGraph> graph;
    at::Tensor output;
  };
  std::map<int64_t, Captured> graphs_by_length_;
  at::Tensor input_;
  int eager_steps_ = 0;
#endif
};

const char* finish_reason_name(FinishReason reason) {
  switch (reason) {
    case FinishReason::Eos: return "eos";
    case FinishReason::Stop: return "stop";
    case FinishReason::Length: return "length";
  }
  return "length";
}

std::pair<at::Tensor, at::Tensor> sample_tokens(const at::Tensor& logits, const SamplingParams& params,
                                                at::Generator& generator) {
  const bool greedy = params.temperature <= 0.0;
  at::Tensor scaled = greedy || params.temperature == 1.0 ? logits : logits / params.temperature;
  if (!greedy && logits.device().is_cpu()) {
    // One pass per row, the CUDA kernel's draw (token_draw.h); the log-probability is of the
    // untruncated distribution, as below.
    const int64_t seed = at::randint(std::numeric_limits<int64_t>::max(), {1}, generator, at::TensorOptions().dtype(at::kLong)).item<int64_t>();
    at::Tensor tokens = draw_tokens(truncate_distribution(scaled, params), static_cast<uint64_t>(seed));
    at::Tensor chosen = scaled.gather(-1, tokens.unsqueeze(-1)).squeeze(-1);
    return {tokens, chosen - at::logsumexp(scaled, -1)};
  }
  at::Tensor logprobs = scaled.log_softmax(-1);
  at::Tensor tokens;
  if (greedy) {
    tokens = logits.argmax(-1);
  } else {
    // A GPU without the fused draw (top-k/top-p, or fused kernels off): the exponential race.
    at::Tensor probs = truncate_distribution(scaled, params).softmax(-1);
    at::Tensor race = at::empty_like(probs).exponential_(1.0, generator);
    tokens = (probs / race).argmax(-1);
  }
  return {tokens, logprobs.gather(-1, tokens.unsqueeze(-1)).squeeze(-1)};
}

namespace {

// The next tokens and their log-probabilities: on a GPU with the model's fused kernels on and no
// top-k/top-p truncation, one kernel over the logits as they are (fused::sample_tokens, keyed by a
// seed drawn from the generator on the device: no host synchronisation); otherwise sample_tokens
// on float32 logits.
std::pair<at::Tensor, at::Tensor> draw_next_tokens(CausalLMImpl& model, const at::Tensor& logits, const SamplingParams& params,
                                                   at::Generator& generator) {
  if (model.fused_kernels() && logits.is_cuda() && fused::available(logits) && params.top_k <= 0 && params.top_p >= 1.0) {
    at::Tensor seed;
    if (params.temperature > 0.0) {
      seed = at::randint(std::numeric_limits<int64_t>::max(), {1}, generator, logits.options().dtype(at::kLong));
    }
    return fused::sample_tokens(logits.contiguous(), params.temperature, seed);
  }
  return sample_tokens(logits.to(at::kFloat), params, generator);
}

// A request generate() has checked: the batch and how long its rows grow.
struct BatchShape {
  int64_t batch = 0;
  int64_t prompt_length = 0;  // the longest prompt; shorter ones are left-padded to it
  int64_t total_length = 0;   // prompt_length + max_new_tokens: the KV cache's capacity
};

// Checks a non-empty request before anything is allocated, so that a bad one fails saying what
// is wrong rather than inside the model.
BatchShape check_request(const ModelConfig& config, const std::vector<std::vector<int32_t>>& prompts,
                         const SamplingParams& params, bool can_detokenize) {
  if (params.max_new_tokens <= 0) fail("max_new_tokens must be positive, got ", params.max_new_tokens);
  if (!params.stop_strings.empty() && !can_detokenize) fail("stop strings need a tokenizer to detokenize with");
  if (params.top_p <= 0.0 || params.top_p > 1.0) fail("top_p must be in (0, 1], got ", params.top_p);
  int64_t prompt_length = 0;
  for (size_t i = 0; i < prompts.size(); ++i) {
    if (prompts[i].empty()) fail("prompt ", i, " is empty");
    for (int32_t token : prompts[i]) {
      if (token < 0 || token >= config.vocab_size) fail("prompt ", i, " has token id ", token, " outside the vocabulary [0, ", config.vocab_size, ")");
    }
    prompt_length = std::max<int64_t>(prompt_length, prompts[i].size());
  }
  const int64_t total_length = prompt_length + params.max_new_tokens;
  if (total_length > config.max_position_embeddings) {
    fail("prompt of ", prompt_length, " tokens + ", params.max_new_tokens, " new tokens exceeds the model's context of ",
         config.max_position_embeddings, " tokens");
  }
  return {static_cast<int64_t>(prompts.size()), prompt_length, total_length};
}

// The prompts as token ids and attention mask [B, prompt_length] (int64, on the host), left-padded
// so that every row's next token goes into the same cache slot.
std::pair<at::Tensor, at::Tensor> pack_prompts(const std::vector<std::vector<int32_t>>& prompts,
                                               int64_t prompt_length) {
  const int64_t batch = static_cast<int64_t>(prompts.size());
  auto long_options = at::TensorOptions().dtype(at::kLong);
  at::Tensor ids = at::zeros({batch, prompt_length}, long_options);
  at::Tensor mask = at::zeros({batch, prompt_length}, long_options);
  // Through raw pointers: indexing the tensors element by element cost ~45 ms at 256 × 128.
  int64_t* id_values = ids.data_ptr<int64_t>();
  int64_t* mask_values = mask.data_ptr<int64_t>();
  for (int64_t row = 0; row < batch; ++row) {
    const auto& prompt = prompts[row];
    const int64_t start = row * prompt_length + prompt_length - static_cast<int64_t>(prompt.size());  // left padding
    std::copy(prompt.begin(), prompt.end(), id_values + start);
    std::fill_n(mask_values + start, prompt.size(), 1);
  }
  return {ids, mask};
}

#ifdef SOAR_CUDA
// With CUDA graphs the whole call runs on a side stream (graphs cannot be captured on the default
// stream), after the work already queued on the current one (e.g. the last optimizer step). The
// guard is the caller's so that the stream stays current for the whole call.
void enter_side_stream(std::optional<c10::cuda::CUDAStreamGuard>& guard, at::Device device) {
  at::cuda::CUDAEvent queued;
  queued.record(c10::cuda::getCurrentCUDAStream(device.index()));
  auto stream = c10::cuda::getStreamFromPool(false, device.index() < 0 ? 0 : device.index());
  queued.block(stream);
  guard.emplace(stream);
}
#endif

// The host side of one generate(): the completions, which of them each cache row holds, and the
// EOS / stop-string checks that finish a row as its tokens arrive.
class CompletionRows {
 public:
  CompletionRows(int64_t batch, const SamplingParams& params, const Detokenizer& detokenize)
      : completions_(batch), active_(batch), params_(params), detokenize_(detokenize) {
    for (int64_t i = 0; i < batch; ++i) active_[i] = i;
    for (const auto& stop : params.stop_strings) longest_stop_ = std::max(longest_stop_, stop.size());
  }

  // Rows of the cache, finished ones included until drop_finished().
  size_t cache_rows() const { return active_.size(); }

  // Reads a block of steps (host tensors [rows, steps]) into the completions; returns how many
  // rows have finished.
  size_t read(const at::Tensor& tokens, const at::Tensor& logprobs) {
    auto token_values = tokens.accessor<int64_t, 2>();
    auto logprob_values = logprobs.accessor<float, 2>();
    size_t finished_rows = 0;
    for (size_t row = 0; row < active_.size(); ++row) {
      for (int64_t j = 0; active_[row] >= 0 && j < tokens.size(1); ++j) {
        if (accept(static_cast<int64_t>(row), static_cast<int32_t>(token_values[row][j]), logprob_values[row][j])) {
          active_[row] = -1;  // tokens it generated after finishing are dropped
        }
      }
      if (active_[row] < 0) ++finished_rows;
    }
    return finished_rows;
  }

  // Forgets the finished rows (before the cache is compacted to the others); returns the rows of
  // the cache that are still generating.
  std::vector<int64_t> drop_finished() {
    std::vector<int64_t> rows, still_active;
    for (size_t row = 0; row < active_.size(); ++row) {
      if (active_[row] >= 0) {
        rows.push_back(static_cast<int64_t>(row));
        still_active.push_back(active_[row]);
      }
    }
    active_ = std::move(still_active);
    return rows;
  }

  // The completions with their text: detokenized, and cut before a stop string.
  std::vector<Completion> finish() {
    if (detokenize_) {
      for (Completion& completion : completions_) {
        completion.text = detokenize_(completion.tokens);
        if (completion.finish == FinishReason::Stop) {
          size_t cut = std::string::npos;
          for (const auto& stop : params_.stop_strings) cut = std::min(cut, completion.text.find(stop));
          if (cut != std::string::npos) completion.text.resize(cut);
        }
      }
    }
    return std::move(completions_);
  }

 private:
  // Reads one step's token for cache row `row` into its completion; true when the row is finished.
  bool accept(int64_t row, int32_t token, float logprob) {
    Completion& completion = completions_[active_[row]];
    completion.tokens.push_back(token);
    completion.logprobs.push_back(logprob);
    if (std::find(params_.eos_token_ids.begin(), params_.eos_token_ids.end(), token) != params_.eos_token_ids.end()) {
      completion.finish = FinishReason::Eos;
      return true;
    }
    if (longest_stop_ > 0) {
      // Only the tail can contain a stop string that was not there a step ago.
      size_t tail_tokens = std::min(completion.tokens.size(), longest_stop_ + 8);
      std::string tail = detokenize_(std::span<const int32_t>(completion.tokens).last(tail_tokens));
      for (const auto& stop : params_.stop_strings) {
        if (tail.find(stop) != std::string::npos) {
          completion.finish = FinishReason::Stop;
          return true;
        }
      }
    }
    return false;
  }

  std::vector<Completion> completions_;
  std::vector<int64_t> active_;  // row of the cache -> index of the prompt, -1 once finished
  const SamplingParams& params_;
  const Detokenizer& detokenize_;
  size_t longest_stop_ = 0;
};

// The sampler's options with the device's defaults filled in, as the decoding loop uses them.
struct DecodeSettings {
  bool static_decode, cuda_graphs, profiling;
  int64_t sync_interval, attend_bucket;
};

// The device side of one generate(): the prefill, then a token drawn per row and a model step per
// token until every row has finished or max_new_tokens are drawn. Decoding runs on the kept cache
// until rows are compacted away into a smaller copy.
class DecodeLoop {
 public:
  DecodeLoop(CausalLMImpl& model, const SamplingParams& params, const DecodeSettings& settings,
             GenerateProfile& profile, KVCache& cache, DecodeStep& decode)
      : model_(model), params_(params), settings_(settings), profile_(profile), cache_(&cache), decode_(&decode),
        clock_(settings.profiling, model.device()), generator_(make_generator(model.device(), params.seed)) {}

  // The prompts' forward pass into the cache; returns the logits at every row's last position.
  at::Tensor prefill(const at::Tensor& ids, const at::Tensor& mask) {
    const at::Device device = model_.device();
    at::Tensor logits;
    clock_.run(profile_.prefill_s, [&] {
      logits = model_.logits(model_.hidden_states_cached(ids.to(device), *cache_, mask.to(device)).select(1, -1));
      if (settings_.static_decode) cache_->sync_slot_tensor();
    });
    return logits;
  }

  // Decodes from the prefill's logits into `rows`; then adds up the profile's device times.
  void run(at::Tensor logits, CompletionRows& rows) {
    for (int64_t step = 0; step < params_.max_new_tokens; ++step) {
      at::Tensor tokens = draw(logits);
      const bool last_step = step + 1 == params_.max_new_tokens;
      if (static_cast<int64_t>(pending_tokens_.size()) == settings_.sync_interval || last_step) {
        const size_t finished_rows = read_pending(rows);
        if (finished_rows == rows.cache_rows() || last_step) break;
        // Finished rows keep decoding (outputs ignored) until enough have finished to make
        // compacting the cache worth its copy.
        if (static_cast<double>(finished_rows) >= kCompactFraction * static_cast<double>(rows.cache_rows())) {
          tokens = compact(rows, tokens);
        }
      }
      clock_.run(profile_.decode_s, [&] { logits = decode_->step(tokens.unsqueeze(1)); });
    }
    clock_.collect();
  }

 private:
  // Draws one token per row from `logits`; it stays on the device, pending, until the next read.
  at::Tensor draw(const at::Tensor& logits) {
    at::Tensor tokens, logprobs;
    clock_.run(profile_.sample_s,
               [&] { std::tie(tokens, logprobs) = draw_next_tokens(model_, logits, params_, generator_); });
    ++profile_.steps;
    pending_tokens_.push_back(tokens);
    pending_logprobs_.push_back(logprobs);
    return tokens;
  }

  // The host reads the pending steps at once: one synchronisation per sync_interval tokens.
  // Returns how many rows have finished.
  size_t read_pending(CompletionRows& rows) {
    at::Tensor block_tokens = at::stack(pending_tokens_, 1).to(at::kCPU);
    at::Tensor block_logprobs = at::stack(pending_logprobs_, 1).to(at::kCPU);
    pending_tokens_.clear();
    pending_logprobs_.clear();
    return rows.read(block_tokens, block_logprobs);
  }

  // Goes on with the unfinished rows only; returns their `tokens`.
  at::Tensor compact(CompletionRows& rows, const at::Tensor& tokens) {
    at::Tensor index = at::tensor(rows.drop_finished(), at::TensorOptions().dtype(at::kLong)).to(model_.device());
    // A smaller copy with its own step (and graphs); the kept cache stays intact for the next call.
    KVCache smaller = cache_->select_rows(index);
    compacted_decode_.reset();  // it refers to the compacted cache that is about to be replaced
    compacted_cache_.emplace(std::move(smaller));
    compacted_decode_.emplace(model_, *compacted_cache_, settings_.static_decode, settings_.cuda_graphs,
                              settings_.attend_bucket, profile_.graph_captures);
    cache_ = &*compacted_cache_;
    decode_ = &*compacted_decode_;
    return tokens.index_select(0, index);
  }

  CausalLMImpl& model_;
  const SamplingParams& params_;
  const DecodeSettings settings_;
  GenerateProfile& profile_;
  std::optional<KVCache> compacted_cache_;
  std::optional<DecodeStep> compacted_decode_;
  KVCache* cache_;      // the kept cache or compacted_cache_
  DecodeStep* decode_;  // its step
  StageClock clock_;
  at::Generator generator_;
  std::vector<at::Tensor> pending_tokens_, pending_logprobs_;  // device-side, not yet read by the host
};

}  // namespace

Sampler::Sampler(CausalLMImpl& model, Detokenizer detokenize, SamplerOptions options)
    : model_(model), detokenize_(std::move(detokenize)) {
  const bool on_gpu = model_.device().is_cuda();
  const bool fused_on_cpu = !on_gpu && model_.fused_kernels() && fused::available(model_.output_weight());
  static_decode_ = options.static_decode.value_or(on_gpu || fused_on_cpu);
  cuda_graphs_ = options.cuda_graphs.value_or(on_gpu) && static_decode_ && on_gpu;
#ifndef SOAR_CUDA
  cuda_graphs_ = false;
#endif
  sync_interval_ = options.sync_interval > 0 ? options.sync_interval : (on_gpu ? 16 : 1);
  attend_bucket_ = options.attend_bucket;
  profiling_ = options.profile;
}

Sampler::~Sampler() = default;

int64_t Sampler::bytes_required(int64_t batch_size, int64_t max_total_length) const {
  const auto& config = model_.config();
  int64_t cache = KVCache::bytes_required(config, batch_size, max_total_length, model_.dtype());
  // Prefill activations (a few hidden-sized tensors per token) and float32 logits with their
  // softmax/sort temporaries for one step.
  int64_t activations = 8 * batch_size * max_total_length *
                        std::max(config.hidden_size, config.intermediate_size) * int64_t(c10::elementSize(model_.dtype()));
  int64_t logits = 6 * batch_size * config.vocab_size * 4;
  return cache + activations + logits;
}

void Sampler::check_fits(int64_t batch_size, int64_t max_total_length) const {
  const at::Device device = model_.device();
  const int64_t needed = bytes_required(batch_size, max_total_length), available = available_memory_bytes(device);
  if (needed > available) {
    int64_t per_sequence = std::max<int64_t>(1, bytes_required(1, max_total_length));
    fail("generating ", batch_size, " sequences of up to ", max_total_length, " tokens needs ", format_bytes(needed), " but ",
         format_bytes(available), " is available on ", device.str(), "; at most ", available / per_sequence,
         " sequences of this length fit");
  }
}

std::vector<Completion> Sampler::generate(const std::vector<std::vector<int32_t>>& prompts, const SamplingParams& params) {
  if (prompts.empty()) return {};
  const BatchShape shape = check_request(model_.config(), prompts, params, static_cast<bool>(detokenize_));
  const at::Device device = model_.device();
  const auto call_start = std::chrono::steady_clock::now();
  model_.stack_projections();
  std::vector<const void*> weight_addresses;
  for (const at::Tensor& p : model_.parameters()) weight_addresses.push_back(p.data_ptr());
  const bool reuse = weight_addresses == weight_addresses_ && cache_ && cache_->batch_size() == shape.batch &&
                     cache_->capacity() == shape.total_length && cache_->keys(0).device() == device &&
                     cache_->keys(0).scalar_type() == model_.dtype();
  if (!reuse) {
    decode_.reset();  // free the old cache and graphs before checking what fits
    cache_.reset();
    check_fits(shape.batch, shape.total_length);
  }

  at::InferenceMode inference;
#ifdef SOAR_CUDA
  std::optional<c10::cuda::CUDAStreamGuard> side_stream;
  if (cuda_graphs_) enter_side_stream(side_stream, device);
#endif
  const auto [ids, mask] = pack_prompts(prompts, shape.prompt_length);
  if (reuse) {
    cache_->reset();
  } else {
    cache_ = std::make_unique<KVCache>(model_.config(), shape.batch, shape.total_length, model_.dtype(), device);
    decode_ = std::make_unique<DecodeStep>(model_, *cache_, static_decode_, cuda_graphs_, attend_bucket_, profile_.graph_captures);
    weight_addresses_ = std::move(weight_addresses);
  }
  profile_ = {};
  CompletionRows rows(shape.batch, params, detokenize_);
  DecodeLoop loop(model_, params, {static_decode_, cuda_graphs_, profiling_, sync_interval_, attend_bucket_}, profile_,
                  *cache_, *decode_);
  loop.run(loop.prefill(ids, mask), rows);
  profile_.total_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - call_start).count();
  return rows.finish();
}

}  // namespace soar
