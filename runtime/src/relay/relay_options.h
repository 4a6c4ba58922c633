// relay/relay_options.h: what the webhook relay needs from the configuration (docs/webhook-relay.md §2), as one
// plain struct built from ConnectorConfig, so the relay's parts never read the configuration themselves.
#ifndef EDGE_RUNTIME_RELAY_RELAY_OPTIONS_H_
#define EDGE_RUNTIME_RELAY_RELAY_OPTIONS_H_

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "edge/runtime/config.h"
#include "edge/runtime/log.h"

namespace edge::runtime::relay {

inline constexpr char kComponent[] = "relay";
// At most this many webhook.relay requests wait for an answer at once (docs/protocol.md §9).
inline constexpr int kMaxOutstandingRelays = 8;

struct RelayOptions {
  std::filesystem::path relay_dir;  // <install>/relay: webhooks.json, queue/, dead-letter/
  bool expose_lan = true;           // false: bind 127.0.0.1 and report loopback URLs
  int port = 8787;                  // 0: any free port
  std::string public_url;           // overrides the LAN URL; ignored in loopback mode
  int64_t max_body_bytes = 1048576;
  int64_t rate_limit_per_minute = 600;
  int64_t queue_max_deliveries = 10000;
  int64_t queue_max_bytes = 268435456;
  std::vector<std::string> forward_headers;  // lower-case, besides content-type, user-agent and the HMAC header
  int max_outstanding = kMaxOutstandingRelays;
  Logger* logger = nullptr;  // nullptr: Logger::Default()
};

RelayOptions RelayOptionsFrom(const ConnectorConfig& config, Logger* logger);

}  // namespace edge::runtime::relay

#endif  // EDGE_RUNTIME_RELAY_RELAY_OPTIONS_H_
