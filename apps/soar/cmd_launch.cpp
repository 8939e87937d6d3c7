// soar launch: any soar command as N processes of one distributed run (distributed/launcher.h), with a
// torchrun-compatible environment; the launcher exits with the first failure's status.
#include <cstdlib>

#include "commands.h"
#include "distributed/launcher.h"
#include "options.h"

namespace soar::app {

Action add_launch_command(CLI::App& app) {
  auto o = std::make_shared<dist::LaunchConfig>();
  CLI::App* command = app.add_subcommand(
      "launch", "Run a soar command as N processes of one distributed run (torchrun-compatible environment)");
  command->add_option("--nproc", o->nproc, "Processes on this host")->capture_default_str()->check(CLI::Range(1, 1024));
  command->add_option("--nnodes", o->nnodes, "Hosts in the run (start the same command on each)")->capture_default_str()->check(at_least(1));
  command->add_option("--node-rank", o->node_rank, "This host's index (0 hosts the rendezvous store)")->capture_default_str()->check(at_least(0));
  command->add_option("--master-addr", o->master_addr, "Address of host 0, reachable from every host")->capture_default_str();
  command->add_option("--master-port", o->master_port, "Port of the rendezvous store on host 0 (0: any free port, one host only)")
      ->capture_default_str()->check(between(0, 65535));
  command->add_option("--grace", o->grace_seconds,
                      "Seconds the other ranks get to exit after one fails (default: the collective timeout + 10)")->check(at_least(0));
  command->add_option("command", o->command, "The soar command to run, after --")->required();
  return [o, command] {
    if (!command->parsed()) return;
    if (const int status = dist::launch(*o); status != 0) std::exit(status);
  };
}

}  // namespace soar::app
