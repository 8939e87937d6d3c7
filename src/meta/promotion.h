// Promotion (soar.md step 5): when the improvement is reliably positive — the moving average of the
// best grounded reward over the last `window` outer steps exceeds tau — the best student of the
// current step replaces the baseline, and its dataset joins the promoted questions (PQ).
#pragma once

#include <cstdint>
#include <deque>

namespace soar::meta {

struct PromotionRule {
  double tau = 0.01;
  int64_t window = 3;
};

class Promotion {
 public:
  explicit Promotion(PromotionRule rule) : rule_(rule) {}
  // Records this step's best reward; true when the rule says to promote now. After a promotion
  // the window restarts: later rewards are measured against the new baseline.
  bool record(double best_reward);
  double moving_average() const;
  const std::deque<double>& recent() const { return recent_; }
  void restore(std::deque<double> recent) { recent_ = std::move(recent); }

 private:
  PromotionRule rule_;
  std::deque<double> recent_;
};

}  // namespace soar::meta
