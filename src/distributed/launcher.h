// `soar launch`: runs N copies of a soar command as the ranks of one distributed run on this host,
// like torchrun. It hosts the rendezvous store (so the store outlives any rank and a failure can be
// attributed), sets RANK / WORLD_SIZE / LOCAL_RANK / MASTER_ADDR / MASTER_PORT, and supervises:
// when one rank fails, the others get a grace period to notice and exit on their own, then are
// terminated.
#pragma once

#include <string>
#include <vector>

namespace soar::dist {

struct LaunchConfig {
  int nproc = 1, nnodes = 1, node_rank = 0;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;        // 0: any free port (one host only)
  double grace_seconds = -1;      // < 0: the collective timeout + 10 s
  std::vector<std::string> command;  // the soar arguments each rank runs (without "soar")
};

// Starts this host's ranks of `config.command` (this executable, re-executed) and waits for them.
// Returns 0 when every rank succeeded, else the first failure's exit status (128 + signal for a
// signal, as a shell reports it). SIGINT and SIGTERM are forwarded to the ranks.
int launch(const LaunchConfig& config);

}  // namespace soar::dist
