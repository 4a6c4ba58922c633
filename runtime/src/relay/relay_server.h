// relay/relay_server.h: the relay's HTTP listener (docs/webhook-relay.md §2): its own small libwebsockets server
// context on its own thread, like the health server, so neither a flood of webhooks nor a slow disk ever delays
// the link or a probe. It turns HTTP into RelayHandler calls: the request line and Content-Length go to
// Admit(), the allowed headers and the body (capped at webhookMaxBodyBytes while it is read) to Finish().
#ifndef EDGE_RUNTIME_RELAY_RELAY_SERVER_H_
#define EDGE_RUNTIME_RELAY_RELAY_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "edge/runtime/log.h"
#include "relay/relay_handler.h"

namespace edge::runtime::relay {

struct RelayServerOptions {
  std::string host = "0.0.0.0";  // an IPv4 address
  int port = 8787;               // 0: any free port
  Logger* logger = nullptr;
};

class RelayServer {
 public:
  // `handler` must outlive the server.
  RelayServer(RelayServerOptions options, RelayHandler* handler);
  ~RelayServer();  // Stop()s
  // Binds and starts the thread; fails naming the address and the fix when the port cannot be bound.
  absl::Status Start();
  int port() const;  // the bound port, after Start
  // Joins the thread; requests in progress are dropped (their providers retry, nothing was acknowledged).
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace edge::runtime::relay

#endif  // EDGE_RUNTIME_RELAY_RELAY_SERVER_H_
