// edge-connector-daemon: `edge-connector run` alone, in a binary of its own.
//
// `edge-connector run` execs this file's binary when it sits next to edge-connector (main.cc), so the
// long-running daemon maps the runtime and the run command but none of the other commands (package, upload,
// test, cloud, ...): about 0.6 MiB less resident memory for as long as the connector runs
// (docs/performance.md §7). The command line is the same as `edge-connector run`'s, argv unchanged.
#include <sys/prctl.h>

#include <CLI/CLI.hpp>

#include <cstdio>

#include "commands/commands.h"

int main(int argc, char** argv) {
  // ps, top and pgrep name the process as users started it, not after this binary's file.
  prctl(PR_SET_NAME, "edge-connector", 0, 0, 0);
  edge::cli::ConfigureProcess();
  CLI::App app("edge-connector-daemon: `edge-connector run`, exec'd by edge-connector.", "edge-connector");
  app.require_subcommand(1, 1);
  edge::cli::CommandRun run;
  edge::cli::AddRunCommand(app, &run);
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    std::fprintf(stderr, "Run 'edge-connector run --help' for usage.\n");
    return edge::cli::kExitUsage;
  }
  return run ? run() : edge::cli::kExitUsage;
}
