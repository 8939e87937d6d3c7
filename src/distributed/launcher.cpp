#include "distributed/launcher.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <optional>
#include <thread>

#include "core/error.h"
#include "core/exception_text.h"
#include "distributed/launch_env.h"

extern char** environ;

namespace soar::dist {
namespace {

volatile sig_atomic_t forwarded_signal = 0;
void remember_signal(int signal) { forwarded_signal = signal; }

std::string describe_status(int status) {
  if (WIFEXITED(status)) return cat("exited with status ", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return cat("was killed by signal ", WTERMSIG(status), " (", strsignal(WTERMSIG(status)), ")");
  return "stopped";
}

int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

// Host 0 keeps the store for the whole run; returns it (null elsewhere) and sets the port in use.
c10::intrusive_ptr<c10d::TCPStore> host_store(const LaunchConfig& c, int& port) {
  port = c.master_port;
  if (c.node_rank != 0) return {};
  c10d::TCPStoreOptions options;
  options.port = static_cast<uint16_t>(c.master_port);
  options.isServer = true;
  options.waitWorkers = false;
  c10::intrusive_ptr<c10d::TCPStore> store;
  try {
    store = c10::make_intrusive<c10d::TCPStore>(c.master_addr, options);
  } catch (const std::exception& e) {
    fail("cannot host the rendezvous store on ", c.master_addr, ":", c.master_port, ": ", exception_text(e));
  }
  port = store->getPort();
  return store;
}

// A rank's environment: this process's, with the rendezvous variables replaced.
std::vector<std::string> rank_environment(const LaunchConfig& c, int local, int port) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry = *e;
    for (const char* name : {"RANK=", "WORLD_SIZE=", "LOCAL_RANK=", "LOCAL_WORLD_SIZE=", "MASTER_ADDR=", "MASTER_PORT=",
                             "TORCHELASTIC_USE_AGENT_STORE="}) {
      if (entry.rfind(name, 0) == 0) entry.clear();
    }
    if (!entry.empty()) env.push_back(entry);
  }
  env.push_back(cat("RANK=", c.node_rank * c.nproc + local));
  env.push_back(cat("WORLD_SIZE=", c.nproc * c.nnodes));
  env.push_back(cat("LOCAL_RANK=", local));
  env.push_back(cat("LOCAL_WORLD_SIZE=", c.nproc));
  env.push_back(cat("MASTER_ADDR=", c.master_addr));
  env.push_back(cat("MASTER_PORT=", port));
  env.push_back("TORCHELASTIC_USE_AGENT_STORE=True");
  // Without an explicit thread count, share this host's cores between its processes.
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  if (std::getenv("SOAR_THREADS") == nullptr) env.push_back(cat("SOAR_THREADS=", std::max(1u, cores / c.nproc)));
  return env;
}

// Everything the children need is prepared before fork(): only execve runs in the child.
std::map<pid_t, int> start_ranks(const LaunchConfig& c, int port) {
  std::vector<std::string> args = {"soar"};
  args.insert(args.end(), c.command.begin(), c.command.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::vector<std::string>> environments;
  for (int local = 0; local < c.nproc; ++local) environments.push_back(rank_environment(c, local, port));
  std::map<pid_t, int> ranks;  // pid -> rank
  for (int local = 0; local < c.nproc; ++local) {
    std::vector<char*> envp;
    for (auto& e : environments[static_cast<size_t>(local)]) envp.push_back(e.data());
    envp.push_back(nullptr);
    const pid_t launcher = getpid();
    const pid_t pid = fork();
    if (pid < 0) fail("fork failed while starting rank ", c.node_rank * c.nproc + local);
    if (pid == 0) {
      // A launcher killed outright (kill -9) takes its ranks with it: they could not finish without
      // its rendezvous store, and a rank 0 left running would hold the run directory's lock.
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != launcher) _exit(137);  // it died before prctl
      execve("/proc/self/exe", argv.data(), envp.data());
      _exit(127);
    }
    ranks[pid] = c.node_rank * c.nproc + local;
  }
  return ranks;
}

// Waits for every rank: the first failure (or a forwarded signal) starts the grace period; after it
// the survivors are stopped (SIGTERM, then SIGKILL 5 s later). Returns the first failure's status.
int supervise(std::map<pid_t, int> ranks, double grace) {
  using Clock = std::chrono::steady_clock;
  const auto grace_period = std::chrono::milliseconds(static_cast<int64_t>(grace * 1000));
  int first_failure = 0;
  std::optional<Clock::time_point> deadline;
  bool terminated = false;
  while (!ranks.empty()) {
    int status = 0;
    const pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid > 0 && ranks.count(pid)) {
      const int rank = ranks[pid];
      ranks.erase(pid);
      if (exit_code_of(status) != 0) {
        std::cerr << "soar launch: rank " << rank << " " << describe_status(status) << "\n";
        if (first_failure == 0) first_failure = exit_code_of(status), deadline = Clock::now() + grace_period;
      }
      continue;
    }
    if (forwarded_signal != 0) {
      for (auto& [child, rank] : ranks) kill(child, forwarded_signal);
      if (first_failure == 0) first_failure = 128 + forwarded_signal;
      forwarded_signal = 0;
      deadline = Clock::now() + grace_period;
    }
    if (deadline && Clock::now() > *deadline) {
      for (auto& [child, rank] : ranks) {
        std::cerr << "soar launch: " << (terminated ? "killing" : "stopping") << " rank " << rank << " (still running "
                  << grace << " s after the first failure or signal)\n";
        kill(child, terminated ? SIGKILL : SIGTERM);
      }
      terminated = true;
      deadline = Clock::now() + std::chrono::seconds(5);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return first_failure;
}

}  // namespace

int launch(const LaunchConfig& c) {
  if (c.nnodes < 1 || c.node_rank < 0 || c.node_rank >= c.nnodes) fail("--node-rank must be in [0, --nnodes)");
  if (c.master_port == 0 && c.nnodes > 1) fail("--master-port 0 (any free port) works only with one host");
  int port = 0;
  const c10::intrusive_ptr<c10d::TCPStore> store = host_store(c, port);
  const double grace = c.grace_seconds >= 0 ? c.grace_seconds
                                            : std::chrono::duration<double>(collective_timeout_from_environment()).count() + 10;
  struct sigaction action {};
  action.sa_handler = remember_signal;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  std::map<pid_t, int> ranks = start_ranks(c, port);
  std::cerr << "soar launch: " << c.nproc << " processes (ranks " << c.node_rank * c.nproc << "-"
            << c.node_rank * c.nproc + c.nproc - 1 << " of " << c.nproc * c.nnodes << "), store " << c.master_addr << ":"
            << port << "\n";
  return supervise(std::move(ranks), grace);
}

}  // namespace soar::dist
