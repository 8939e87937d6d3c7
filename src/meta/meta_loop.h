// The SOAR meta-loop (../shared/docs/soar.md, "The loop"): per outer step the teacher writes g
// datasets, a copy of the student baseline is trained on each (inner loop), each copy and the
// baseline are measured on the same sample Q_t of D_train, the teacher is updated with RLOO across
// the g rewards, and the best student is promoted when the improvement is reliably positive.
// Paper symbols: T outer steps, g datasets, n questions (in the teacher prompt), K inner steps, tau.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "meta/promotion.h"
#include "meta/student.h"
#include "meta/teacher.h"
#include "meta/teacher_reward.h"

namespace soar::meta {

struct MetaConfig {
  int64_t outer_steps = 10;          // T
  int64_t datasets = 4;              // g
  int64_t completions_per_dataset = 1;  // m: teacher completions whose problems make one dataset
  InnerLoopConfig inner;             // K = inner.steps
  int64_t reward_problems = 64;      // |Q_t|, drawn from D_train each step
  int64_t reward_samples = 8;        // samples per problem for the success estimates
  int64_t intrinsic_samples = 4;     // samples per teacher question for intrinsic rewards
  TeacherRewardKind teacher_reward = TeacherRewardKind::Grounded;
  TrainerConfig teacher_trainer;     // RLOO across the g datasets
  SamplingParams teacher_sampling;   // must allow n question/answer pairs
  SamplingParams student_sampling;   // for success estimates (inner loops use inner.sampling)
  PromotionRule promotion;
  uint64_t seed = 0;
  // Processes sharing the work (nullptr: this one alone): dataset i's inner loop runs on the rank
  // dist::chunk_range(g, ...) assigns it; every draw is named by (step, dataset), never by rank, so
  // any number of processes gives the same run.
  dist::Group* group = nullptr;
};

struct DatasetRecord {
  int64_t questions = 0, malformed = 0;
  double grounded_reward = 0, standard_error = 0, student_success = 0;
  double teacher_reward = 0;          // what the teacher was updated with
  double distinct_bigrams = 0;        // distinct / total character bigrams over its questions
  double duplicate_rate = 0;          // fraction of questions that repeat an earlier one
  double inner_final_reward = 0;      // mean reward of the inner loop's last step
  int64_t inner_samples = 0, measure_samples = 0;
};

struct OuterStepRecord {
  int64_t step = 0;                   // 1-based
  double baseline_success = 0;
  std::vector<DatasetRecord> datasets;
  bool promoted = false;
  int64_t promoted_dataset = -1;
  double promotion_average = 0;
  double seconds_teacher = 0, seconds_inner = 0, seconds_measure = 0, seconds_update = 0;
  // Budget accounting: sequences sampled this step, by whom (equal-budget baseline comparisons).
  int64_t teacher_samples = 0;  // teacher completions (g * m, or 0 for the oracle)
  int64_t inner_samples = 0;    // student rollouts in the inner loops
  int64_t measure_samples = 0;  // student samples for success estimates (baseline, students, intrinsic)
  std::vector<std::string> teacher_texts;  // the generated datasets (m completions joined by newlines), for the run directory
  std::vector<std::vector<Problem>> trained_datasets;  // what each student trained on (parsed, transformed)
  std::vector<Problem> promoted_questions; // PQ added this step
};

struct MetaTask {
  std::vector<int32_t> teacher_prompt;
  DatasetParser parse;
  PromptEncoder encode_student;
  Detokenizer detokenize;
  RewardFunction reward;               // student answer vs a problem's answer
  std::vector<Problem> reward_set;     // D_train
  // Optional: datasets from a fixed generator instead of the teacher (the oracle-curriculum
  // baseline); the teacher is then neither sampled nor updated. Called with a seed per (step, i).
  std::function<std::vector<Problem>(uint64_t seed)> oracle;
  // Optional: rewrites each parsed dataset before its inner loop (the answer / structure corruption
  // ablations); the teacher is still updated on what it wrote. Called with a seed per (step, i).
  std::function<std::vector<Problem>(const std::vector<Problem>&, uint64_t seed)> transform;
};

// Runs outer steps [start_step, T). teacher and baseline are updated in place; `scratch` and
// `best` are work models of the same config. `after_step` sees each step (metrics, checkpoints).
void run_meta(CausalLMImpl& teacher, CausalLMImpl& baseline, CausalLMImpl& scratch, CausalLMImpl& best,
              PolicyTrainer& teacher_trainer, Promotion& promotion, const MetaTask& task, const MetaConfig& config,
              int64_t start_step, const std::function<void(const OuterStepRecord&)>& after_step);

// Diversity of a dataset's questions (logged every step: does a teacher collapse?).
double distinct_bigram_ratio(const std::vector<Problem>& problems);
double duplicate_rate(const std::vector<Problem>& problems);

}  // namespace soar::meta
