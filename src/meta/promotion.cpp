#include "meta/promotion.h"

#include <algorithm>
#include <numeric>

#include "core/error.h"

namespace soar::meta {

Promotion::Promotion(PromotionRule rule) : rule_(rule) {
  if (rule_.window < 1) fail("the promotion window must be at least one outer step (window = ", rule_.window, ")");
}

double Promotion::moving_average() const {
  if (recent_.empty()) return 0.0;
  return std::accumulate(recent_.begin(), recent_.end(), 0.0) / static_cast<double>(recent_.size());
}

bool Promotion::record(double mean_reward) {
  recent_.push_back(mean_reward);
  while (static_cast<int64_t>(recent_.size()) > rule_.window) recent_.pop_front();
  if (rule_.restart_window && static_cast<int64_t>(recent_.size()) < rule_.window) return false;
  if (!(moving_average() > rule_.tau)) return false;
  if (rule_.restart_window) recent_.clear();
  return true;
}

int64_t median_student(const std::vector<double>& rewards) {
  if (rewards.empty()) fail("a dataset with no trained student has no median student");
  std::vector<int64_t> order(rewards.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return rewards[a] < rewards[b]; });
  return order[(order.size() - 1) / 2];
}

int64_t best_dataset(const std::vector<double>& rewards) {
  if (rewards.empty()) fail("no dataset to choose from");
  return std::max_element(rewards.begin(), rewards.end()) - rewards.begin();
}

}  // namespace soar::meta
