// Which GPU each rank of a run computes on, checked before NCCL starts: NCCL needs one GPU per
// process, and its own error for two ranks on one GPU comes at the first collective, in terms of
// bus ids. soar says which ranks collide and what to pass instead.
#pragma once

#include <string>
#include <vector>

namespace soar::dist {

struct Placement {
  std::string host;      // the host's name
  std::string identity;  // the physical device (core/device.h: device_identity)
  std::string device;    // as the rank named it, e.g. "cuda:0"
};

std::string encode_placement(const Placement& placement);
// Throws soar::Error on text encode_placement did not write.
Placement decode_placement(const std::string& text);

// An error message naming every set of ranks that share one physical GPU on one host (indexed by
// rank), or "" when each rank has a GPU of its own.
std::string shared_gpus(const std::vector<Placement>& placement_of_rank);

}  // namespace soar::dist
