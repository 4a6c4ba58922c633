// commands/run_daemon.h: what `edge-connector run` does once its command line is read, without CLI11.
//
// Both binaries use it: edge-connector (commands/run_command.cc reads the options with CLI11, for help and
// usage errors) and edge-connector-daemon (daemon_main.cc), which edge-connector execs with the same argv once
// that argv has been checked, and which reads it with getopt_long so the long-running process carries no
// command-line library (idle RSS, docs/performance.md §7).
#ifndef EDGE_CLI_COMMANDS_RUN_DAEMON_H_
#define EDGE_CLI_COMMANDS_RUN_DAEMON_H_

#include <optional>
#include <string>

namespace edge::cli {

struct RunOptions {
  std::string install_dir;
  std::string implementations;
  std::string health_port;
  std::string log_level;
};

// Reads `run`'s options from argv (argv[1] is "run"), as edge-connector passed them after checking them.
// nullopt after printing the problem to stderr.
std::optional<RunOptions> ParseRunArgv(int argc, char** argv);

// Loads the configuration and runs the daemon until it stops; returns the process exit code.
int RunConnector(const RunOptions& options);

// Process-wide settings both binaries make first thing in main.
void ConfigureProcess();

}  // namespace edge::cli

#endif  // EDGE_CLI_COMMANDS_RUN_DAEMON_H_
