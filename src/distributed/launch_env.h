// Where this process sits in a distributed run, read from the environment torchrun and
// `soar launch` set: RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT. Without RANK and
// WORLD_SIZE a process is a run of its own (rank 0 of 1).
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

namespace soar::dist {

struct LaunchEnv {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  // torchrun and `soar launch` host the rendezvous store in the launcher, so that it outlives any
  // rank (TORCHELASTIC_USE_AGENT_STORE=True); otherwise rank 0 hosts it.
  bool launcher_hosts_store = false;
};

using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

// Throws soar::Error naming the variable when a value is malformed or inconsistent
// (RANK >= WORLD_SIZE, a port outside 1..65535, only one of RANK and WORLD_SIZE set).
LaunchEnv launch_env_from(const EnvLookup& lookup);
LaunchEnv launch_env_from_environment();

// How long a collective may wait for the slowest rank: SOAR_DIST_TIMEOUT seconds (default 600).
std::chrono::milliseconds collective_timeout_from_environment();

}  // namespace soar::dist
