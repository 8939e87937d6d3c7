// Promotion (soar.md, Algorithm 1 step 4). Each outer step records R^_t, the mean over the g
// datasets of their rewards R_k; R-_t is the moving average of the last `window` of them (fewer at
// the start of a run). When R-_t > tau, the baseline student becomes the median-reward student of
// the best dataset. The paper's Algorithm 1 never clears the window: rewards are measured against
// the baseline of their own step, which is what makes them comparable across a promotion.
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

namespace soar::meta {

struct PromotionRule {
  double tau = 0.01;
  int64_t window = 3;
  // Not in the paper (soar's earlier rule, kept as an option): promote only on a full window, and
  // clear the window after a promotion.
  bool restart_window = false;
};

class Promotion {
 public:
  explicit Promotion(PromotionRule rule);
  // Records this step's R^_t; true when the rule says to promote now.
  bool record(double mean_reward);
  double moving_average() const;
  const std::deque<double>& recent() const { return recent_; }
  void restore(std::deque<double> recent) { recent_ = std::move(recent); }

 private:
  PromotionRule rule_;
  std::deque<double> recent_;
};

// j*: the index of the student whose reward is the median of `rewards` (r students of one
// dataset). For an even r the paper's "median" is not one of the values; we take the lower middle
// one. Ties keep the lower index (a stable sort), so the choice is a function of the rewards alone.
int64_t median_student(const std::vector<double>& rewards);

// k*: the first dataset with the highest reward.
int64_t best_dataset(const std::vector<double>& rewards);

}  // namespace soar::meta
