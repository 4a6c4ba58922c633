// edge/runtime/daemon.h: `edge-connector run`, the long-running connector process.
//
// Startup follows the documented order (docs/daemon.md): configuration (already loaded by the caller), the
// installation lock, authentication, the built-in diagnostics plus the plugins from the implementations
// directory, the link, then heartbeats and the health server. SIGTERM/SIGINT start the graceful shutdown:
// readiness off, stop taking calls (connector.draining), drain in-flight calls within `drainGraceMs`, close
// the link with 1001, release the lock, exit 0. A second signal forces the exit.
#ifndef EDGE_RUNTIME_DAEMON_H_
#define EDGE_RUNTIME_DAEMON_H_

#include <string>

#include "edge/runtime/config.h"
#include "edge/runtime/log.h"

namespace edge::runtime {

struct DaemonOptions {
  std::string version;       // the connector's version, for hello and /statusz
  Logger* logger = nullptr;  // nullptr: Logger::Default()
};

// Exit codes of RunDaemon.
enum DaemonExit : int {
  kDaemonOk = 0,
  kDaemonStartupFailed = 1,   // lock held, no credentials, health port taken, ... (the log line says which)
  kDaemonForced = 2,          // a second signal cut the drain short
};

// Runs until a shutdown signal. Must be called before the process starts any other thread: it blocks the
// shutdown signals in every thread it creates and waits for them with sigwait.
int RunDaemon(const LoadedConfig& config, const DaemonOptions& options);

}  // namespace edge::runtime

#endif  // EDGE_RUNTIME_DAEMON_H_
