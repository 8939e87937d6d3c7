// The meta-loop's rules (soar.md, Algorithm 1) against hand-computed values, and real outer steps on
// a toy task whose every recorded number, the teacher's update and the promoted student are
// recomputed independently from the public pieces with the same named seeds.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "core/directory.h"
#include "core/error.h"
#include "core/seed.h"
#include "meta/budget.h"
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
  // B.4: 0 when p = 0, else 1 - p: {0, 0.75, 0.5, 0} -> mean 0.3125
  EXPECT_DOUBLE_EQ(intrinsic_reward(TeacherRewardKind::Learnability, p), 0.3125);
  // R-Zero: 1 - 2|p - 1/2|: {0, 0.5, 1, 0} -> 0.375
  EXPECT_DOUBLE_EQ(intrinsic_reward(TeacherRewardKind::Uncertainty, p), 0.375);
  EXPECT_DOUBLE_EQ(intrinsic_reward(TeacherRewardKind::Learnability, {}), 0.0);
  EXPECT_THROW(intrinsic_reward(TeacherRewardKind::Grounded, p), Error);
  EXPECT_THROW(parse_teacher_reward("curiosity"), Error);
}

TEST(Promotion, MovingAverageOfTheLastWindowStepsMustExceedTau) {
  Promotion promotion({.tau = 0.05, .window = 3});
  EXPECT_FALSE(promotion.record(0.04));  // {0.04}: the average of the steps so far
  EXPECT_TRUE(promotion.record(0.08));   // {0.04, 0.08}: 0.06
  EXPECT_EQ(promotion.recent().size(), 2u) << "the paper's window is never cleared";
  EXPECT_FALSE(promotion.record(0.0));   // {0.04, 0.08, 0.0}: 0.04
  EXPECT_TRUE(promotion.record(0.12));   // {0.08, 0.0, 0.12}: 0.0667 (0.04 slid out)
}

TEST(Promotion, ThresholdIsStrictAndTheWindowSlides) {
  Promotion promotion({.tau = 0.05, .window = 3});
  EXPECT_FALSE(promotion.record(0.05));  // {0.05}: not above tau
  EXPECT_FALSE(promotion.record(0.02));  // 0.035
  EXPECT_TRUE(promotion.record(0.11));   // {0.05, 0.02, 0.11}: 0.06
  EXPECT_FALSE(promotion.record(-0.1));  // {0.02, 0.11, -0.1}: 0.01 (0.05 slid out)
  EXPECT_NEAR(promotion.moving_average(), 0.01, 1e-12);
  EXPECT_THROW(Promotion({.tau = 0.0, .window = 0}), Error);
}

TEST(Promotion, RestartOptionWaitsForAFullWindowAndClearsIt) {
  Promotion promotion({.tau = 0.05, .window = 3, .restart_window = true});
  EXPECT_FALSE(promotion.record(0.2));   // window not full yet
  EXPECT_FALSE(promotion.record(0.0));
  EXPECT_FALSE(promotion.record(-0.08)); // average 0.04: not above tau
  EXPECT_TRUE(promotion.record(0.3));    // window {0, -0.08, 0.3}: 0.0733
  EXPECT_TRUE(promotion.recent().empty()) << "the window restarts after a promotion";
  EXPECT_FALSE(promotion.record(1.0));
}

TEST(Promotion, MedianStudentAndBestDataset) {
  EXPECT_EQ(median_student({0.3, 0.1, 0.2}), 2);        // sorted 0.1 0.2 0.3: the middle is student 2
  EXPECT_EQ(median_student({0.4, 0.1, 0.3, 0.2}), 3);   // r = 4: the lower middle, 0.2
  EXPECT_EQ(median_student({0.5}), 0);
  EXPECT_EQ(median_student({0.1, 0.1, 0.1, 0.1}), 1);   // ties: stable order 0 1 2 3, lower middle = 1
  EXPECT_EQ(best_dataset({0.1, 0.3, 0.3, -1.0}), 1);     // the first maximum
  EXPECT_THROW(median_student({}), Error);
}

TEST(TeacherUpdate, RlooAcrossDatasetsMatchesFormula) {
  // The teacher's rollouts are the g datasets of one step, one group: A_k = R_k - mean of the others.
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

TEST(Budget, OneOuterStepOfThePaperRecipe) {
  MetaConfig c;  // the paper's defaults: g 4, n 64, r 4, K 10, batch 8 x group 32, M 64
  c.teacher_sampling.max_new_tokens = 512;
  c.inner.sampling.max_new_tokens = c.measure_sampling.max_new_tokens = 1024;
  StepBudget b = outer_step_budget(c, false);
  EXPECT_EQ(b.teacher.sequences, 256);
  EXPECT_EQ(b.teacher.max_tokens, 256 * 512);
  EXPECT_EQ(b.inner_loops, 16);
  EXPECT_EQ(b.inner_sampled.sequences, 16 * 10 * 8 * 32);  // 40,960: soar.md's "~41k student samples"
  EXPECT_EQ(b.measure.sequences, 17 * 64);
  EXPECT_EQ(b.promotion.sequences, 0);
  StepBudget after = outer_step_budget(c, true);
  EXPECT_EQ(after.inner_steps, 15);
  EXPECT_EQ(after.inner_sampled.sequences, 16 * 15 * 8 * 32);
  EXPECT_EQ(after.promotion.sequences, 15 * 8 * 32);
  c.teacher_reward = TeacherRewardKind::Learnability;
  c.intrinsic_sampling.max_new_tokens = 1024;
  StepBudget intrinsic = outer_step_budget(c, false);
  EXPECT_EQ(intrinsic.inner_sampled.sequences, 0);
  EXPECT_EQ(intrinsic.measure.sequences, 256 * 32);
}

// A toy world: token t is the letter 'a' + t. A student question is one letter q in e..n; its
// answer is the letter of 4 + (3q + 1) % 10. A teacher rollout is two letters: accepted when the first
// is a question letter (about 10 in 32 of a random teacher's rollouts), rejected otherwise.
struct ToyWorld {
  static std::string letters(std::span<const int32_t> tokens) {
    std::string text;
    for (int32_t t : tokens) text.push_back(static_cast<char>('a' + t));
    return text;
  }
  static std::string answer_of(char q) { return std::string(1, static_cast<char>('a' + 4 + (3 * (q - 'a') + 1) % 10)); }

  static MetaTask task() {
    MetaTask t;
    t.teacher_prompt = {1, 2};
    t.parse = [](std::string_view text) -> ParsedRollout {
      if (text.size() < 2) return {std::nullopt, "too short"};
      if (text[0] < 'e' || text[0] >= 'o') return {std::nullopt, "not a question"};
      // The pair states the true answer (its second letter is ignored), so that training on it can
      // move the student's greedy answers on Q_R.
      return {Problem{"", std::string(1, text[0]), answer_of(text[0])}, ""};
    };
    t.encode_student = [](const Problem& p) { return std::vector<int32_t>{1, p.problem[0] - 'a'}; };
    t.detokenize = [](std::span<const int32_t> tokens) { return letters(tokens); };
    t.reward = t.correct = [](const Problem& p, std::string_view completion) {
      return completion.substr(0, 1) == p.answer ? 1.0 : 0.0;
    };
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

MetaConfig toy_meta_config() {
  MetaConfig config;
  config.outer_steps = 1;
  config.datasets = 3, config.questions = 2, config.students = 2;
  config.inner = {.steps = 2, .prompts_per_step = 2, .samples_per_prompt = 4,
                  .trainer = {.learning_rate = 1e-1, .min_lr_ratio = 0.0, .micro_batch_size = 16},
                  .sampling = {.temperature = 1.0, .max_new_tokens = 1}};
  config.promoted_extra_steps = 1;
  config.reward_problems = 10;
  config.teacher_sampling = {.temperature = 1.0, .max_new_tokens = 2};
  config.measure_sampling = {.temperature = 0.0, .max_new_tokens = 1};
  config.intrinsic_sampling = {.temperature = 1.0, .max_new_tokens = 1};
  config.intrinsic_samples = 4;
  config.promotion = {.tau = -1.0, .window = 1};  // promote every step: the promotion is checked
  config.seed = 3;
  return config;
}

bool same_weights(CausalLMImpl& a, CausalLMImpl& b) {
  auto theirs = b.named_parameters();
  for (const auto& item : a.named_parameters()) {
    if (!at::equal(item.value(), *theirs.find(item.key()))) return false;
  }
  return true;
}

// The run's models: teacher, baseline and a work copy from two initialisations, and the initial
// student kept aside for the independent recomputation.
struct ToyModels {
  CausalLM teacher{toy_config()}, baseline{toy_config()}, scratch{toy_config()};
  CausalLM teacher_before{toy_config()}, initial{toy_config()};
  ToyModels() {
    teacher->initialize_weights(1);
    baseline->initialize_weights(2);
    teacher_before->copy_parameters_from(*teacher);
    initial->copy_parameters_from(*baseline);
  }
  MetaModels models() { return {*teacher, *baseline, *scratch, nullptr}; }
};

// Runs the loop on the toy models with a fresh teacher trainer and promotion; every step's record.
std::vector<OuterStepRecord> run_toy(ToyModels& m, const MetaTask& task, const MetaConfig& config, MetaProgress progress = {}) {
  PolicyTrainer teacher_trainer(*m.teacher, {.learning_rate = 1e-3});
  Promotion promotion(config.promotion);
  std::vector<OuterStepRecord> records;
  run_meta(m.models(), teacher_trainer, promotion, task, config, progress,
           [&](const OuterStepRecord& s) { records.push_back(s); });
  return records;
}

std::vector<Problem> draw_q(const MetaTask& task, const MetaConfig& config, int64_t step) {
  std::vector<size_t> order(task.reward_set.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::mt19937_64 rng(derive_seed(config.seed, cat("meta/q/", step)));
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<Problem> q;
  for (int64_t i = 0; i < config.reward_problems; ++i) q.push_back(task.reward_set[order[i]]);
  return q;
}

// One real outer step; every number is recomputed from the public pieces with the same seeds.
TEST(MetaLoopStep, EveryRuleOfAlgorithmOneRecomputedIndependently) {
  const MetaTask task = ToyWorld::task();
  const MetaConfig config = toy_meta_config();
  const int64_t g = config.datasets, n = config.questions, r = config.students;
  ToyModels m;
  const std::vector<OuterStepRecord> records = run_toy(m, task, config);
  ASSERT_EQ(records.size(), 1u);
  const OuterStepRecord& record = records[0];

  // 1. Rejection sampling: exactly g n accepted pairs, some rollouts rejected and resampled.
  SamplingParams teacher_sampling = config.teacher_sampling;
  teacher_sampling.seed = derive_seed(config.seed, "meta/teacher/0");
  TeacherBatch batch = sample_accepted_pairs(*m.teacher_before, task.teacher_prompt, task.detokenize, task.parse, g * n,
                                             teacher_sampling, config.teacher_max_rounds);
  ASSERT_EQ(static_cast<int64_t>(batch.accepted.size()), g * n);
  EXPECT_EQ(record.teacher.accepted, g * n);
  EXPECT_EQ(record.teacher.sampled, batch.sampled());
  ASSERT_GT(batch.sampled(), g * n) << "a seed where some rollouts are rejected, so that resampling is tested";
  EXPECT_GT(record.teacher.rounds, 1);
  for (int64_t k = 0; k < g; ++k) {
    ASSERT_EQ(static_cast<int64_t>(record.trained_datasets[k].size()), n);
    for (int64_t i = 0; i < n; ++i) {
      const Problem& expected = batch.accepted[k * n + i].problem;
      EXPECT_EQ(record.trained_datasets[k][i].problem, expected.problem);
      EXPECT_EQ(record.trained_datasets[k][i].answer, expected.answer);
      EXPECT_EQ(record.trained_datasets[k][i].id, cat(k, ".", i));
    }
  }

  // 2. Greedy Q_R accuracy of the baseline: the same under another sampling seed.
  const std::vector<Problem> q = draw_q(task, config, 0);
  SamplingParams greedy = config.measure_sampling;
  greedy.seed = derive_seed(config.seed, "meta/measure/0");
  const SuccessEstimate base = measure_success(*m.initial, q, task.encode_student, task.detokenize, task.correct, 1, greedy);
  greedy.seed = 12345;
  EXPECT_DOUBLE_EQ(measure_success(*m.initial, q, task.encode_student, task.detokenize, task.correct, 1, greedy).mean, base.mean);
  ASSERT_TRUE(record.baseline_success.has_value());
  EXPECT_DOUBLE_EQ(*record.baseline_success, base.mean);

  // 3. r students per dataset from the initial baseline; R_k is the mean of their rewards.
  std::vector<double> rewards(g, 0.0);
  std::vector<std::vector<double>> student_rewards(g);
  for (int64_t k = 0; k < g; ++k) {
    ASSERT_EQ(static_cast<int64_t>(record.datasets[k].students.size()), r);
    for (int64_t j = 0; j < r; ++j) {
      CausalLM student(toy_config());
      student->copy_parameters_from(*m.initial);
      train_student(*student, record.trained_datasets[k], task.encode_student, task.detokenize, task.reward, config.inner,
                    derive_seed(config.seed, cat("meta/inner/0/", k, "/", j)));
      const SuccessEstimate s = measure_success(*student, q, task.encode_student, task.detokenize, task.correct, 1, greedy);
      EXPECT_DOUBLE_EQ(record.datasets[k].students[j].reward, s.mean - base.mean) << k << "," << j;
      student_rewards[k].push_back(s.mean - base.mean);
      rewards[k] += (s.mean - base.mean) / static_cast<double>(r);
    }
    EXPECT_DOUBLE_EQ(*record.datasets[k].reward, rewards[k]);
    EXPECT_DOUBLE_EQ(record.datasets[k].teacher_reward, rewards[k]);
  }
  ASSERT_TRUE(record.mean_reward.has_value());
  EXPECT_NEAR(*record.mean_reward, (rewards[0] + rewards[1] + rewards[2]) / 3.0, 1e-15);
  ASSERT_FALSE(rewards[0] == rewards[1] && rewards[1] == rewards[2]) << "equal rewards: the update check tests nothing";

  // 4. Promotion: the median student of the best dataset, trained again here, is the new baseline.
  ASSERT_TRUE(record.promoted);
  const int64_t best = best_dataset(rewards), median = median_student(student_rewards[best]);
  EXPECT_EQ(record.promoted_dataset, best);
  EXPECT_EQ(record.promoted_student, median);
  CausalLM promoted(toy_config());
  promoted->copy_parameters_from(*m.initial);
  train_student(*promoted, record.trained_datasets[best], task.encode_student, task.detokenize, task.reward, config.inner,
                derive_seed(config.seed, cat("meta/inner/0/", best, "/", median)));
  EXPECT_TRUE(same_weights(*m.baseline, *promoted));
  EXPECT_EQ(record.promoted_questions.size(), static_cast<size_t>(n));

  // 5. The teacher: one RLOO step over the g datasets, on the accepted rollouts only.
  at::Tensor grouped = at::tensor(rewards, at::kDouble).view({1, g});
  at::Tensor advantages = compute_advantages(grouped, AdvantageEstimator::RLOO);
  StepLayout layout{.total_chunks = g, .group = nullptr, .advantages = {}};
  std::vector<Rollout> rollouts;
  for (int64_t i = 0; i < g * n; ++i) {
    const TeacherRollout& t = batch.accepted[i];
    rollouts.push_back({task.teacher_prompt, t.tokens, t.logprobs, rewards[i / n], 0, i / n});
    layout.advantages.push_back(advantages[0][i / n].item<double>());
  }
  CausalLM expected_teacher(toy_config());
  expected_teacher->copy_parameters_from(*m.teacher_before);
  PolicyTrainer expected_trainer(*expected_teacher, {.learning_rate = 1e-3});
  expected_trainer.step(rollouts, layout);
  EXPECT_TRUE(same_weights(*m.teacher, *expected_teacher));
  EXPECT_FALSE(same_weights(*m.teacher, *m.teacher_before));
}

// After the first promotion inner loops take K + promoted_extra_steps steps.
TEST(MetaLoopStep, InnerLoopsAreLongerOncePromoted) {
  const MetaTask task = ToyWorld::task();
  MetaConfig config = toy_meta_config();
  config.outer_steps = 2;
  ToyModels m;
  const std::vector<OuterStepRecord> records = run_toy(m, task, config);
  ASSERT_EQ(records.size(), 2u);
  ASSERT_TRUE(records[0].promoted);
  const int64_t per_step = config.inner.prompts_per_step * config.inner.samples_per_prompt;
  EXPECT_EQ(records[0].inner_steps, 2);
  EXPECT_EQ(records[1].inner_steps, 3);
  EXPECT_EQ(records[0].datasets[0].students[0].inner_samples, 2 * per_step);
  EXPECT_EQ(records[1].datasets[0].students[0].inner_samples, 3 * per_step);
  // A run resumed after a promotion (progress says so) also trains K + extra steps.
  ToyModels resumed;
  const std::vector<OuterStepRecord> later = run_toy(resumed, task, config, {.start_step = 1, .promotions = 1});
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(later[0].inner_steps, 3);
}

std::vector<nlohmann::json> json_lines(const std::filesystem::path& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << path;
  std::vector<nlohmann::json> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

// Text as a JSON log keeps it: each ill-formed UTF-8 sequence replaced by U+FFFD (nlohmann's writer).
std::string as_logged(const std::string& text) {
  return nlohmann::json::parse(nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)).get<std::string>();
}

// A kept step's rollout logs: every teacher rollout with its verdict (the accepted ones in their
// datasets with R_k and the RLOO advantage), each student's inner loop and Q_R answers, the
// baseline's, all consistent with the step's record.
TEST(MetaRollouts, TeacherVerdictsAndStudentFilesAgreeWithTheRecord) {
  const MetaTask task = ToyWorld::task();
  MetaConfig config = toy_meta_config();
  config.rollouts_dir = std::filesystem::temp_directory_path() / cat("soar_meta_rollouts_", ::getpid());
  remove_tree(config.rollouts_dir);
  ToyModels m;
  const std::vector<OuterStepRecord> records = run_toy(m, task, config);
  const OuterStepRecord& r = records.at(0);
  const std::filesystem::path dir = config.rollouts_dir / "step_1";

  const std::vector<nlohmann::json> teacher = json_lines(dir / "teacher.jsonl");
  ASSERT_EQ(static_cast<int64_t>(teacher.size()), r.teacher.sampled);
  std::map<std::string, int64_t> rejections;
  int64_t accepted = 0;
  double advantage_sum = 0;
  for (const nlohmann::json& t : teacher) {
    if (t["verdict"] == "rejected") {
      ++rejections[t["reason"].get<std::string>()];
      continue;
    }
    if (t["verdict"] != "accepted") continue;
    ++accepted;
    const size_t k = t["dataset"], position = t["position"];
    EXPECT_EQ(t["question"], r.trained_datasets.at(k).at(position).problem);
    // The log is JSON: invalid UTF-8 a random teacher writes is replaced (U+FFFD), as JSON's writer does.
    EXPECT_EQ(t["completion"], as_logged(r.teacher_texts.at(k).at(position)));
    EXPECT_EQ(t["reward"].get<double>(), r.datasets.at(k).teacher_reward);
    advantage_sum += t["advantage"].get<double>();
  }
  EXPECT_EQ(accepted, config.datasets * config.questions);
  EXPECT_EQ(rejections, r.teacher.rejections);
  EXPECT_FALSE(rejections.empty());  // a random teacher writes rejected rollouts: their reasons are kept
  EXPECT_NEAR(advantage_sum, 0.0, 1e-9);  // RLOO advantages over datasets, n rollouts each

  EXPECT_EQ(static_cast<int64_t>(json_lines(dir / "baseline_measure.jsonl").size()), config.reward_problems);
  for (const DatasetRecord& d : r.datasets) {
    for (const StudentRecord& s : d.students) {
      const std::filesystem::path base = dir / cat("dataset_", s.dataset);
      const std::vector<nlohmann::json> inner = json_lines(base / cat("student_", s.student, "_inner.jsonl"));
      EXPECT_EQ(static_cast<int64_t>(inner.size()), s.inner_samples);
      EXPECT_EQ(inner.back()["step"], config.inner.steps);
      const std::vector<nlohmann::json> measure = json_lines(base / cat("student_", s.student, "_measure.jsonl"));
      ASSERT_EQ(static_cast<int64_t>(measure.size()), s.measure_samples);
      double correct = 0;
      for (const nlohmann::json& a : measure) correct += a["verdict"] == "correct" ? 1 : 0;
      EXPECT_DOUBLE_EQ(correct / static_cast<double>(measure.size()), s.success);
    }
  }
  remove_tree(config.rollouts_dir);
}

// The learnability teacher (B.4) is rewarded from the initial student's own success on its
// questions: no inner loop, no Q_R measurement, no promotion.
TEST(MetaLoopStep, LearnabilityNeverRunsAnInnerLoop) {
  const MetaTask task = ToyWorld::task();
  MetaConfig config = toy_meta_config();
  config.teacher_reward = TeacherRewardKind::Learnability;
  config.intrinsic_samples = 32;  // the paper's: enough for some questions to have 0 < p < 1
  config.outer_steps = 2;
  ToyModels m;
  const std::vector<OuterStepRecord> records = run_toy(m, task, config);
  ASSERT_EQ(records.size(), 2u);
  for (const OuterStepRecord& record : records) {
    EXPECT_EQ(record.inner_samples, 0);
    EXPECT_FALSE(record.baseline_success.has_value());
    EXPECT_FALSE(record.mean_reward.has_value());
    EXPECT_FALSE(record.promoted) << "tau = -1 would promote any grounded step";
    for (const DatasetRecord& d : record.datasets) {
      EXPECT_TRUE(d.students.empty());
      EXPECT_FALSE(d.reward.has_value());
      EXPECT_EQ(d.intrinsic_samples, config.intrinsic_samples * config.questions);
    }
  }
  EXPECT_TRUE(same_weights(*m.baseline, *m.initial)) << "the student never changes";
  EXPECT_FALSE(same_weights(*m.teacher, *m.teacher_before));
  // Step 1's rewards from the initial student's success on each dataset's questions.
  for (int64_t k = 0; k < config.datasets; ++k) {
    SamplingParams sampling = config.intrinsic_sampling;
    sampling.seed = derive_seed(config.seed, cat("meta/intrinsic/0/", k));
    const SuccessEstimate own = measure_success(*m.initial, records[0].trained_datasets[k], task.encode_student,
                                                task.detokenize, task.correct, config.intrinsic_samples, sampling);
    EXPECT_DOUBLE_EQ(records[0].datasets[k].teacher_reward, intrinsic_reward(TeacherRewardKind::Learnability, own.per_problem));
  }
}

TEST(TeacherSampling, FailsClearlyWhenTooFewRolloutsAreAccepted) {
  MetaTask task = ToyWorld::task();
  task.parse = [](std::string_view) -> ParsedRollout { return {std::nullopt, "never"}; };
  CausalLM teacher(toy_config());
  teacher->initialize_weights(1);
  try {
    sample_accepted_pairs(*teacher, task.teacher_prompt, task.detokenize, task.parse, 4, {.max_new_tokens = 2, .seed = 1}, 3);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    const std::string message = e.what();
    for (const char* part : {"0 accepted", "of the 4 needed", "3 sampling rounds", "acceptance rate 0", "never: "}) {
      EXPECT_NE(message.find(part), std::string::npos) << part << "\n" << message;
    }
  }
}

}  // namespace
}  // namespace soar::meta
