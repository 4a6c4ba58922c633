// commands/commands.h: the edge-connector subcommands, one file each, and the exit codes they share.
//
// Each Add*Command registers its CLI11 subcommand on the root app. When the user picks it, its parse
// callback stores the work to do in `*run`; main runs it after parsing, so a command returns an exit code
// instead of calling exit(). Later commands (run, auth, config check, package, upload, bundle, status, call)
// slot in the same way.
#ifndef EDGE_CLI_COMMANDS_COMMANDS_H_
#define EDGE_CLI_COMMANDS_COMMANDS_H_

#include <functional>

namespace CLI {
class App;
}  // namespace CLI

namespace edge::cli {

// Exit codes, stable for scripts (documented in `edge-connector test --help`).
enum ExitCode : int {
  kExitOk = 0,
  kExitToolError = 1,    // the tool returned an error result (isError), or a --check failed
  kExitCallError = 2,    // host-level call error: invalid params, timeout, cancelled, tool not found...
  kExitLoadError = 3,    // the plugin failed to load
  kExitUsage = 64,       // bad command line (EX_USAGE)
  kExitInterrupted = 130,  // Ctrl-C
};

using CommandRun = std::function<int()>;

void AddTestCommand(CLI::App& root, CommandRun* run);

}  // namespace edge::cli

#endif  // EDGE_CLI_COMMANDS_COMMANDS_H_
