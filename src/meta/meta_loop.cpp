#include "meta/meta_loop.h"

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "core/error.h"
#include "core/seed.h"
#include "distributed/fault.h"
#include "distributed/tree_sum.h"
#include "meta/diversity.h"
#include "meta/rollout_files.h"

namespace soar::meta {

// Records cross ranks as JSON with named fields (a field added later cannot shift the others).
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(StudentRecord, dataset, student, success, reward, standard_error, inner_final_reward,
                                   inner_samples, measure_samples)

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// Every rank's items (JSON arrays), concatenated in rank order: each rank's contiguous chunk in turn.
template <typename T>
std::vector<T> gather_in_rank_order(dist::Group& group, const std::vector<T>& mine) {
  std::vector<T> all;
  for (const std::string& part : group.all_gather_bytes(nlohmann::json(mine).dump())) {
    try {
      for (const auto& item : nlohmann::json::parse(part)) all.push_back(item.template get<T>());
    } catch (const std::exception& e) {
      fail("corrupt records received from another rank: ", e.what());
    }
  }
  return all;
}

// The g datasets of one step (soar.md, Algorithm 1 step 1).
struct StepDatasets {
  std::vector<std::vector<TeacherRollout>> rollouts;  // by dataset; empty for the oracle
  std::vector<std::vector<Problem>> problems;         // by dataset, after any transform
  TeacherRecord teacher;
  std::vector<TeacherSample> teacher_samples;         // every rollout drawn, for the rollout log
};

StepDatasets write_datasets(CausalLMImpl& teacher, const MetaTask& task, const MetaConfig& config, int64_t step) {
  const int64_t g = config.datasets, n = config.questions;
  StepDatasets out;
  out.problems.resize(static_cast<size_t>(g));
  out.rollouts.resize(static_cast<size_t>(g));
  if (task.oracle) {
    for (int64_t k = 0; k < g; ++k) out.problems[k] = task.oracle(derive_seed(config.seed, cat("meta/oracle/", step, "/", k)));
  } else {
    SamplingParams sampling = config.teacher_sampling;
    sampling.seed = derive_seed(config.seed, cat("meta/teacher/", step));
    TeacherBatch batch = sample_accepted_pairs(teacher, task.teacher_prompt, task.detokenize, task.parse, g * n, sampling,
                                               config.teacher_max_rounds);
    out.teacher = {batch.sampled(), static_cast<int64_t>(batch.accepted.size()), batch.rounds, batch.acceptance_rate(),
                   batch.rejections};
    out.teacher_samples = std::move(batch.samples);
    // X_k = accepted pairs k n .. k n + n - 1, in sampling order.
    for (int64_t i = 0; i < g * n; ++i) {
      TeacherRollout& rollout = batch.accepted[static_cast<size_t>(i)];
      rollout.problem.id = cat(i / n, ".", i % n);
      out.problems[i / n].push_back(rollout.problem);
      out.rollouts[i / n].push_back(std::move(rollout));
    }
  }
  if (task.transform) {
    for (int64_t k = 0; k < g; ++k) {
      out.problems[k] = task.transform(out.problems[k], derive_seed(config.seed, cat("meta/transform/", step, "/", k)));
    }
  }
  return out;
}

// Q_R: M problems of D_train, drawn afresh each step; the same for the baseline and every student.
std::vector<Problem> draw_reward_problems(const std::vector<Problem>& set, int64_t count, uint64_t seed) {
  std::vector<size_t> order(set.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::mt19937_64 rng(seed);
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<Problem> sample;
  for (size_t i = 0; i < std::min(order.size(), static_cast<size_t>(count)); ++i) sample.push_back(set[order[i]]);
  return sample;
}

// With `step_dir` (the step keeps its rollouts), the estimate's rollouts hold the answers' lines.
SuccessEstimate measure_on(CausalLMImpl& policy, const std::vector<Problem>& problems, const MetaTask& task,
                           const MetaConfig& config, int64_t step, const std::optional<std::filesystem::path>& step_dir) {
  SamplingParams measure = config.measure_sampling;
  measure.seed = derive_seed(config.seed, cat("meta/measure/", step));
  const EvalRolloutLine lines =
      step_dir ? eval_rollout_line(config.rollouts, step + 1, problems.size(), rollout_judge(task)) : EvalRolloutLine{};
  return measure_success(policy, problems, task.encode_student, task.detokenize, task.correct, config.reward_samples,
                         measure, lines);
}

uint64_t inner_seed(const MetaConfig& config, int64_t step, int64_t k, int64_t j) {
  return derive_seed(config.seed, cat("meta/inner/", step, "/", k, "/", j));
}

// Algorithm 1 step 2 for this rank's units (k, j): a fresh copy of the baseline trained on X_k,
// measured on Q_R. Returns every rank's records, in unit order.
std::vector<StudentRecord> train_students(const MetaModels& models, const StepDatasets& datasets,
                                          const std::vector<Problem>& reward_problems, const SuccessEstimate& baseline,
                                          const MetaTask& task, const MetaConfig& config, int64_t step,
                                          InnerLoopConfig inner, dist::Group& group, OuterStepRecord& record) {
  const std::optional<std::filesystem::path> step_dir = step_rollout_dir(config, step + 1);
  const int64_t r = config.students;
  const dist::ChunkRange mine = dist::chunk_range(config.datasets * r, group.rank(), group.world_size());
  std::vector<StudentRecord> local;
  for (int64_t unit = mine.first; unit < mine.first + mine.count; ++unit) {
    StudentRecord s{.dataset = unit / r, .student = unit % r};
    const auto t0 = Clock::now();
    models.scratch.copy_parameters_from(models.baseline);
    // Every inner step is kept (a loop is short); rollouts.sample thins each step's problems.
    std::string inner_lines;
    const RLRolloutLog inner_log{{1, config.rollouts.sample, inner_seed(config, step, s.dataset, s.student)},
                                 rollout_judge(task), [&](int64_t, const std::string& lines) { inner_lines += lines; }};
    std::vector<double> rewards = train_student(models.scratch, datasets.problems[s.dataset], task.encode_student,
                                                task.detokenize, task.reward, inner,
                                                inner_seed(config, step, s.dataset, s.student), models.reference,
                                                step_dir ? &inner_log : nullptr);
    if (step_dir) write_rollout_file(student_rollout_file(*step_dir, s.dataset, s.student, "inner"), inner_lines);
    record.seconds_inner += seconds_since(t0);
    s.inner_final_reward = rewards.empty() ? 0.0 : rewards.back();
    s.inner_samples = static_cast<int64_t>(rewards.size()) * inner.prompts_per_step * inner.samples_per_prompt;
    const auto t1 = Clock::now();
    SuccessEstimate success = measure_on(models.scratch, reward_problems, task, config, step, step_dir);
    if (step_dir) write_rollout_file(student_rollout_file(*step_dir, s.dataset, s.student, "measure"), success.rollouts);
    record.seconds_measure += seconds_since(t1);
    const Improvement improvement = paired_improvement(success, baseline);
    s.success = success.mean, s.reward = improvement.reward, s.standard_error = improvement.standard_error;
    s.measure_samples = success.samples;
    local.push_back(s);
  }
  dist::kill_point(group.rank(), cat("meta/step/", step, "/inner"));
  return gather_in_rank_order(group, local);
}

// The intrinsic teachers (B.4): each question of X_k answered intrinsic_samples times by the
// baseline (the initial student: these runs never promote). Returns every dataset's reward.
std::vector<double> intrinsic_rewards(const MetaModels& models, const StepDatasets& datasets, const MetaTask& task,
                                      const MetaConfig& config, int64_t step, dist::Group& group) {
  const dist::ChunkRange mine = dist::chunk_range(config.datasets, group.rank(), group.world_size());
  std::vector<double> local;
  for (int64_t k = mine.first; k < mine.first + mine.count; ++k) {
    SamplingParams sampling = config.intrinsic_sampling;
    sampling.seed = derive_seed(config.seed, cat("meta/intrinsic/", step, "/", k));
    SuccessEstimate own = measure_success(models.baseline, datasets.problems[k], task.encode_student, task.detokenize,
                                          task.correct, config.intrinsic_samples, sampling);
    local.push_back(intrinsic_reward(config.teacher_reward, own.per_problem));
  }
  dist::kill_point(group.rank(), cat("meta/step/", step, "/inner"));
  return gather_in_rank_order(group, local);
}

// Dataset k's advantage in the teacher's update: R_k - mean of the other R_l (RLOO over datasets).
std::vector<double> teacher_advantages(const std::vector<double>& rewards) {
  const at::Tensor grouped = at::tensor(rewards, at::kDouble).view({1, static_cast<int64_t>(rewards.size())});
  const at::Tensor advantages = compute_advantages(grouped, AdvantageEstimator::RLOO).contiguous();
  return {advantages.data_ptr<double>(), advantages.data_ptr<double>() + advantages.numel()};
}

// Algorithm 1 step 4: one RLOO step over the g datasets; every accepted rollout of X_k carries
// its dataset's advantage. Each rank trains its own datasets' rollouts and the gradients are
// combined per dataset (trainer.h StepLayout), so every rank takes the same step.
void update_teacher(PolicyTrainer& trainer, const StepDatasets& datasets, const std::vector<double>& advantages,
                    const MetaTask& task, const MetaConfig& config, const std::vector<double>& rewards, dist::Group& group) {
  const int64_t g = config.datasets;
  const dist::ChunkRange mine = dist::chunk_range(g, group.rank(), group.world_size());
  StepLayout layout{.total_chunks = g, .group = &group, .advantages = {}};
  std::vector<Rollout> rollouts;
  for (int64_t k = mine.first; k < mine.first + mine.count; ++k) {
    for (const TeacherRollout& rollout : datasets.rollouts[k]) {
      rollouts.push_back({.prompt = task.teacher_prompt, .completion = rollout.tokens, .sampler_logprobs = rollout.logprobs,
                          .reward = rewards[k], .group = 0, .chunk = k});
      layout.advantages.push_back(advantages[k]);
    }
  }
  trainer.step(rollouts, layout);
}

// Algorithm 1 step 3's promotion: theta <- theta'_{k*,j*}. No rank keeps its trained students (that
// would be g r / W model copies); the owner of unit (k*, j*) trains it again from the same baseline
// with the same seed (the same bits: inner loops are deterministic) and sends it to every rank.
void promote(const MetaModels& models, const StepDatasets& datasets, const MetaTask& task, const MetaConfig& config,
             int64_t step, const InnerLoopConfig& inner, int64_t k, int64_t j, dist::Group& group) {
  const int64_t unit = k * config.students + j;
  int owner = 0;
  for (int rank = 0; rank < group.world_size(); ++rank) {
    const dist::ChunkRange range = dist::chunk_range(config.datasets * config.students, rank, group.world_size());
    if (unit >= range.first && unit < range.first + range.count) owner = rank;
  }
  if (group.rank() == owner) {
    models.scratch.copy_parameters_from(models.baseline);
    train_student(models.scratch, datasets.problems[k], task.encode_student, task.detokenize, task.reward, inner,
                  inner_seed(config, step, k, j), models.reference);
  }
  if (group.distributed()) {
    at::NoGradGuard no_grad;
    for (at::Tensor& p : models.scratch.parameters()) {
      at::Tensor value = p.detach();
      group.broadcast(value, owner);
    }
  }
  models.baseline.copy_parameters_from(models.scratch);
}

std::vector<std::string> questions_of(const std::vector<Problem>& problems) {
  std::vector<std::string> questions;
  for (const Problem& p : problems) questions.push_back(p.problem);
  return questions;
}

void describe_datasets(const StepDatasets& datasets, OuterStepRecord& record) {
  std::vector<std::string> all;
  for (size_t k = 0; k < datasets.problems.size(); ++k) {
    DatasetRecord d;
    d.questions = static_cast<int64_t>(datasets.problems[k].size());
    d.distinct_bigrams = distinct_bigram_ratio(datasets.problems[k]);
    d.duplicate_rate = duplicate_rate(datasets.problems[k]);
    const std::vector<std::string> questions = questions_of(datasets.problems[k]);
    d.vendi = vendi_score(questions);
    all.insert(all.end(), questions.begin(), questions.end());
    record.datasets.push_back(d);
    std::vector<std::string> texts;
    for (const TeacherRollout& rollout : datasets.rollouts[k]) texts.push_back(rollout.text);
    record.teacher_texts.push_back(std::move(texts));
    record.trained_datasets.push_back(datasets.problems[k]);
  }
  record.vendi = vendi_score(all);
}

// Steps 2-3 of a grounded step (SOAR, the base teacher, the oracle and the corruptions): inner loops,
// R_k, promotion. Returns the teacher's rewards, R_k.
std::vector<double> grounded_step(const MetaModels& models, const StepDatasets& datasets, Promotion& promotion,
                                  const MetaTask& task, const MetaConfig& config, int64_t step, MetaProgress& progress,
                                  dist::Group& group, OuterStepRecord& record) {
  const auto t0 = Clock::now();
  const std::vector<Problem> reward_problems =
      draw_reward_problems(task.reward_set, config.reward_problems, derive_seed(config.seed, cat("meta/q/", step)));
  const std::optional<std::filesystem::path> step_dir = step_rollout_dir(config, step + 1);
  const SuccessEstimate baseline = measure_on(models.baseline, reward_problems, task, config, step, step_dir);
  if (step_dir && group.is_root()) write_rollout_file(*step_dir / "baseline_measure.jsonl", baseline.rollouts);
  record.baseline_success = baseline.mean;
  record.measure_samples += baseline.samples;
  record.seconds_measure += seconds_since(t0);
  InnerLoopConfig inner = config.inner;
  if (progress.promotions > 0) inner.steps += config.promoted_extra_steps;
  record.inner_steps = inner.steps;

  std::vector<double> rewards(static_cast<size_t>(config.datasets), 0.0);
  for (const StudentRecord& s :
       train_students(models, datasets, reward_problems, baseline, task, config, step, inner, group, record)) {
    DatasetRecord& d = record.datasets[s.dataset];
    d.students.push_back(s);
    rewards[s.dataset] += s.reward / static_cast<double>(config.students);
    record.inner_samples += s.inner_samples;
    record.measure_samples += s.measure_samples;
  }
  double mean = 0;
  for (int64_t k = 0; k < config.datasets; ++k) {
    record.datasets[k].reward = record.datasets[k].teacher_reward = rewards[k];
    mean += rewards[k] / static_cast<double>(config.datasets);
  }
  record.mean_reward = mean;
  record.promoted = promotion.record(mean);
  record.promotion_average = promotion.moving_average();
  if (record.promoted) {
    const auto t1 = Clock::now();
    const int64_t k = best_dataset(rewards);
    std::vector<double> student_rewards;
    for (const StudentRecord& s : record.datasets[k].students) student_rewards.push_back(s.reward);
    const int64_t j = median_student(student_rewards);
    promote(models, datasets, task, config, step, inner, k, j, group);
    record.promoted_dataset = k, record.promoted_student = j;
    record.promoted_questions = datasets.problems[k];
    ++progress.promotions;
    record.seconds_inner += seconds_since(t1);
  }
  return rewards;
}

}  // namespace

double distinct_bigram_ratio(const std::vector<Problem>& problems) {
  std::set<std::string> distinct;
  int64_t total = 0;
  for (const auto& p : problems) {
    for (size_t i = 0; i + 1 < p.problem.size(); ++i, ++total) distinct.insert(p.problem.substr(i, 2));
  }
  return total == 0 ? 0.0 : static_cast<double>(distinct.size()) / static_cast<double>(total);
}

double duplicate_rate(const std::vector<Problem>& problems) {
  std::set<std::string> seen;
  int64_t duplicates = 0;
  for (const auto& p : problems) duplicates += seen.insert(p.problem).second ? 0 : 1;
  return problems.empty() ? 0.0 : static_cast<double>(duplicates) / static_cast<double>(problems.size());
}

void run_meta(const MetaModels& models, PolicyTrainer& teacher_trainer, Promotion& promotion, const MetaTask& task,
              const MetaConfig& config, MetaProgress progress,
              const std::function<void(const OuterStepRecord&)>& after_step) {
  if (task.reward_set.empty() && !is_intrinsic(config.teacher_reward)) fail("SOAR needs a non-empty D_train to reward the teacher");
  if (config.datasets < 2 && config.teacher_reward != TeacherRewardKind::None) {
    fail("the teacher's RLOO update compares datasets: g must be at least 2 (g = ", config.datasets, ")");
  }
  if (config.students < 1) fail("each dataset needs at least one student (r = ", config.students, ")");
  if (is_intrinsic(config.teacher_reward) && task.oracle) fail("the oracle curriculum has no teacher to reward");
  require_same_temperature(teacher_trainer.config(), config.teacher_sampling.temperature, "the teacher");
  require_same_temperature(config.inner.trainer, config.inner.sampling.temperature, "an inner loop");
  dist::Group single;
  dist::Group& group = config.group != nullptr ? *config.group : single;
  for (int64_t step = progress.start_step; step < config.outer_steps; ++step) {
    OuterStepRecord record;
    record.step = step + 1;
    auto t0 = Clock::now();
    const StepDatasets datasets = write_datasets(models.teacher, task, config, step);
    record.teacher = datasets.teacher;
    describe_datasets(datasets, record);
    record.seconds_teacher = seconds_since(t0);

    std::vector<double> teacher_rewards;
    if (is_intrinsic(config.teacher_reward)) {
      auto t1 = Clock::now();
      teacher_rewards = intrinsic_rewards(models, datasets, task, config, step, group);
      for (int64_t k = 0; k < config.datasets; ++k) {
        record.datasets[k].teacher_reward = teacher_rewards[k];
        record.datasets[k].intrinsic_samples = config.intrinsic_samples * record.datasets[k].questions;
        record.measure_samples += record.datasets[k].intrinsic_samples;
      }
      record.seconds_measure += seconds_since(t1);
    } else {
      teacher_rewards = grounded_step(models, datasets, promotion, task, config, step, progress, group, record);
    }

    auto t2 = Clock::now();
    const bool update = config.teacher_reward != TeacherRewardKind::None;
    const std::vector<double> advantages = update ? teacher_advantages(teacher_rewards) : std::vector<double>();
    const std::optional<std::filesystem::path> step_dir = step_rollout_dir(config, step + 1);
    if (step_dir && group.is_root() && !task.oracle) {
      write_rollout_file(*step_dir / "teacher.jsonl",
                         teacher_rollout_lines(step + 1, datasets.teacher_samples, datasets.rollouts, teacher_rewards, advantages));
    }
    if (update) update_teacher(teacher_trainer, datasets, advantages, task, config, teacher_rewards, group);
    record.seconds_update = seconds_since(t2);
    if (after_step) after_step(record);
  }
}

}  // namespace soar::meta
