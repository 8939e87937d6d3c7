// Pretraining: a few steps lower the loss; a stopped run resumes to exactly the weights of an
// uninterrupted one; a finished run is reused; a saved testbed checkpoint reloads bit-exactly.
#include <gtest/gtest.h>

#include <ATen/Parallel.h>

#include <filesystem>

#include "core/directory.h"
#include "core/threads.h"
#include "model/checkpoint.h"
#include "domains/testbed/pretrain.h"

namespace soar::testbed {
namespace {
namespace fs = std::filesystem;

PretrainConfig tiny_config() {
  configure_threads(0);  // $SOAR_THREADS (ctest sets 1)
  PretrainConfig config;
  config.hidden_size = 32;
  config.num_layers = 2;
  config.num_heads = 2;
  config.intermediate_size = 64;
  config.steps = 30;
  config.batch_rows = 8;
  config.sequence_length = 80;
  config.corpus.max_set_size = 1;  // a whole set must fit in a row
  config.warmup_steps = 5;
  config.learning_rate = 3e-3;
  config.threads = at::get_num_threads();
  return config;
}

fs::path scratch(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / ("soar_testbed_pretrain_" + std::to_string(::getpid())) / name;
  soar::remove_tree(dir);
  return dir;
}

void expect_same_weights(CausalLMImpl& a, CausalLMImpl& b) {
  auto pa = a.named_parameters(), pb = b.named_parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (const auto& item : pa) {
    ASSERT_TRUE(at::equal(item.value(), pb[item.key()])) << item.key();
  }
}

TEST(Pretrain, LossFallsAndCheckpointReloadsBitExactly) {
  const PretrainConfig config = tiny_config();
  std::vector<double> losses;
  PretrainOptions options;
  options.log_every = 5;
  options.on_progress = [&](const PretrainProgress& p) { losses.push_back(p.loss); };
  const fs::path out = scratch("full");
  const PretrainResult result = pretrain(config, out, options);
  ASSERT_TRUE(result.finished);
  ASSERT_EQ(losses.size(), 6u);
  // Uniform guessing over 99 tokens is ln 99 = 4.6; 30 steps must be well below the first window.
  EXPECT_LT(losses.back(), losses.front() - 0.5) << "first " << losses.front() << " last " << losses.back();

  CausalLM loaded = load_model(result.model_dir);
  CausalLM again = load_model(result.model_dir);
  expect_same_weights(*loaded, *again);
  // Saving the loaded model and loading it again changes nothing either.
  const fs::path resaved = scratch("resaved");
  save_model(*loaded, resaved);
  CausalLM reloaded = load_model(resaved);
  expect_same_weights(*loaded, *reloaded);
  EXPECT_TRUE(fs::exists(result.model_dir / "tokenizer.json"));

  // Same config again: reused, not retrained.
  const PretrainResult reused = pretrain(config, out, {});
  EXPECT_TRUE(reused.reused);
  // A different config in the same directory is refused.
  PretrainConfig other = config;
  other.seed = 2;
  EXPECT_THROW(pretrain(other, out, {}), std::exception);

  // Stopped after 12 steps and resumed: the same weights as the uninterrupted run.
  const fs::path split = scratch("split");
  PretrainOptions first;
  first.stop_after = 12;
  first.checkpoint_every = 0;
  ASSERT_FALSE(pretrain(config, split, first).finished);
  const PretrainResult resumed = pretrain(config, split, {});
  ASSERT_TRUE(resumed.finished);
  CausalLM from_resumed = load_model(resumed.model_dir);
  expect_same_weights(*loaded, *from_resumed);
  soar::remove_tree(out.parent_path());
}

// Every corpus setting is part of the cache key, and so is the corpus format version: a model
// pretrained on another teacher layout or packing is never silently reused.
TEST(Pretrain, CacheKeyCoversTheCorpusFormat) {
  const PretrainConfig config = tiny_config();
  EXPECT_NE(config.to_json().find("\"soar-testbed-pretrain/5\""), std::string::npos);
  PretrainConfig other = config;
  other.corpus.train_hard_answers = true;
  EXPECT_NE(other.cache_key(), config.cache_key());
  other = config;
  other.corpus.hard_digit_positions = 6;
  EXPECT_NE(other.cache_key(), config.cache_key());
  other.corpus.hard_digit_positions = -1;
  EXPECT_THROW(other.validate(), std::exception);
  other = config;
  other.corpus.set_statement_weight = 0.5;
  EXPECT_NE(other.cache_key(), config.cache_key());
  other = config;
  other.corpus.teacher_set_fraction = 0.2;
  EXPECT_NE(other.cache_key(), config.cache_key());
  // Format 6 (the student answers most significant digit first) is another model.
  other = config;
  other.corpus.student_task = StudentTask::sum_msd;
  EXPECT_NE(other.cache_key(), config.cache_key());
  EXPECT_NE(other.to_json().find("\"student_task\": \"sum-msd\""), std::string::npos);
  PretrainConfig fraction = other;
  fraction.corpus.solved_teacher_item_fraction = 0.25;
  EXPECT_NE(fraction.cache_key(), other.cache_key());
  fraction.corpus.solved_teacher_item_fraction = 1.5;
  EXPECT_THROW(fraction.validate(), std::exception);
  PretrainConfig difference = config;
  difference.corpus.student_task = StudentTask::difference;
  EXPECT_NE(difference.cache_key(), other.cache_key());
  difference.corpus.student_solved_max_level = 3;
  EXPECT_NO_THROW(difference.validate());
  EXPECT_NE(difference.to_json().find("\"student_solved_max_level\": 3"), std::string::npos);
  difference.corpus.student_solved_max_level = 9;  // above solved_max_level
  EXPECT_THROW(difference.validate(), std::exception);
  difference.corpus.student_solved_max_level = 3;
  difference.corpus.three_operand_set_fraction = 0.5;  // the difference task has two operands only
  EXPECT_THROW(difference.validate(), std::exception);
  // Format 5's record does not mention the option, so its models keep their cache keys.
  EXPECT_EQ(config.to_json().find("student_task"), std::string::npos);
  // A row too short for the largest teacher set is refused, not silently emptied of sets.
  other = config;
  other.corpus.max_set_size = 4;
  EXPECT_THROW(other.validate(), std::exception);
  other.sequence_length = 256;
  EXPECT_NO_THROW(other.validate());
}

// Document attention: one document is the model's own forward; a later document does not see an
// earlier one and is computed as if it started the sequence.
TEST(Pretrain, DocumentLogitsIsolateDocuments) {
  const PretrainConfig config = tiny_config();
  CausalLM model(testbed_model_config(config));
  model->initialize_weights(3);
  model->eval();
  at::NoGradGuard no_grad;
  const CharVocab vocab;
  auto doc = [&](const std::string& text) {
    std::vector<int32_t> ids = {CharVocab::kBos};
    vocab.append_text(text, ids);
    return ids;
  };
  auto tensor = [](std::vector<int32_t> ids) { return at::tensor(std::vector<int64_t>(ids.begin(), ids.end())).unsqueeze(0); };
  const std::vector<int32_t> first = doc("Q:12+3\nA:"), second = doc("Q:74+53\nA:28");
  std::vector<int32_t> row = first;
  row.insert(row.end(), second.begin(), second.end());
  const at::Tensor packed = document_logits(*model, tensor(row));
  EXPECT_TRUE(at::allclose(document_logits(*model, tensor(first)), model->forward(tensor(first)), 1e-5, 1e-5));
  EXPECT_TRUE(at::allclose(packed.narrow(1, 0, first.size()), model->forward(tensor(first)), 1e-5, 1e-5));
  EXPECT_TRUE(at::allclose(packed.narrow(1, first.size(), second.size()), model->forward(tensor(second)), 1e-5, 1e-5));
  // Whole-row attention differs there: the second document sees the first.
  EXPECT_FALSE(at::allclose(model->forward(tensor(row)).narrow(1, first.size(), second.size()), model->forward(tensor(second)),
                            1e-5, 1e-5));
}

TEST(Pretrain, LearningRateScheduleWarmsUpThenDecays) {
  PretrainConfig config = tiny_config();
  config.steps = 100;
  config.warmup_steps = 10;
  EXPECT_NEAR(learning_rate_at(config, 0), config.learning_rate / 10, 1e-12);
  EXPECT_NEAR(learning_rate_at(config, 9), config.learning_rate, 1e-12);
  EXPECT_NEAR(learning_rate_at(config, 100), config.learning_rate * config.min_lr_ratio, 1e-12);
  EXPECT_GT(learning_rate_at(config, 30), learning_rate_at(config, 60));
}

}  // namespace
}  // namespace soar::testbed
