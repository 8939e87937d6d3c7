// The RL loop's problem draw with a two-phase curriculum (train-rl --synthetic --mix curriculum) and
// with a mixed problem set (--mix mixed): which problems each step trains on, that the draw stream is
// the one plain runs always used, and that a run resumed from a checkpoint inside or after the first
// phase equals the uninterrupted run bit for bit.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <map>
#include <numeric>
#include <random>
#include <set>
#include <span>

#include "core/directory.h"
#include "core/error.h"
#include "core/seed.h"
#include "rl/rl_loop.h"
#include "run/rl_checkpoint.h"

namespace soar {
namespace {

constexpr int64_t kSamples = 4, kPrompts = 3, kSteps = 6, kFirstPhase = 3;
constexpr uint64_t kSeed = 11;

// Problem "prefix<i>" is the prompt {1, 4 + i}.
std::vector<Problem> problem_set(const std::string& prefix, int count) {
  std::vector<Problem> out;
  for (int i = 0; i < count; ++i) out.push_back({cat(prefix, i), std::to_string(4 + i), "x"});
  return out;
}

CausalLM tiny_model(uint64_t weights_seed) {
  ModelConfig config;
  config.vocab_size = 32, config.hidden_size = 32, config.intermediate_size = 64, config.num_hidden_layers = 1;
  config.num_attention_heads = 4, config.num_key_value_heads = 2, config.head_dim = 8,
  config.max_position_embeddings = 16;
  CausalLM model(config);
  model->initialize_weights(weights_seed);
  return model;
}

TrainerConfig trainer_config() {
  return {.learning_rate = 3e-3, .micro_batch_size = 16, .estimator = AdvantageEstimator::RLOO};
}

RLLoopOptions loop_options(std::optional<RLCurriculum> curriculum) {
  RLLoopOptions options{.steps = kSteps,
                        .prompts_per_step = kPrompts,
                        .samples_per_prompt = kSamples,
                        .sampling = {.temperature = 1.0, .max_new_tokens = 2, .seed = 5},
                        .seed = kSeed};
  options.curriculum = std::move(curriculum);
  return options;
}

// What a run trained on: the ids each step drew (in draw order), its phase and its gradient norm.
struct Record {
  std::map<int64_t, std::vector<std::string>> draws;
  std::map<int64_t, bool> from_curriculum;
  double total_grad_norm = 0;
};

// Runs steps [start, stop) of `options` on `model`, recording what each step drew. The reward (1 for
// a completion starting with a token divisible by 3) varies, so the steps really train.
void run_steps(CausalLMImpl& model, PolicyTrainer& trainer, const std::vector<Problem>& problems, RLLoopOptions options,
               int64_t start, int64_t stop, Record& record) {
  options.steps = stop;
  std::vector<std::string> seen;
  auto encode = [](const Problem& p) { return std::vector<int32_t>{1, std::stoi(p.problem)}; };
  auto detokenize = [](std::span<const int32_t> tokens) {
    std::string text;
    for (int32_t t : tokens) text += static_cast<char>('a' + t % 26);
    return text;
  };
  auto reward = [&](const Problem& p, std::string_view text) {
    seen.push_back(p.id);
    return !text.empty() && (text[0] - 'a') % 3 == 0 ? 1.0 : 0.0;
  };
  run_rl(model, trainer, problems, encode, detokenize, reward, options, start, [&](const RLStepResult& r) {
    std::vector<std::string>& drawn = record.draws[r.step];
    for (size_t i = 0; i < seen.size(); i += kSamples) drawn.push_back(seen[i]);  // k rollouts per drawn problem
    seen.clear();
    record.from_curriculum[r.step] = r.from_curriculum;
    record.total_grad_norm += r.train.grad_norm;
  });
}

// The draw of plain runs, written out independently of rl_loop.cpp: a change of stream fails here.
std::vector<std::string> expected_draw(const std::vector<Problem>& set, int64_t step) {
  std::mt19937_64 rng(derive_seed(kSeed, cat("rl/problems/", step)));
  std::vector<size_t> order(set.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<std::string> ids;
  for (int64_t i = 0; i < kPrompts; ++i) ids.push_back(set[order[size_t(i) % order.size()]].id);
  return ids;
}

bool same_parameters(CausalLMImpl& a, CausalLMImpl& b) {
  auto pa = a.parameters(), pb = b.parameters();
  if (pa.size() != pb.size()) return false;
  for (size_t i = 0; i < pa.size(); ++i) {
    if (!at::equal(pa[i], pb[i])) return false;
  }
  return true;
}

TEST(Curriculum, FirstPhaseDrawsOnlySyntheticThenOnlyReal) {
  const auto synthetic = problem_set("s", 5), real = problem_set("r", 7);
  CausalLM model = tiny_model(17);
  PolicyTrainer trainer(*model, trainer_config());
  Record record;
  run_steps(*model, trainer, real, loop_options(RLCurriculum{synthetic, kFirstPhase}), 0, kSteps, record);
  ASSERT_EQ(record.draws.size(), size_t(kSteps));
  for (int64_t step = 0; step < kSteps; ++step) {
    const bool first = step < kFirstPhase;
    EXPECT_EQ(record.from_curriculum[step], first) << "step " << step;
    // After the switch, exactly what a run on the real problems alone draws at that step.
    EXPECT_EQ(record.draws[step], expected_draw(first ? synthetic : real, step)) << "step " << step;
  }
  EXPECT_GT(record.total_grad_norm, 0.0);  // the runs compared below really train
}

TEST(Curriculum, WithoutCurriculumEveryStepDrawsAsBefore) {
  const auto real = problem_set("r", 7);
  CausalLM model = tiny_model(17);
  PolicyTrainer trainer(*model, trainer_config());
  Record record;
  run_steps(*model, trainer, real, loop_options(std::nullopt), 0, kSteps, record);
  for (int64_t step = 0; step < kSteps; ++step) {
    EXPECT_FALSE(record.from_curriculum[step]);
    EXPECT_EQ(record.draws[step], expected_draw(real, step)) << "step " << step;
  }
}

TEST(Curriculum, MixedSetDrawsFromBothFilesWithIdsKept) {
  const auto synthetic = problem_set("s", 5), real = problem_set("r", 7);
  const std::vector<Problem> mixed = concatenate_problem_sets(synthetic, "syn.jsonl", real, "train.jsonl");
  ASSERT_EQ(mixed.size(), 12u);
  EXPECT_EQ(mixed.front().id, "s0");
  EXPECT_EQ(mixed[5].id, "r0");  // synthetic first, then D_train
  CausalLM model = tiny_model(17);
  PolicyTrainer trainer(*model, trainer_config());
  Record record;
  run_steps(*model, trainer, mixed, loop_options(std::nullopt), 0, kSteps, record);
  std::set<char> sources;
  for (int64_t step = 0; step < kSteps; ++step) {
    EXPECT_EQ(record.draws[step], expected_draw(mixed, step)) << "step " << step;
    for (const std::string& id : record.draws[step]) sources.insert(id[0]);
  }
  EXPECT_EQ(sources, (std::set<char>{'r', 's'}));  // both files are drawn from over the run
}

TEST(Curriculum, MixedSetRefusesAnIdInBothFiles) {
  auto synthetic = problem_set("s", 2), real = problem_set("r", 2);
  synthetic[1].id = "r0";
  try {
    concatenate_problem_sets(synthetic, "syn.jsonl", real, "train.jsonl");
    FAIL() << "a duplicate id was accepted";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("'r0'"), std::string::npos) << message;
    EXPECT_NE(message.find("syn.jsonl"), std::string::npos) << message;
    EXPECT_NE(message.find("train.jsonl"), std::string::npos) << message;
  }
}

TEST(Curriculum, RefusesAnEmptyFirstPhase) {
  CausalLM model = tiny_model(17);
  PolicyTrainer trainer(*model, trainer_config());
  Record record;
  EXPECT_THROW(run_steps(*model, trainer, problem_set("r", 3), loop_options(RLCurriculum{{}, 2}), 0, kSteps, record),
               Error);
}

// Resumed from a checkpoint saved after `stop` steps, into fresh objects as `soar train-rl` does.
void expect_resume_equals_uninterrupted(int64_t stop) {
  const auto synthetic = problem_set("s", 5), real = problem_set("r", 7);
  const RLLoopOptions options = loop_options(RLCurriculum{synthetic, kFirstPhase});
  CausalLM straight = tiny_model(17);
  PolicyTrainer straight_trainer(*straight, trainer_config());
  Record straight_record;
  run_steps(*straight, straight_trainer, real, options, 0, kSteps, straight_record);

  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / cat("soar_curriculum_test_", ::getpid(), "_", stop);
  CausalLM first = tiny_model(17);
  PolicyTrainer first_trainer(*first, trainer_config());
  Record resumed_record;
  run_steps(*first, first_trainer, real, options, 0, stop, resumed_record);
  save_rl_checkpoint(dir, *first, first_trainer, stop, "");

  CausalLM resumed = tiny_model(99);  // other weights: the checkpoint must restore them
  PolicyTrainer resumed_trainer(*resumed, trainer_config());
  ASSERT_EQ(load_rl_checkpoint(dir, *resumed, resumed_trainer), std::optional<int64_t>(stop));
  resumed_trainer.set_steps_done(stop);
  run_steps(*resumed, resumed_trainer, real, options, stop, kSteps, resumed_record);
  remove_tree(dir);

  EXPECT_EQ(resumed_record.draws, straight_record.draws);
  EXPECT_EQ(resumed_record.from_curriculum, straight_record.from_curriculum);
  EXPECT_TRUE(same_parameters(*resumed, *straight)) << "resumed at step " << stop;
}

TEST(Curriculum, ResumeInsideTheFirstPhaseEqualsUninterrupted) { expect_resume_equals_uninterrupted(kFirstPhase - 1); }
TEST(Curriculum, ResumeAfterTheSwitchEqualsUninterrupted) { expect_resume_equals_uninterrupted(kFirstPhase + 1); }

}  // namespace
}  // namespace soar
