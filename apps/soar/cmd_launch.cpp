// soar launch: runs N copies of a soar command as the ranks of one distributed run on this host,
// like torchrun: it hosts the rendezvous store (so the store outlives any rank and a failure can be
// attributed), sets RANK / WORLD_SIZE / LOCAL_RANK / MASTER_ADDR / MASTER_PORT, and supervises.
// When one rank fails, the others get the collective timeout to notice and exit on their own, then
// are terminated; the launcher exits with the first failure's status.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <chrono>
#include <iostream>
#include <map>
#include <thread>

#include "commands.h"
#include "core/error.h"
#include "core/exception_text.h"
#include "dist/launch_env.h"

extern char** environ;

namespace soar::app {
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

}  // namespace

Action add_launch_command(CLI::App& app) {
  struct Options {
    int nproc = 1, nnodes = 1, node_rank = 0, master_port = 29500;
    std::string master_addr = "127.0.0.1";
    double grace_seconds = -1;
    std::vector<std::string> command;
  };
  auto o = std::make_shared<Options>();
  CLI::App* command = app.add_subcommand(
      "launch", "Run a soar command as N processes of one distributed run (torchrun-compatible environment)");
  command->add_option("--nproc", o->nproc, "Processes on this host")->capture_default_str()->check(CLI::Range(1, 1024));
  command->add_option("--nnodes", o->nnodes, "Hosts in the run (start the same command on each)")->capture_default_str();
  command->add_option("--node-rank", o->node_rank, "This host's index (0 hosts the rendezvous store)")->capture_default_str();
  command->add_option("--master-addr", o->master_addr, "Address of host 0, reachable from every host")->capture_default_str();
  command->add_option("--master-port", o->master_port, "Port of the rendezvous store on host 0 (0: any free port, one host only)")
      ->capture_default_str();
  command->add_option("--grace", o->grace_seconds,
                      "Seconds the other ranks get to exit after one fails (default: the collective timeout + 10)");
  command->add_option("command", o->command, "The soar command to run, after --")->required();
  return [o, command] {
    if (!command->parsed()) return;
    if (o->nnodes < 1 || o->node_rank < 0 || o->node_rank >= o->nnodes) fail("--node-rank must be in [0, --nnodes)");
    if (o->master_port == 0 && o->nnodes > 1) fail("--master-port 0 (any free port) works only with one host");
    const int world = o->nproc * o->nnodes;
    // Host 0 keeps the store for the whole run.
    c10::intrusive_ptr<c10d::TCPStore> store;
    int port = o->master_port;
    if (o->node_rank == 0) {
      c10d::TCPStoreOptions options;
      options.port = static_cast<uint16_t>(o->master_port);
      options.isServer = true;
      options.waitWorkers = false;
      try {
        store = c10::make_intrusive<c10d::TCPStore>(o->master_addr, options);
      } catch (const std::exception& e) {
        fail("cannot host the rendezvous store on ", o->master_addr, ":", o->master_port, ": ", exception_text(e));
      }
      port = store->getPort();
    }
    const double grace = o->grace_seconds >= 0
                             ? o->grace_seconds
                             : std::chrono::duration<double>(dist::collective_timeout_from_environment()).count() + 10;

    // Everything the children need is prepared before fork(): only execve runs in the child.
    std::vector<std::string> args = {"soar"};
    args.insert(args.end(), o->command.begin(), o->command.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    std::map<pid_t, int> ranks;  // pid -> rank
    std::vector<std::vector<std::string>> environments(static_cast<size_t>(o->nproc));
    for (int local = 0; local < o->nproc; ++local) {
      auto& env = environments[static_cast<size_t>(local)];
      for (char** e = environ; *e != nullptr; ++e) {
        std::string entry = *e;
        for (const char* name : {"RANK=", "WORLD_SIZE=", "LOCAL_RANK=", "LOCAL_WORLD_SIZE=", "MASTER_ADDR=", "MASTER_PORT=",
                                 "TORCHELASTIC_USE_AGENT_STORE="}) {
          if (entry.rfind(name, 0) == 0) entry.clear();
        }
        if (!entry.empty()) env.push_back(entry);
      }
      env.push_back(cat("RANK=", o->node_rank * o->nproc + local));
      env.push_back(cat("WORLD_SIZE=", world));
      env.push_back(cat("LOCAL_RANK=", local));
      env.push_back(cat("LOCAL_WORLD_SIZE=", o->nproc));
      env.push_back(cat("MASTER_ADDR=", o->master_addr));
      env.push_back(cat("MASTER_PORT=", port));
      env.push_back("TORCHELASTIC_USE_AGENT_STORE=True");
      // Without an explicit thread count, share this host's cores between its processes.
      if (std::getenv("SOAR_THREADS") == nullptr) env.push_back(cat("SOAR_THREADS=", std::max(1u, cores / o->nproc)));
    }
    struct sigaction action {};
    action.sa_handler = remember_signal;
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
    for (int local = 0; local < o->nproc; ++local) {
      std::vector<char*> envp;
      for (auto& e : environments[static_cast<size_t>(local)]) envp.push_back(e.data());
      envp.push_back(nullptr);
      pid_t pid = fork();
      if (pid < 0) fail("fork failed while starting rank ", o->node_rank * o->nproc + local);
      if (pid == 0) {
        execve("/proc/self/exe", argv.data(), envp.data());
        _exit(127);
      }
      ranks[pid] = o->node_rank * o->nproc + local;
    }
    std::cerr << "soar launch: " << o->nproc << " processes (ranks " << o->node_rank * o->nproc << "-"
              << o->node_rank * o->nproc + o->nproc - 1 << " of " << world << "), store " << o->master_addr << ":" << port << "\n";

    // Supervise: the first failure starts the grace period; afterwards the survivors are stopped.
    int first_failure = 0;
    std::optional<std::chrono::steady_clock::time_point> deadline;
    bool terminated = false;
    while (!ranks.empty()) {
      int status = 0;
      pid_t pid = waitpid(-1, &status, WNOHANG);
      if (pid > 0 && ranks.count(pid)) {
        const int rank = ranks[pid];
        ranks.erase(pid);
        if (exit_code_of(status) != 0) {
          std::cerr << "soar launch: rank " << rank << " " << describe_status(status) << "\n";
          if (first_failure == 0) {
            first_failure = exit_code_of(status);
            deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(static_cast<int64_t>(grace * 1000));
          }
        }
        continue;
      }
      if (forwarded_signal != 0) {
        for (auto& [child, rank] : ranks) kill(child, forwarded_signal);
        if (first_failure == 0) first_failure = 128 + forwarded_signal;
        forwarded_signal = 0;
        deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(static_cast<int64_t>(grace * 1000));
      }
      if (deadline && std::chrono::steady_clock::now() > *deadline) {
        for (auto& [child, rank] : ranks) {
          std::cerr << "soar launch: " << (terminated ? "killing" : "stopping") << " rank " << rank << " (still running "
                    << grace << " s after the first failure)\n";
          kill(child, terminated ? SIGKILL : SIGTERM);
        }
        terminated = true;
        deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (first_failure != 0) std::exit(first_failure);
  };
}

}  // namespace soar::app
