// edge/runtime/diagnostics.h: the built-in diagnostics tools, always present and compiled into the runtime.
//
//   edge.ping            round-trip check; echoes an optional message with the connector's time
//   edge.system_info     host name, OS, kernel, CPU count, memory and load (from /proc and uname)
//   edge.runtime_status  the runtime's own status (tools, calls, uptime, RSS), supplied by the embedder
#ifndef EDGE_RUNTIME_DIAGNOSTICS_H_
#define EDGE_RUNTIME_DIAGNOSTICS_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "edge/runtime/tool.h"

namespace edge::runtime {

// Returns a JSON object describing the runtime (called on an executor thread).
using RuntimeStatusProvider = std::function<std::string()>;

std::vector<std::shared_ptr<const Tool>> BuiltinDiagnosticsTools(RuntimeStatusProvider status_provider);

}  // namespace edge::runtime

#endif  // EDGE_RUNTIME_DIAGNOSTICS_H_
