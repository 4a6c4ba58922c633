// edge-connector: the connector daemon's command line. Each subcommand lives in commands/<name>_command.cc.
#include <CLI/CLI.hpp>

#include <limits.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "commands/commands.h"
#include "commands/run_daemon.h"
#include "edge/plugin.h"

namespace {

// `run` continues in edge-connector-daemon when it sits next to this binary: the same command in a binary
// without the other commands, so the long-running process keeps less code resident (daemon_main.cc). The
// pid, argv, environment and open files stay the same. Returns only when there is no such binary (or exec
// failed): then this process runs the daemon itself, which works the same with more memory.
void ContinueInDaemonBinary(char** argv) {
  char self[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n <= 0) return;
  self[n] = '\0';
  std::string daemon = self;
  const size_t slash = daemon.rfind('/');
  if (slash == std::string::npos) return;
  daemon.replace(slash + 1, std::string::npos, "edge-connector-daemon");
  if (access(daemon.c_str(), X_OK) != 0) return;
  execv(daemon.c_str(), argv);
}

}  // namespace

int main(int argc, char** argv) {
  edge::cli::ConfigureProcess();
  CLI::App app("edge-connector: hosts tool plugins and runs tool calls for AI agents.", "edge-connector");
  app.require_subcommand(0, 1);
  app.set_version_flag("--version", std::string("edge-connector ") + EDGE_CONNECTOR_VERSION + " (plugin ABI " +
                                        std::to_string(EDGE_ABI_MAJOR) + "." + std::to_string(EDGE_ABI_MINOR) +
                                        ")");
  app.footer("Exit codes: 0 success, 1 tool error or failed check, 2 call error, 3 plugin failed to load, "
             "64 usage error, 130 interrupted.");

  edge::cli::CommandRun run;
  edge::cli::AddRunCommand(app, &run);
  edge::cli::AddTestCommand(app, &run);
  edge::cli::AddCallCommand(app, &run);
  edge::cli::AddStatusCommand(app, &run);
  edge::cli::AddAuthCommand(app, &run);
  edge::cli::AddConfigCommand(app, &run);
  edge::cli::AddPackageCommand(app, &run);
  edge::cli::AddUploadCommand(app, &run);
  edge::cli::AddBundleCommand(app, &run);
  edge::cli::AddCloudCommand(app, &run);

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help, --version
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);  // prints the message
    std::fprintf(stderr, "Run 'edge-connector --help' (or 'edge-connector <command> --help') for usage.\n");
    return edge::cli::kExitUsage;
  }
  if (run && app.got_subcommand("run")) ContinueInDaemonBinary(argv);
  if (!run) {
    std::fputs(app.help().c_str(), stderr);
    return edge::cli::kExitUsage;
  }
  return run();
}
