#include "meta/promotion.h"

namespace soar::meta {

double Promotion::moving_average() const {
  if (recent_.empty()) return 0.0;
  double total = 0;
  for (double r : recent_) total += r;
  return total / static_cast<double>(recent_.size());
}

bool Promotion::record(double best_reward) {
  recent_.push_back(best_reward);
  while (static_cast<int64_t>(recent_.size()) > rule_.window) recent_.pop_front();
  if (static_cast<int64_t>(recent_.size()) < rule_.window || moving_average() <= rule_.tau) return false;
  recent_.clear();
  return true;
}

}  // namespace soar::meta
