// edge/runtime/health.h: the connector's health server (HEALTH_PORT, default 8080).
//
// `/livez`: 200 while the process and the health loop run, never tied to the link. `/healthz`: 200 only when
// `ready()` says so (connected, tools registered, not draining), else 503 with the reason. `/statusz`: the JSON
// snapshot from `statusz()`, which must hold no secrets. Runs its own small libwebsockets server context on
// its own thread, so a busy or reconnecting link never delays a probe.
#ifndef EDGE_RUNTIME_HEALTH_H_
#define EDGE_RUNTIME_HEALTH_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "edge/runtime/log.h"

namespace edge::runtime {

struct HealthOptions {
  std::string host = "0.0.0.0";
  int port = 8080;  // 0: any free port (see HealthServer::port())
  // Called on the health thread for each request; must be thread-safe and fast.
  std::function<bool(std::string* reason)> ready;  // reason: "not connected", "draining", ...
  std::function<std::string()> statusz;            // a JSON object
  Logger* logger = nullptr;
};

class HealthServer {
 public:
  explicit HealthServer(HealthOptions options);
  ~HealthServer();  // Stop()s
  // Binds and starts serving; fails naming the address when the port is taken.
  absl::Status Start();
  int port() const;  // the bound port, after Start
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace edge::runtime

#endif  // EDGE_RUNTIME_HEALTH_H_
