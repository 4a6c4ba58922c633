// cli_crash: a test-only plugin whose example crashes the process, to prove --check reports a crash as a
// failed check (with the signal and the step) instead of dying with it.
#include <csignal>

#include <edge/sdk.hpp>

EDGE_PLUGIN("cli_crash", "0.0.1") {
  plugin.tool("crash.segv")
      .description("Raises SIGSEGV.")
      .example("{}")
      .handler([](const edge::Args&, edge::Context&) {
        std::raise(SIGSEGV);
        return edge::Result();  // not reached
      });
}
