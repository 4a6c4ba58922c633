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
  kExitConfig = 78,      // invalid configuration (EX_CONFIG)
  kExitInterrupted = 130,  // Ctrl-C
};

using CommandRun = std::function<int()>;

void AddTestCommand(CLI::App& root, CommandRun* run);
void AddRunCommand(CLI::App& root, CommandRun* run);     // run: the daemon (commands/run_command.cc)
void AddAuthCommand(CLI::App& root, CommandRun* run);    // auth --token (commands/auth_command.cc)
void AddConfigCommand(CLI::App& root, CommandRun* run);  // config check (commands/config_command.cc)
void AddStatusCommand(CLI::App& root, CommandRun* run);  // status: the local /statusz (commands/status_command.cc)
void AddCallCommand(CLI::App& root, CommandRun* run);    // call: a tool through the platform API (call_command.cc)
void AddPackageCommand(CLI::App& root, CommandRun* run); // package: build a bundle (package_command.cc)
void AddUploadCommand(CLI::App& root, CommandRun* run);  // upload: publish a bundle (upload_command.cc)
void AddBundleCommand(CLI::App& root, CommandRun* run);  // bundle list|set-default|assign|checkout|rename
void AddCloudCommand(CLI::App& root, CommandRun* run);   // cloud provision|start|stop|status|delete|force-complete

}  // namespace edge::cli

#endif  // EDGE_CLI_COMMANDS_COMMANDS_H_
