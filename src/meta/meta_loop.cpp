#include "meta/meta_loop.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <limits>
#include <random>
#include <set>

#include "core/error.h"
#include "core/seed.h"
#include "dist/fault.h"
#include "dist/tree_sum.h"

namespace soar::meta {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Q_t: a fresh random sample of D_train, the same for every student of the step and the baseline.
std::vector<Problem> sample_reward_problems(const std::vector<Problem>& set, int64_t count, uint64_t seed) {
  std::vector<size_t> order(set.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::mt19937_64 rng(seed);
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<Problem> sample;
  for (size_t i = 0; i < std::min(order.size(), static_cast<size_t>(count)); ++i) sample.push_back(set[order[i]]);
  return sample;
}

// A dataset's record as numbers, to send it from the rank that ran its inner loop to every rank.
std::vector<double> record_numbers(const DatasetRecord& d) {
  return {static_cast<double>(d.questions), static_cast<double>(d.malformed), d.grounded_reward, d.standard_error,
          d.student_success, d.teacher_reward, d.distinct_bigrams, d.duplicate_rate, d.inner_final_reward,
          static_cast<double>(d.inner_samples), static_cast<double>(d.measure_samples)};
}

DatasetRecord record_from(const double* v) {
  DatasetRecord d;
  d.questions = static_cast<int64_t>(v[0]), d.malformed = static_cast<int64_t>(v[1]);
  d.grounded_reward = v[2], d.standard_error = v[3], d.student_success = v[4], d.teacher_reward = v[5];
  d.distinct_bigrams = v[6], d.duplicate_rate = v[7], d.inner_final_reward = v[8];
  d.inner_samples = static_cast<int64_t>(v[9]), d.measure_samples = static_cast<int64_t>(v[10]);
  return d;
}
constexpr size_t kRecordNumbers = 11;

// Every rank's records (its contiguous share of the g datasets), in dataset order on every rank.
std::vector<DatasetRecord> gather_records(dist::Group& group, const std::vector<DatasetRecord>& mine) {
  std::string bytes;
  for (const DatasetRecord& d : mine) {
    std::vector<double> numbers = record_numbers(d);
    bytes.append(reinterpret_cast<const char*>(numbers.data()), numbers.size() * sizeof(double));
  }
  std::vector<DatasetRecord> all;
  for (const std::string& part : group.all_gather_bytes(bytes)) {
    if (part.size() % (kRecordNumbers * sizeof(double)) != 0) fail("corrupt dataset records received from another rank");
    std::vector<double> numbers(part.size() / sizeof(double));
    std::memcpy(numbers.data(), part.data(), part.size());
    for (size_t at = 0; at < numbers.size(); at += kRecordNumbers) all.push_back(record_from(numbers.data() + at));
  }
  return all;
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

void run_meta(CausalLMImpl& teacher, CausalLMImpl& baseline, CausalLMImpl& scratch, CausalLMImpl& best,
              PolicyTrainer& teacher_trainer, Promotion& promotion, const MetaTask& task, const MetaConfig& config,
              int64_t start_step, const std::function<void(const OuterStepRecord&)>& after_step) {
  if (task.reward_set.empty()) fail("SOAR needs a non-empty D_train to reward the teacher");
  using clock = std::chrono::steady_clock;
  dist::Group single;
  dist::Group& group = config.group != nullptr ? *config.group : single;
  std::vector<int64_t> owners;  // first dataset of each rank
  for (int r = 0; r < group.world_size(); ++r) owners.push_back(dist::chunk_range(config.datasets, r, group.world_size()).first);
  for (int64_t step = start_step; step < config.outer_steps; ++step) {
    OuterStepRecord record;
    record.step = step + 1;
    // 1. The teacher writes g datasets.
    auto t0 = clock::now();
    SamplingParams teacher_sampling = config.teacher_sampling;
    teacher_sampling.seed = derive_seed(config.seed, cat("meta/teacher/", step));
    std::vector<TeacherSample> samples;
    if (task.oracle) {
      samples.resize(static_cast<size_t>(config.datasets));
      for (int64_t i = 0; i < config.datasets; ++i) {
        samples[static_cast<size_t>(i)].dataset.problems = task.oracle(derive_seed(config.seed, cat("meta/oracle/", step, "/", i)));
      }
    } else {
      samples = sample_datasets(teacher, task.teacher_prompt, task.detokenize, task.parse, config.datasets,
                                config.completions_per_dataset, teacher_sampling);
      record.teacher_samples = config.datasets * config.completions_per_dataset;
    }
    if (task.transform) {
      for (int64_t i = 0; i < config.datasets; ++i) {
        auto& dataset = samples[static_cast<size_t>(i)].dataset.problems;
        dataset = task.transform(dataset, derive_seed(config.seed, cat("meta/transform/", step, "/", i)));
      }
    }
    record.seconds_teacher = seconds_since(t0);

    // The baseline's success on Q_t (the same sample and sampling seed for every student).
    auto t1 = clock::now();
    std::vector<Problem> reward_problems =
        sample_reward_problems(task.reward_set, config.reward_problems, derive_seed(config.seed, cat("meta/q/", step)));
    SamplingParams measure = config.student_sampling;
    measure.seed = derive_seed(config.seed, cat("meta/measure/", step));
    SuccessEstimate baseline_success = measure_success(baseline, reward_problems, task.encode_student, task.detokenize,
                                                       task.reward, config.reward_samples, measure);
    record.baseline_success = baseline_success.mean;
    record.measure_samples += baseline_success.samples;
    record.seconds_measure += seconds_since(t1);

    // 2-3. Inner loops and grounded rewards for this rank's datasets; its best student is kept.
    const dist::ChunkRange mine = dist::chunk_range(config.datasets, group.rank(), group.world_size());
    double local_best_reward = -std::numeric_limits<double>::infinity();
    std::vector<DatasetRecord> local_records;
    for (int64_t i = mine.first; i < mine.first + mine.count; ++i) {
      const TeacherSample& sample = samples[static_cast<size_t>(i)];
      DatasetRecord d;
      d.questions = static_cast<int64_t>(sample.dataset.problems.size());
      d.malformed = sample.dataset.malformed;
      d.distinct_bigrams = distinct_bigram_ratio(sample.dataset.problems);
      d.duplicate_rate = duplicate_rate(sample.dataset.problems);
      auto t2 = clock::now();
      scratch.copy_parameters_from(baseline);
      std::vector<double> inner = train_student(scratch, sample.dataset.problems, task.encode_student, task.detokenize,
                                                task.reward, config.inner, derive_seed(config.seed, cat("meta/inner/", step, "/", i)));
      d.inner_final_reward = inner.empty() ? 0.0 : inner.back();
      d.inner_samples = static_cast<int64_t>(inner.size()) * config.inner.prompts_per_step * config.inner.samples_per_prompt;
      record.seconds_inner += seconds_since(t2);
      auto t3 = clock::now();
      SuccessEstimate student_success = measure_success(scratch, reward_problems, task.encode_student, task.detokenize,
                                                        task.reward, config.reward_samples, measure);
      Improvement improvement = paired_improvement(student_success, baseline_success);
      d.grounded_reward = improvement.reward;
      d.standard_error = improvement.standard_error;
      d.student_success = student_success.mean;
      d.measure_samples = student_success.samples;
      if (config.teacher_reward == TeacherRewardKind::Learnability || config.teacher_reward == TeacherRewardKind::Uncertainty) {
        SamplingParams own = config.student_sampling;
        own.seed = derive_seed(config.seed, cat("meta/intrinsic/", step, "/", i));
        SuccessEstimate on_own = measure_success(baseline, sample.dataset.problems, task.encode_student, task.detokenize,
                                                 task.reward, config.intrinsic_samples, own);
        d.teacher_reward = intrinsic_reward(config.teacher_reward, on_own.per_problem);
        d.measure_samples += on_own.samples;
      } else {
        d.teacher_reward = d.grounded_reward;
      }
      record.seconds_measure += seconds_since(t3);
      if (d.grounded_reward > local_best_reward) {
        local_best_reward = d.grounded_reward;
        best.copy_parameters_from(scratch);
      }
      local_records.push_back(d);
    }
    dist::kill_point(group.rank(), cat("meta/step/", step, "/inner"));
    record.datasets = gather_records(group, local_records);
    for (const DatasetRecord& d : record.datasets) {
      record.inner_samples += d.inner_samples;
      record.measure_samples += d.measure_samples;
    }
    // The best student overall: the first maximum in dataset order, as one process would find it.
    double best_reward = -std::numeric_limits<double>::infinity();
    int64_t best_index = -1;
    for (int64_t i = 0; i < config.datasets; ++i) {
      if (record.datasets[static_cast<size_t>(i)].grounded_reward > best_reward) {
        best_reward = record.datasets[static_cast<size_t>(i)].grounded_reward;
        best_index = i;
      }
    }

    // 4. Teacher update: RLOO across the g datasets, the advantage on every token it wrote (in each
    // of a dataset's m completions). Every rank computes the advantages from all g rewards and
    // trains on its own datasets' text; the gradients are combined per dataset (trainer.h
    // StepLayout), so every rank takes the same step.
    auto t4 = clock::now();
    if (config.teacher_reward != TeacherRewardKind::None) {
      std::vector<int64_t> trained;  // datasets with text
      for (int64_t i = 0; i < config.datasets; ++i) {
        const auto& completions = samples[static_cast<size_t>(i)].completions;
        if (std::any_of(completions.begin(), completions.end(), [](const TeacherCompletion& c) { return !c.tokens.empty(); })) {
          trained.push_back(i);
        }
      }
      if (trained.size() >= 2) {
        at::Tensor rewards = at::zeros({1, static_cast<int64_t>(trained.size())}, at::kDouble);
        for (size_t j = 0; j < trained.size(); ++j) rewards[0][static_cast<int64_t>(j)] = record.datasets[static_cast<size_t>(trained[j])].teacher_reward;
        at::Tensor advantages = compute_advantages(rewards, AdvantageEstimator::RLOO);
        StepLayout layout{config.datasets, &group, {}};
        std::vector<Rollout> rollouts;
        for (size_t j = 0; j < trained.size(); ++j) {
          const int64_t i = trained[j];
          if (i < mine.first || i >= mine.first + mine.count) continue;
          const double advantage = advantages[0][static_cast<int64_t>(j)].item<double>();
          for (const TeacherCompletion& c : samples[static_cast<size_t>(i)].completions) {
            if (c.tokens.empty()) continue;
            rollouts.push_back({task.teacher_prompt, c.tokens, c.logprobs, record.datasets[static_cast<size_t>(i)].teacher_reward, 0, i});
            layout.advantages.push_back(advantage);
          }
        }
        teacher_trainer.step(rollouts, layout);
      }
    }
    record.seconds_update = seconds_since(t4);

    // 5. Promotion.
    record.promoted = promotion.record(best_reward);
    record.promotion_average = promotion.moving_average();
    if (record.promoted) {
      // The rank that trained the best student sends it to every rank.
      const int owner = static_cast<int>(std::upper_bound(owners.begin(), owners.end(), best_index) - owners.begin()) - 1;
      if (group.distributed()) {
        at::NoGradGuard no_grad;
        for (at::Tensor& p : best.parameters()) {
          at::Tensor value = p.detach();
          group.broadcast(value, owner);
        }
      }
      baseline.copy_parameters_from(best);
      record.promoted_dataset = best_index;
      record.promoted_questions = samples[static_cast<size_t>(best_index)].dataset.problems;
    }
    for (const auto& s : samples) {
      std::string text;
      for (size_t k = 0; k < s.completions.size(); ++k) text += (k > 0 ? "\n" : "") + s.completions[k].text;
      record.teacher_texts.push_back(text);
      record.trained_datasets.push_back(s.dataset.problems);
    }
    if (after_step) after_step(record);
  }
}

}  // namespace soar::meta
