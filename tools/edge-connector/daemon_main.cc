// edge-connector-daemon: `edge-connector run` alone, in a binary of its own.
//
// `edge-connector run` checks its command line (CLI11: help, usage errors) and then execs this binary when it
// sits next to edge-connector (main.cc), with the same argv. The long-running daemon so maps the runtime and
// the run command, but neither the other commands (package, upload, test, cloud, ...) nor a command-line
// library: about 0.9 MiB less resident memory for as long as the connector runs (docs/performance.md §7).
#include <sys/prctl.h>

#include "commands/commands.h"
#include "commands/run_daemon.h"

int main(int argc, char** argv) {
  // ps, top and pgrep name the process as users started it, not after this binary's file.
  prctl(PR_SET_NAME, "edge-connector", 0, 0, 0);
  edge::cli::ConfigureProcess();
  std::optional<edge::cli::RunOptions> options = edge::cli::ParseRunArgv(argc, argv);
  return options ? edge::cli::RunConnector(*options) : edge::cli::kExitUsage;
}
