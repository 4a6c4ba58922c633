// `edge-connector run`: the connector daemon (edge/runtime/daemon.h; docs/daemon.md).
#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "commands/commands.h"
#include "edge/runtime/config.h"
#include "edge/runtime/daemon.h"
#include "edge/runtime/log.h"

namespace edge::cli {
namespace {

struct RunOptions {
  std::string install_dir;
  std::string implementations;
  std::string health_port;
  std::string log_level;
};

int Run(const RunOptions& o) {
  runtime::ConfigInputs inputs;
  std::error_code ec;
  inputs.install_dir = o.install_dir.empty() ? std::filesystem::current_path(ec).string()
                                             : std::filesystem::absolute(o.install_dir, ec).string();
  inputs.env = runtime::ProcessEnvironment();
  if (!o.implementations.empty()) inputs.overrides["customImplementationsPath"] = o.implementations;
  if (!o.health_port.empty()) inputs.overrides["healthPort"] = o.health_port;
  if (!o.log_level.empty()) inputs.overrides["logLevel"] = o.log_level;
  auto config = runtime::LoadConfig(inputs);
  if (!config.ok()) {
    std::fprintf(stderr, "edge-connector run: %s\n", std::string(config.status().message()).c_str());
    return kExitConfig;
  }
  runtime::Logger& logger = runtime::Logger::Default();
  runtime::LogLevel level;
  if (runtime::ParseLogLevel(config->config.log_level, &level)) logger.SetLevel(level);
  runtime::DaemonOptions options;
  options.version = EDGE_CONNECTOR_VERSION;
  options.logger = &logger;
  return runtime::RunDaemon(*config, options);
}

}  // namespace

void ConfigureProcess() {
#ifdef NDEBUG
  // Debian builds Abseil with lock-order (deadlock) detection on; it costs ~15% of an in-process call
  // (docs/performance.md). Debug builds keep it, so lock-order bugs still surface in development.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
#endif
}

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
  cmd->callback([run, options] { *run = [options] { return Run(*options); }; });
}

}  // namespace edge::cli
