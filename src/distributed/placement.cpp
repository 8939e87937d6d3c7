#include "distributed/placement.h"

#include <map>

#include "core/error.h"

namespace soar::dist {

std::string encode_placement(const Placement& placement) { return cat(placement.host, '\t', placement.identity, '\t', placement.device); }

Placement decode_placement(const std::string& text) {
  const size_t first = text.find('\t'), second = first == std::string::npos ? first : text.find('\t', first + 1);
  if (second == std::string::npos) fail("malformed device placement '", text, "' (expected host, identity and device)");
  return {text.substr(0, first), text.substr(first + 1, second - first - 1), text.substr(second + 1)};
}

std::string shared_gpus(const std::vector<Placement>& placement_of_rank) {
  std::map<std::string, std::vector<size_t>> ranks_of;  // identity -> ranks
  for (size_t rank = 0; rank < placement_of_rank.size(); ++rank) ranks_of[placement_of_rank[rank].identity].push_back(rank);
  std::string collisions;
  for (const auto& [identity, ranks] : ranks_of) {
    if (ranks.size() < 2) continue;
    std::string names;
    for (size_t i = 0; i < ranks.size(); ++i) {
      names += cat(i == 0 ? "" : i + 1 == ranks.size() ? " and " : ", ", ranks[i], " (", placement_of_rank[ranks[i]].device, ")");
    }
    collisions += cat(collisions.empty() ? "" : "; ", "ranks ", names, " share one GPU (", identity, ") on ",
                      placement_of_rank[ranks[0]].host);
  }
  if (collisions.empty()) return "";
  return cat(collisions, ": NCCL needs one GPU per process. Pass --device cuda (each rank takes the GPU of its local rank) ",
             "and start at most as many processes per host as it has GPUs");
}

}  // namespace soar::dist
