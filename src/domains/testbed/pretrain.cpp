#include "domains/testbed/pretrain.h"

#include <torch/nn/utils/clip_grad.h>
#include <torch/optim/adamw.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/directory.h"
#include "core/error.h"
#include "core/metrics_log.h"
#include "core/read_file.h"
#include "core/seed.h"
#include "core/stop_signal.h"
#include "domains/testbed/char_tokenizer.h"
#include "model/causal_lm.h"
#include "model/checkpoint.h"
#include "model/rope.h"
#include "model/training_checkpoint.h"
#include "tokenizer/tokenizer_files.h"

namespace soar::testbed {
namespace fs = std::filesystem;

void PretrainConfig::validate() const {
  corpus.validate();
  auto positive = [](const char* name, int64_t value) {
    if (value <= 0) fail("pretrain.", name, " = ", value, " must be positive");
  };
  positive("hidden_size", hidden_size);
  positive("num_layers", num_layers);
  positive("num_heads", num_heads);
  positive("intermediate_size", intermediate_size);
  positive("steps", steps);
  positive("batch_rows", batch_rows);
  positive("sequence_length", sequence_length);
  positive("threads", threads);
  if (hidden_size % num_heads != 0) fail("pretrain.hidden_size = ", hidden_size, " is not a multiple of num_heads = ", num_heads);
  if (sequence_length > max_positions) fail("pretrain.sequence_length = ", sequence_length, " exceeds max_positions = ", max_positions);
  if (!(learning_rate > 0)) fail("pretrain.learning_rate = ", learning_rate, " must be positive");
  if (corpus.teacher_set_fraction > 0 && max_teacher_set_tokens(corpus) > sequence_length + 1) {
    fail("pretrain.sequence_length = ", sequence_length, " cannot hold a whole teacher set of corpus.max_set_size = ",
         corpus.max_set_size, " (", max_teacher_set_tokens(corpus), " tokens with <|bos|> and <|eos|>)");
  }
  if (warmup_steps < 0 || warmup_steps > steps) fail("pretrain.warmup_steps = ", warmup_steps, " must lie in [0, steps]");
}

std::string PretrainConfig::to_json() const {
  nlohmann::ordered_json j = {
      // Version 4: teacher items in the student's layout, teacher sets packed whole and first in
      // their row, hard answers in sets trained only as "some digit" for their first L characters
      // and on the newline after level + 1 digits, the random choices of set statements
      // down-weighted, document attention. Versions 2 and 3 were the development variants of
      // docs/testbed.md table 5 (3: without the "some digit" targets). Version 5: operand fields 16
      // wide (4 was 12; docs/testbed.md table 8 says why). A model made under another version never
      // matches.
      {"format", "soar-testbed-pretrain/5"},
      {"field_width", kWidth},
      {"corpus",
       {{"solved_max_level", corpus.solved_max_level},
        {"statement_max_level", corpus.statement_max_level},
        {"teacher_set_fraction", corpus.teacher_set_fraction},
        {"max_set_size", corpus.max_set_size},
        {"train_hard_answers", corpus.train_hard_answers},
        {"set_statement_weight", corpus.set_statement_weight},
        {"answer_only_loss", corpus.answer_only_loss},
        {"uneven_fraction", corpus.uneven_fraction}}},
      {"hidden_size", hidden_size},
      {"num_layers", num_layers},
      {"num_heads", num_heads},
      {"intermediate_size", intermediate_size},
      {"max_positions", max_positions},
      {"steps", steps},
      {"batch_rows", batch_rows},
      {"sequence_length", sequence_length},
      {"learning_rate", learning_rate},
      {"min_lr_ratio", min_lr_ratio},
      {"warmup_steps", warmup_steps},
      {"weight_decay", weight_decay},
      {"adam_beta1", adam_beta1},
      {"adam_beta2", adam_beta2},
      {"max_grad_norm", max_grad_norm},
      {"document_attention", document_attention},
      {"seed", seed},
      {"threads", threads},
  };
  // Recorded only when set, so that the default config (and the cache key of every format-4 model
  // made before the option existed) stays the same.
  if (corpus.hard_digit_positions > 0) j["corpus"]["hard_digit_positions"] = corpus.hard_digit_positions;
  if (corpus.three_operand_set_fraction > 0) j["corpus"]["three_operand_set_fraction"] = corpus.three_operand_set_fraction;
  if (corpus.three_operand_solved_max_level > 0) j["corpus"]["three_operand_solved_max_level"] = corpus.three_operand_solved_max_level;
  if (corpus.student_task != StudentTask::sum) {  // formats 6-8 (docs/testbed.md, "student tasks")
    j["corpus"]["student_task"] = student_task_name(corpus.student_task);
    j["corpus"]["solved_teacher_item_fraction"] = corpus.solved_teacher_item_fraction;
    j["corpus"]["student_solved_max_level"] = corpus.student_solved_max_level;
  }
  return j.dump(2) + "\n";
}

std::string PretrainConfig::cache_key() const {
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(fnv1a64(to_json())));
  return hex;
}

ModelConfig testbed_model_config(const PretrainConfig& config) {
  ModelConfig model;
  model.family = ModelFamily::Llama;
  model.vocab_size = CharVocab::kVocabSize;
  model.hidden_size = config.hidden_size;
  model.intermediate_size = config.intermediate_size;
  model.num_hidden_layers = config.num_layers;
  model.num_attention_heads = config.num_heads;
  model.num_key_value_heads = config.num_heads;
  model.head_dim = config.hidden_size / config.num_heads;
  model.max_position_embeddings = config.max_positions;
  model.rms_norm_eps = 1e-5;
  model.tie_word_embeddings = true;
  model.bos_token_id = CharVocab::kBos;
  model.eos_token_ids = {CharVocab::kEos};
  model.pad_token_id = CharVocab::kPad;
  model.dtype = "float32";
  model.validate("testbed model config");
  return model;
}

double learning_rate_at(const PretrainConfig& config, int64_t step) {
  if (step < config.warmup_steps) return config.learning_rate * static_cast<double>(step + 1) / config.warmup_steps;
  const double span = std::max<int64_t>(1, config.steps - config.warmup_steps);
  const double progress = std::min(1.0, static_cast<double>(step - config.warmup_steps) / span);
  const double cosine = 0.5 * (1.0 + std::cos(M_PI * progress));
  return config.learning_rate * (config.min_lr_ratio + (1.0 - config.min_lr_ratio) * cosine);
}

at::Tensor document_logits(CausalLMImpl& model, const at::Tensor& input_ids) {
  const int64_t length = input_ids.size(1);
  const auto options = at::TensorOptions().device(input_ids.device());
  // Document index of each token and its position within the document.
  const at::Tensor segments = (input_ids == CharVocab::kBos).to(at::kLong).cumsum(1);
  const at::Tensor index = at::arange(length, options.dtype(at::kLong)).expand_as(input_ids);
  at::Tensor starts = at::where(input_ids == CharVocab::kBos, index, at::zeros_like(index));
  const at::Tensor positions = index - std::get<0>(starts.cummax(1));
  const at::Tensor causal = at::ones({length, length}, options.dtype(at::kBool)).tril();
  const at::Tensor mask = (segments.unsqueeze(2) == segments.unsqueeze(1)) & causal.unsqueeze(0);
  at::Tensor x = model.model->embed_tokens->forward(input_ids);
  const RopeTables rope = rope_tables(rope_inverse_frequencies(model.config()).to(x.device()), positions, x.scalar_type());
  for (int64_t i = 0; i < model.config().num_hidden_layers; ++i) {
    x = model.model->layers->ptr<DecoderLayerImpl>(i)->forward(x, rope, mask.unsqueeze(1), {}, i);
  }
  return model.logits(model.model->norm->forward(x));
}

namespace {

// The batch of step `step`: inputs [rows, length], next-token targets (-100 where the corpus does
// not train the token) and each target's loss weight.
struct Batch {
  at::Tensor inputs, targets, weights, digit_weights;  // digit_weights: targets that are "some digit"
};

Batch batch_at(const PretrainConfig& config, const CharVocab& vocab, int64_t step) {
  const int64_t rows = config.batch_rows, length = config.sequence_length;
  at::Tensor block = at::empty({rows, length + 1}, at::kLong), targets = at::empty({rows, length}, at::kLong);
  at::Tensor weights = at::empty({rows, length}, at::kFloat);
  int64_t* data = block.data_ptr<int64_t>();
  int64_t* target = targets.data_ptr<int64_t>();
  float* weight = weights.data_ptr<float>();
  at::Tensor digit_weights = at::zeros({rows, length}, at::kFloat);
  float* digit_weight = digit_weights.data_ptr<float>();
  for (int64_t r = 0; r < rows; ++r) {
    const PackedRow row = packed_row(config.corpus, vocab, config.seed, step, r, length);
    std::copy(row.tokens.begin(), row.tokens.end(), data + r * (length + 1));
    for (int64_t t = 0; t < length; ++t) {
      const float w = row.target[t + 1];
      target[r * length + t] = w > 0 ? row.tokens[t + 1] : -100;
      weight[r * length + t] = w;
      digit_weight[r * length + t] = row.any_digit[t + 1] ? 1.0f : 0.0f;
    }
  }
  return {block.slice(1, 0, length).contiguous(), targets, weights, digit_weights};
}

}  // namespace

PretrainResult pretrain(const PretrainConfig& config, const fs::path& out, const PretrainOptions& options) {
  config.validate();
  const std::string config_json = config.to_json();
  fs::create_directories(out);
  const fs::path recorded = out / "pretrain.json", model_dir = out / "model", checkpoint = out / "checkpoint";
  if (fs::exists(recorded)) {
    const std::string existing = read_whole_file(recorded);
    if (existing != config_json) {
      char existing_key[17];
      std::snprintf(existing_key, sizeof existing_key, "%016llx", static_cast<unsigned long long>(fnv1a64(existing)));
      fail(out, " holds a pretraining run with another config (", recorded, ", key ", existing_key,
           "; requested key ", config.cache_key(), "): use another --out or delete it");
    }
  } else {
    write_text_atomically(recorded, config_json);
  }
  PretrainResult result;
  result.model_dir = model_dir;
  if (fs::exists(model_dir / "model.safetensors") && fs::exists(out / "done")) {
    result.reused = result.finished = true;
    result.steps_done = config.steps;
    return result;
  }

  const CharVocab vocab;
  vocab.save(out / "tokenizer.json");  // checkpoints copy it, so each is a complete policy
  CausalLM model(testbed_model_config(config));
  model->initialize_weights(derive_seed(config.seed, "pretrain/init"));
  model->train();
  torch::optim::AdamW optimizer(model->parameters(), torch::optim::AdamWOptions(config.learning_rate)
                                                         .betas({config.adam_beta1, config.adam_beta2})
                                                         .eps(1e-8)
                                                         .weight_decay(config.weight_decay));
  int64_t step = 0;
  if (auto resumed = load_training_checkpoint(checkpoint, *model,
                                              [&](torch::serialize::InputArchive& a) { optimizer.load(a); })) {
    step = *resumed;
  }
  const int64_t first_step = step;
  MetricsLog metrics(out / "metrics.jsonl");
  const std::vector<int32_t> digits = vocab.encode_text("0123456789");
  const at::Tensor digit_ids = at::tensor(std::vector<int64_t>(digits.begin(), digits.end()));

  const int64_t end = options.stop_after > 0 ? std::min(options.stop_after, config.steps) : config.steps;
  double loss_sum = 0;
  int64_t loss_count = 0;
  auto window_start = std::chrono::steady_clock::now();
  int64_t window_tokens = 0;
  while (step < end) {
    const double lr = learning_rate_at(config, step);
    for (auto& group : optimizer.param_groups()) static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
    auto [inputs, targets, weights, digit_weights] = batch_at(config, vocab, step);
    optimizer.zero_grad();
    at::Tensor logits = config.document_attention ? document_logits(*model, inputs) : model->forward(inputs);
    // The weighted mean of the per-token losses (ignored tokens have weight 0) and of the "some
    // digit" losses, -log P(any digit).
    at::Tensor log_probs = at::log_softmax(logits.view({-1, logits.size(-1)}), -1);
    at::Tensor token_loss = at::nll_loss(log_probs, targets.view(-1), {}, at::Reduction::None, -100);
    at::Tensor digit_loss = -log_probs.index_select(1, digit_ids).logsumexp(1);
    at::Tensor loss = ((token_loss * weights.view(-1)).sum() + (digit_loss * digit_weights.view(-1)).sum()) /
                      (weights.sum() + digit_weights.sum()).clamp_min(1e-6);
    loss.backward();
    if (config.max_grad_norm > 0) torch::nn::utils::clip_grad_norm_(model->parameters(), config.max_grad_norm);
    optimizer.step();
    ++step;
    const double loss_value = loss.item<double>();
    if (!std::isfinite(loss_value)) fail("pretraining loss is ", loss_value, " at step ", step, " (lower --lr?)");
    loss_sum += loss_value;
    ++loss_count;
    window_tokens += inputs.numel();
    if (step % options.log_every == 0 || step == end) {
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - window_start).count();
      PretrainProgress progress{step, first_step, loss_sum / loss_count, lr, window_tokens / std::max(seconds, 1e-9)};
      metrics.append({{"event", "pretrain"}, {"step", step}, {"loss", progress.loss}, {"lr", lr},
                      {"tokens_per_second", progress.tokens_per_second}});
      if (options.on_progress) options.on_progress(progress);
      result.final_loss = progress.loss;
      loss_sum = 0;
      loss_count = 0;
      window_tokens = 0;
      window_start = std::chrono::steady_clock::now();
    }
    const bool stop = step != config.steps && stop_requested();  // SIGTERM/SIGINT (core/stop_signal.h)
    if ((options.checkpoint_every > 0 && step % options.checkpoint_every == 0) || step == end || stop) {
      save_training_checkpoint(
          checkpoint, *model, [&](torch::serialize::OutputArchive& a) { optimizer.save(a); }, step,
          [&](const fs::path& staging) { copy_tokenizer_files(out, staging); });
    }
    if (stop) throw_stop(cat("pretraining step ", step, " of ", config.steps), "run the same command again to resume");
  }
  result.steps_done = step;
  if (step == config.steps) {
    save_model(*model, model_dir);
    vocab.save(model_dir / "tokenizer.json");
    write_text_atomically(out / "done", config.cache_key() + "\n");
    remove_tree(checkpoint);
    result.finished = true;
  }
  return result;
}

}  // namespace soar::testbed
