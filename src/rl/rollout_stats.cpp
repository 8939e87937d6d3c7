#include "rl/rollout_stats.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <utility>

namespace soar {
namespace {

// The sums each process contributes, exchanged as raw doubles.
struct Sums {
  double count = 0, reward = 0, reward_squared = 0, groups = 0, flat_groups = 0, tokens = 0, max_length = 0,
         truncated = 0, negative_logprob = 0, logprob_tokens = 0;
};

}  // namespace

RolloutStats rollout_stats(const std::vector<Rollout>& rollouts, dist::Group& group) {
  // Sums per chunk, added in chunk order: the same figures at any process count (chunks are the
  // unit a step is spread in; trainer.h StepLayout).
  std::map<int64_t, Sums> chunks;
  std::map<std::pair<int64_t, int64_t>, std::pair<double, bool>> groups;  // (chunk, group) -> first reward, all equal
  for (const Rollout& r : rollouts) {
    Sums& mine = chunks[r.chunk];
    mine.count += 1;
    mine.reward += r.reward;
    mine.reward_squared += r.reward * r.reward;
    mine.tokens += static_cast<double>(r.completion.size());
    mine.max_length = std::max(mine.max_length, static_cast<double>(r.completion.size()));
    mine.truncated += r.truncated ? 1 : 0;
    for (float logprob : r.sampler_logprobs) mine.negative_logprob -= logprob;
    mine.logprob_tokens += static_cast<double>(r.sampler_logprobs.size());
    const auto [entry, fresh] = groups.try_emplace({r.chunk, r.group}, r.reward, true);
    if (!fresh && entry->second.first != r.reward) entry->second.second = false;
  }
  for (const auto& [key, value] : groups) {
    chunks[key.first].groups += 1;
    chunks[key.first].flat_groups += value.second ? 1 : 0;
  }
  std::string bytes;
  for (const auto& [chunk, sums] : chunks) {
    bytes.append(reinterpret_cast<const char*>(&chunk), sizeof chunk);
    bytes.append(reinterpret_cast<const char*>(&sums), sizeof sums);
  }
  std::map<int64_t, Sums> every_chunk;
  for (const std::string& other : group.distributed() ? group.all_gather_bytes(bytes) : std::vector<std::string>{bytes}) {
    for (size_t at = 0; at + sizeof(int64_t) + sizeof(Sums) <= other.size(); at += sizeof(int64_t) + sizeof(Sums)) {
      int64_t chunk = 0;
      Sums sums;
      std::memcpy(&chunk, other.data() + at, sizeof chunk);
      std::memcpy(&sums, other.data() + at + sizeof chunk, sizeof sums);
      every_chunk[chunk] = sums;
    }
  }
  Sums all;
  for (const auto& [chunk, s] : every_chunk) {
    all.count += s.count, all.reward += s.reward, all.reward_squared += s.reward_squared, all.groups += s.groups;
    all.flat_groups += s.flat_groups, all.tokens += s.tokens, all.truncated += s.truncated;
    all.negative_logprob += s.negative_logprob, all.logprob_tokens += s.logprob_tokens;
    all.max_length = std::max(all.max_length, s.max_length);
  }
  RolloutStats stats;
  if (all.count == 0) return stats;
  const double mean = all.reward / all.count;
  stats.reward_std = std::sqrt(std::max(0.0, all.reward_squared / all.count - mean * mean));
  stats.no_signal_groups = all.groups > 0 ? all.flat_groups / all.groups : 0;
  stats.length_mean = all.tokens / all.count;
  stats.length_max = all.max_length;
  stats.truncated = all.truncated / all.count;
  stats.entropy = all.logprob_tokens > 0 ? all.negative_logprob / all.logprob_tokens : 0;
  return stats;
}

}  // namespace soar
