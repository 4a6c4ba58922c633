// RunConnector and the daemon binary's argv reader (commands/run_daemon.h).
#include "commands/run_daemon.h"

#include <getopt.h>

#include <cstdio>
#include <cstring>
#include <filesystem>

#include "absl/synchronization/mutex.h"
#include "commands/commands.h"
#include "edge/runtime/config.h"
#include "edge/runtime/daemon.h"
#include "edge/runtime/log.h"

namespace edge::cli {

std::optional<RunOptions> ParseRunArgv(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "run") != 0) {
    std::fprintf(stderr, "edge-connector-daemon: start it as `edge-connector run [options]`\n");
    return std::nullopt;
  }
  static const option kOptions[] = {{"install-dir", required_argument, nullptr, 'i'},
                                    {"implementations", required_argument, nullptr, 'm'},
                                    {"health-port", required_argument, nullptr, 'p'},
                                    {"log-level", required_argument, nullptr, 'l'},
                                    {nullptr, 0, nullptr, 0}};
  RunOptions o;
  optind = 2;  // after "run"
  opterr = 1;  // getopt_long names an unknown option on stderr
  for (int c; (c = getopt_long(argc, argv, "", kOptions, nullptr)) != -1;) {
    switch (c) {
      case 'i': o.install_dir = optarg; break;
      case 'm': o.implementations = optarg; break;
      case 'p': o.health_port = optarg; break;
      case 'l': o.log_level = optarg; break;
      default:
        std::fprintf(stderr, "Run 'edge-connector run --help' for usage.\n");
        return std::nullopt;
    }
  }
  if (optind < argc) {
    std::fprintf(stderr, "edge-connector run: unexpected argument '%s'; run 'edge-connector run --help'\n",
                 argv[optind]);
    return std::nullopt;
  }
  return o;
}

int RunConnector(const RunOptions& o) {
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

void ConfigureProcess() {
#ifdef NDEBUG
  // Debian builds Abseil with lock-order (deadlock) detection on; it costs ~15% of an in-process call
  // (docs/performance.md). Debug builds keep it, so lock-order bugs still surface in development.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
#endif
}

}  // namespace edge::cli
