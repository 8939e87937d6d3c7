// The SOAR meta-loop, as the paper's Algorithm 1 (soar.md): per outer step the teacher writes g
// datasets of n question/answer pairs (one pair per rollout, rejected rollouts resampled), r
// students are trained from the baseline on each dataset (inner loops), each is measured with
// greedy decoding on a fresh sample Q_R of D_train, R_k is the mean of dataset k's r improvements,
// the baseline is promoted when the moving average of the mean over datasets exceeds tau, and the
// teacher takes one RLOO step over the g datasets. Paper symbols: T, g, n, r, K, M, tau.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "meta/promotion.h"
#include "meta/student.h"
#include "meta/teacher.h"
#include "meta/teacher_reward.h"

namespace soar::meta {

struct MetaConfig {
  int64_t outer_steps = 200;          // T
  int64_t datasets = 4;               // g
  int64_t questions = 64;             // n: accepted pairs (rollouts) per dataset
  int64_t students = 4;               // r: students trained per dataset
  int64_t teacher_max_rounds = 10;    // rejection-sampling rounds before the step fails
  InnerLoopConfig inner;              // K = inner.steps
  int64_t promoted_extra_steps = 5;   // inner loops take K + this many steps once a student was promoted
  int64_t reward_problems = 64;       // M = |Q_R|, drawn from D_train afresh each step
  int64_t reward_samples = 1;         // samples per Q_R problem (1: greedy decoding is deterministic)
  int64_t intrinsic_samples = 32;     // student samples per question for the learnability reward
  TeacherRewardKind teacher_reward = TeacherRewardKind::Grounded;
  TrainerConfig teacher_trainer;      // RLOO over the g datasets
  SamplingParams teacher_sampling;
  SamplingParams measure_sampling;    // Q_R accuracy: temperature 0 (greedy) in the paper
  SamplingParams intrinsic_sampling;  // the learnability reward's samples (training temperature)
  PromotionRule promotion;
  uint64_t seed = 0;
  // Processes sharing the work (nullptr: this one alone): inner loop (k, j) runs on the rank that
  // dist::chunk_range(g * r, ...) assigns unit k * r + j; every draw is named by (step, k, j), never
  // by rank, so any number of processes gives the same run.
  dist::Group* group = nullptr;
  // Where the kept outer steps' completions go (empty: nowhere): DIR/step_<t>/teacher.jsonl,
  // baseline_measure.jsonl and dataset_<k>/student_<j>_{inner,measure}.jsonl (docs/usage.md,
  // "Rollouts"). `rollouts.sample` also thins each inner step and Q_R: K problems' samples each.
  std::filesystem::path rollouts_dir;
  RolloutSelection rollouts;
};

// The model copies a run works on; all of one config.
struct MetaModels {
  CausalLMImpl& teacher;
  CausalLMImpl& baseline;          // the student baseline theta, replaced on promotion
  CausalLMImpl& scratch;           // where one student at a time is trained
  CausalLMImpl* reference = nullptr;  // the initial model, the KL anchor of teacher and students
};

struct StudentRecord {
  int64_t dataset = 0, student = 0;   // k, j
  double success = 0;                 // Acc(theta'_{k,j}, Q_R)
  double reward = 0;                  // R_{k,j} = success - Acc(theta, Q_R)
  double standard_error = 0;          // of the paired per-problem differences
  double inner_final_reward = 0;      // mean training reward of the inner loop's last step
  int64_t inner_samples = 0, measure_samples = 0;
};

struct DatasetRecord {
  int64_t questions = 0;
  std::optional<double> reward;       // R_k = mean over its students (absent: intrinsic teachers run none)
  double teacher_reward = 0;          // what the teacher is updated with: R_k, or the intrinsic reward
  double distinct_bigrams = 0;        // distinct / total character bigrams over its questions
  double duplicate_rate = 0;          // fraction of questions that repeat an earlier one
  double vendi = 0;                   // Vendi score of its questions (meta/diversity.h)
  std::vector<StudentRecord> students;
  int64_t intrinsic_samples = 0;
};

struct TeacherRecord {
  int64_t sampled = 0, accepted = 0, rounds = 0;
  double acceptance_rate = 0;
  std::map<std::string, int64_t> rejections;
};

struct OuterStepRecord {
  int64_t step = 0;                     // 1-based
  std::optional<double> baseline_success;  // Acc(theta, Q_R) (absent for intrinsic teachers)
  std::vector<DatasetRecord> datasets;
  std::optional<double> mean_reward;    // R^_t, the mean over datasets of R_k
  double promotion_average = 0;         // R-_t
  bool promoted = false;
  int64_t promoted_dataset = -1, promoted_student = -1;  // k*, j*
  int64_t inner_steps = 0;              // K, or K + promoted_extra_steps
  TeacherRecord teacher;
  double vendi = 0;                     // Vendi score of all g n questions of the step
  double seconds_teacher = 0, seconds_inner = 0, seconds_measure = 0, seconds_update = 0;
  // Budget accounting: sequences sampled this step, by whom (equal-budget baseline comparisons;
  // the teacher's are teacher.sampled).
  int64_t inner_samples = 0;    // student rollouts in the inner loops
  int64_t measure_samples = 0;  // student answers measuring Q_R accuracy and intrinsic rewards
  std::vector<std::vector<std::string>> teacher_texts;   // each dataset's accepted rollouts, as written
  std::vector<std::vector<Problem>> trained_datasets;   // what the students trained on (after any transform)
  std::vector<Problem> promoted_questions;              // PQ added this step
};

struct MetaTask {
  std::vector<int32_t> teacher_prompt;
  RolloutParser parse;
  PromptEncoder encode_student;
  Detokenizer detokenize;
  RewardFunction reward;               // the inner loops' training reward, against the teacher's answers
  RewardFunction correct;              // 1 or 0: Q_R accuracy and the learnability success rates
  JudgeFunction judge;                 // verdicts in the rollout logs (unset: "correct"/"wrong" from `correct`)
  std::vector<Problem> reward_set;     // D_train
  // Optional: datasets of n problems from a fixed generator instead of the teacher (the
  // oracle-curriculum baseline); the teacher is then neither sampled nor updated. Called with a seed
  // per (step, k).
  std::function<std::vector<Problem>(uint64_t seed)> oracle;
  // Optional: rewrites each dataset before its inner loops (the answer / structure corruption
  // ablations); the teacher is still updated on what it wrote. Called with a seed per (step, k).
  std::function<std::vector<Problem>(const std::vector<Problem>&, uint64_t seed)> transform;
};

// Where a resumed run continues.
struct MetaProgress {
  int64_t start_step = 0;
  int64_t promotions = 0;    // so far: from the first promotion on, inner loops take K + extra steps
};

// Runs outer steps [progress.start_step, T). The teacher and the baseline are updated in place.
// `after_step` sees each step (metrics, checkpoints, promoted students).
void run_meta(const MetaModels& models, PolicyTrainer& teacher_trainer, Promotion& promotion, const MetaTask& task,
              const MetaConfig& config, MetaProgress progress,
              const std::function<void(const OuterStepRecord&)>& after_step);

// Diversity of a dataset's questions (logged every step: does a teacher collapse?).
double distinct_bigram_ratio(const std::vector<Problem>& problems);
double duplicate_rate(const std::vector<Problem>& problems);

}  // namespace soar::meta
