// Which GPU each rank of a run computes on, checked before NCCL starts: NCCL needs one GPU per
// process, and its own error for two ranks on one GPU comes at the first collective, in terms of
// bus ids. soar says which ranks collide and what to pass instead.
#pragma once

#include <string>
#include <vector>

namespace soar::dist {

struct Placement {
  std::string host;      // the host's name, for messages
  std::string identity;  // the physical device: the host (name and boot id) + device_identity (core/device.h)
  std::string device;    // as the rank named it, e.g. "cuda:0"
};

std::string encode_placement(const Placement& placement);
// Throws soar::Error on text encode_placement did not write.
Placement decode_placement(const std::string& text);

// An error message naming every set of ranks (indexed by rank) with the same device identity, or ""
// when each rank has a GPU of its own.
std::string shared_gpus(const std::vector<Placement>& placement_of_rank);

}  // namespace soar::dist
