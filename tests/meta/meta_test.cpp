// The meta-loop's pieces against hand-computed values, and one real outer step on a toy task whose
// recorded teacher reward must equal the improvement measured independently.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <random>

#include "core/error.h"
#include "core/seed.h"
#include "meta/meta_loop.h"

namespace soar::meta {
namespace {

TEST(GroundedReward, IsPairedDifferenceWithItsStandardError) {
  SuccessEstimate student{0.5, {1.0, 0.5, 0.0, 0.5}, 16, 0};
  SuccessEstimate baseline{0.25, {0.5, 0.5, 0.0, 0.0}, 16, 0};
  Improvement r = paired_improvement(student, baseline);
  EXPECT_DOUBLE_EQ(r.reward, 0.25);
  // differences {0.5, 0, 0, 0.5}: sd = sqrt(1/12) (n - 1 = 3), se = sd / 2
  EXPECT_NEAR(r.standard_error, std::sqrt(1.0 / 12.0) / 2.0, 1e-12);
  SuccessEstimate other{0.5, {0.5}, 2, 0};
  EXPECT_THROW(paired_improvement(student, other), Error);
}

TEST(IntrinsicRewards, LearnabilityAndUncertaintyFormulas) {
  std::vector<double> p = {0.0, 0.25, 0.5, 1.0};
  // AZR: 1 - p inside (0, 1): {0, 0.75, 0.5, 0} -> mean 0.3125
  EXPECT_DOUBLE_EQ(intrinsic_reward(TeacherRewardKind::Learnability, p), 0.3125);
  // R-Zero: 1 - 2|p - 1/2|: {0, 0.5, 1, 0} -> 0.375
  EXPECT_DOUBLE_EQ(intrinsic_reward(TeacherRewardKind::Uncertainty, p), 0.375);
  EXPECT_DOUBLE_EQ(intrinsic_reward(TeacherRewardKind::Learnability, {}), 0.0);
  EXPECT_THROW(intrinsic_reward(TeacherRewardKind::Grounded, p), Error);
  EXPECT_THROW(parse_teacher_reward("curiosity"), Error);
}

TEST(Promotion, MovingAverageOverWindowMustExceedTau) {
  Promotion promotion({.tau = 0.05, .window = 3});
  EXPECT_FALSE(promotion.record(0.2));   // window not full yet
  EXPECT_FALSE(promotion.record(0.0));
  EXPECT_FALSE(promotion.record(-0.08)); // average 0.04: not above tau
  EXPECT_TRUE(promotion.record(0.3));    // window {0, -0.08, 0.3}: 0.0733
  EXPECT_TRUE(promotion.recent().empty()) << "the window restarts after a promotion";
  EXPECT_FALSE(promotion.record(1.0));
}

TEST(TeacherUpdate, RlooAcrossDatasetsMatchesFormula) {
  // The teacher's rollouts are the g datasets of one step, one group: A_i = r_i - mean of the others.
  at::Tensor rewards = at::tensor({0.1, -0.05, 0.0, 0.25}, at::kDouble).view({1, 4});
  at::Tensor a = compute_advantages(rewards, AdvantageEstimator::RLOO);
  for (int i = 0; i < 4; ++i) {
    double others = (rewards.sum().item<double>() - rewards[0][i].item<double>()) / 3.0;
    EXPECT_NEAR(a[0][i].item<double>(), rewards[0][i].item<double>() - others, 1e-12);
  }
}

TEST(Diversity, BigramsAndDuplicates) {
  std::vector<Problem> problems = {{"1", "abab", "x"}, {"2", "abab", "y"}, {"3", "cd", "z"}};
  EXPECT_NEAR(duplicate_rate(problems), 1.0 / 3.0, 1e-12);
  // bigrams: ab ba ab | ab ba ab | cd -> 7 total, 3 distinct
  EXPECT_NEAR(distinct_bigram_ratio(problems), 3.0 / 7.0, 1e-12);
}

// A toy world: token t is the letter 'a' + t. A student question is one letter q; its answer is the
// letter of 4 + (3q + 1) % 10. The teacher writes letter pairs "qa" that parse into questions.
struct ToyWorld {
  static std::string letters(std::span<const int32_t> tokens) {
    std::string text;
    for (int32_t t : tokens) text.push_back(static_cast<char>('a' + t));
    return text;
  }
  static std::string answer_of(char q) { return std::string(1, static_cast<char>('a' + 4 + (3 * (q - 'a') + 1) % 10)); }

  MetaTask task() const {
    MetaTask t;
    t.teacher_prompt = {1, 2};
    t.parse = [](std::string_view text) {
      ParsedDataset d;
      for (size_t i = 0; i + 1 < text.size(); i += 2) {
        char q = text[i];
        if (q < 'e' || q >= 'o') {
          ++d.malformed;
          continue;
        }
        d.problems.push_back({std::to_string(i / 2), std::string(1, q), std::string(1, text[i + 1])});
      }
      return d;
    };
    t.encode_student = [](const Problem& p) { return std::vector<int32_t>{1, p.problem[0] - 'a'}; };
    t.detokenize = [](std::span<const int32_t> tokens) { return letters(tokens); };
    t.reward = [](const Problem& p, std::string_view completion) { return completion.substr(0, 1) == p.answer ? 1.0 : 0.0; };
    for (char q = 'e'; q < 'o'; ++q) t.reward_set.push_back({std::string(1, q), std::string(1, q), answer_of(q)});
    return t;
  }
};

ModelConfig toy_config() {
  ModelConfig c;
  c.vocab_size = 32, c.hidden_size = 32, c.intermediate_size = 64, c.num_hidden_layers = 1;
  c.num_attention_heads = 4, c.num_key_value_heads = 2, c.head_dim = 8, c.max_position_embeddings = 64;
  return c;
}

// One real outer step with g = 3 datasets of m teacher completions each; every recorded reward
// is recomputed from the public pieces with the same named seeds. With m > 1 the datasets are
// rebuilt from a batch of g * m single-completion datasets: dataset i is completions i m .. i m +
// m - 1, their problems in order, ids prefixed by the completion ("k.id").
class MetaLoopStep : public ::testing::TestWithParam<int64_t> {};

TEST_P(MetaLoopStep, RecordedRewardEqualsIndependentlyMeasuredImprovement) {
  const int64_t g = 3, m = GetParam();
  ToyWorld world;
  MetaTask task = world.task();
  MetaConfig config;
  config.outer_steps = 1;
  config.datasets = g;
  config.completions_per_dataset = m;
  config.inner = {.steps = 3, .prompts_per_step = 4, .samples_per_prompt = 4,
                  .trainer = {.learning_rate = 3e-2, .micro_batch_size = 16},
                  .sampling = {.temperature = 1.0, .max_new_tokens = 1}};
  config.reward_problems = 6;
  config.reward_samples = 8;
  config.teacher_sampling = {.temperature = 1.0, .max_new_tokens = 12};
  config.student_sampling = {.temperature = 1.0, .max_new_tokens = 1};
  config.seed = 3;  // a seed whose rewards differ for m = 1 and 2, so that the teacher's update is checked

  CausalLM teacher(toy_config()), baseline(toy_config()), scratch(toy_config()), best(toy_config()), initial(toy_config());
  teacher->initialize_weights(1);
  baseline->initialize_weights(2);
  initial->copy_parameters_from(*baseline);
  PolicyTrainer teacher_trainer(*teacher, {.learning_rate = 1e-3});
  Promotion promotion({.tau = 0.0, .window = 1});
  OuterStepRecord record;
  CausalLM teacher_before(toy_config());
  teacher_before->copy_parameters_from(*teacher);
  run_meta(*teacher, *baseline, *scratch, *best, teacher_trainer, promotion, task, config, 0,
           [&](const OuterStepRecord& r) { record = r; });
  ASSERT_EQ(record.datasets.size(), static_cast<size_t>(g));
  EXPECT_EQ(record.teacher_samples, g * m);

  // Recompute step 1 from scratch with the public pieces and the same named seeds.
  SamplingParams teacher_sampling = config.teacher_sampling;
  teacher_sampling.seed = derive_seed(config.seed, "meta/teacher/0");
  auto completions = sample_datasets(*teacher_before, task.teacher_prompt, task.detokenize, task.parse, g * m, 1, teacher_sampling);
  std::vector<std::vector<Problem>> datasets(static_cast<size_t>(g));
  for (int64_t j = 0; j < g * m; ++j) {
    for (Problem p : completions[static_cast<size_t>(j)].dataset.problems) {
      if (m > 1) p.id = cat(j % m, ".", p.id);
      datasets[static_cast<size_t>(j / m)].push_back(p);
    }
  }
  std::vector<Problem> q = task.reward_set;  // |Q_t| = 6 of 10: recompute the same draw
  std::mt19937_64 rng(derive_seed(config.seed, "meta/q/0"));
  std::vector<size_t> order(q.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<Problem> reward_problems;
  for (size_t i = 0; i < 6; ++i) reward_problems.push_back(q[order[i]]);
  SamplingParams measure = config.student_sampling;
  measure.seed = derive_seed(config.seed, "meta/measure/0");
  SuccessEstimate base = measure_success(*initial, reward_problems, task.encode_student, task.detokenize, task.reward, 8, measure);
  EXPECT_DOUBLE_EQ(record.baseline_success, base.mean);
  for (int64_t i = 0; i < g; ++i) {
    const std::vector<Problem>& dataset = datasets[static_cast<size_t>(i)];
    const std::vector<Problem>& trained = record.trained_datasets[static_cast<size_t>(i)];
    ASSERT_EQ(trained.size(), dataset.size()) << "dataset " << i;
    for (size_t k = 0; k < dataset.size(); ++k) {
      EXPECT_EQ(trained[k].id, dataset[k].id);
      EXPECT_EQ(trained[k].problem, dataset[k].problem);
      EXPECT_EQ(trained[k].answer, dataset[k].answer);
    }
    CausalLM student(toy_config());
    student->copy_parameters_from(*initial);
    train_student(*student, dataset, task.encode_student, task.detokenize, task.reward, config.inner,
                  derive_seed(config.seed, cat("meta/inner/0/", i)));
    SuccessEstimate s = measure_success(*student, reward_problems, task.encode_student, task.detokenize, task.reward, 8, measure);
    EXPECT_DOUBLE_EQ(record.datasets[static_cast<size_t>(i)].grounded_reward, s.mean - base.mean) << "dataset " << i;
    EXPECT_EQ(record.datasets[static_cast<size_t>(i)].questions, static_cast<int64_t>(dataset.size()));
  }
  // The teacher was updated (its rewards differ unless all are equal)...
  bool teacher_changed = false;
  auto before_params = teacher_before->named_parameters();
  for (const auto& item : teacher->named_parameters()) teacher_changed = teacher_changed || !at::equal(item.value(), *before_params.find(item.key()));
  bool rewards_differ = record.datasets[0].grounded_reward != record.datasets[1].grounded_reward ||
                        record.datasets[1].grounded_reward != record.datasets[2].grounded_reward;
  EXPECT_EQ(teacher_changed, rewards_differ);
  ASSERT_TRUE(rewards_differ) << "equal rewards leave the teacher unchanged: the check below would test nothing";
  // ... exactly as one RLOO step over the g rewards would update it, with each of a dataset's m
  // completions a rollout carrying that dataset's advantage.
  at::Tensor rewards = at::zeros({1, g}, at::kDouble);
  for (int64_t i = 0; i < g; ++i) rewards[0][i] = record.datasets[static_cast<size_t>(i)].grounded_reward;
  at::Tensor advantages = compute_advantages(rewards, AdvantageEstimator::RLOO);
  StepLayout layout{g, nullptr, {}};
  std::vector<Rollout> rollouts;
  for (int64_t j = 0; j < g * m; ++j) {
    const TeacherCompletion& c = completions[static_cast<size_t>(j)].completions.at(0);
    ASSERT_FALSE(c.tokens.empty()) << "completion " << j;
    rollouts.push_back({task.teacher_prompt, c.tokens, c.logprobs, rewards[0][j / m].item<double>(), 0, j / m});
    layout.advantages.push_back(advantages[0][j / m].item<double>());
  }
  CausalLM expected_teacher(toy_config());
  expected_teacher->copy_parameters_from(*teacher_before);
  PolicyTrainer expected_trainer(*expected_teacher, {.learning_rate = 1e-3});
  expected_trainer.step(rollouts, layout);
  auto expected_params = expected_teacher->named_parameters();
  for (const auto& item : teacher->named_parameters()) {
    EXPECT_TRUE(at::equal(item.value(), *expected_params.find(item.key()))) << item.key();
  }
}

INSTANTIATE_TEST_SUITE_P(CompletionsPerDataset, MetaLoopStep, ::testing::Values(1, 2));

}  // namespace
}  // namespace soar::meta
