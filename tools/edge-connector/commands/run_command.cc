// `edge-connector run`: the connector daemon (edge/runtime/daemon.h; docs/daemon.md).
#include <CLI/CLI.hpp>

#include <memory>

#include "commands/commands.h"
#include "commands/run_daemon.h"

namespace edge::cli {

void AddRunCommand(CLI::App& root, CommandRun* run) {
  auto options = std::make_shared<RunOptions>();
  CLI::App* cmd = root.add_subcommand(
      "run", "Run the connector: connect to the platform and serve the tools of the implementations directory.");
  cmd->add_option("--install-dir", options->install_dir,
                  "Installation directory: provisioning.json, config.json, dist/, edge-runtime.lock "
                  "(default: the current directory)");
  cmd->add_option("--implementations", options->implementations,
                  "Load plugins from this directory instead of <install-dir>/dist (customImplementationsPath)");
  cmd->add_option("--health-port", options->health_port, "Health server port (HEALTH_PORT; default 8080; 0: any)");
  cmd->add_option("--log-level", options->log_level, "trace|debug|info|warn|error (default info)");
  cmd->footer("Configuration: defaults < provisioning.json < config.json < environment < flags; see "
              "`edge-connector config check` and docs/configuration.md. Exit codes: 0 clean shutdown, 1 startup "
              "failed (the log says why), 2 forced by a second signal, 78 configuration error.");
  cmd->callback([run, options] { *run = [options] { return RunConnector(*options); }; });
}

}  // namespace edge::cli
