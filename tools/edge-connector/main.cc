// edge-connector: the connector daemon's command line. Each subcommand lives in commands/<name>_command.cc.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>

#include "absl/synchronization/mutex.h"
#include "commands/commands.h"
#include "edge/plugin.h"

int main(int argc, char** argv) {
#ifdef NDEBUG
  // Debian builds Abseil with lock-order (deadlock) detection on; it costs ~15% of an in-process call
  // (docs/performance.md). Debug builds keep it, so lock-order bugs still surface in development.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
#endif
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
  if (!run) {
    std::fputs(app.help().c_str(), stderr);
    return edge::cli::kExitUsage;
  }
  return run();
}
